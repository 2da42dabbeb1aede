"""Fixtures for the operations tests: no test here may touch the real user data directory or the network.

Every test runs in its own working directory (no developer `.env`), with XDG_DATA_HOME pointing into
`tmp_path`, so the default SQLite location resolves there; platform tokens from the developer's
environment are removed. Name lookups other than loopback fail the test.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import discord
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from tests.conftest import _drop_pg, _fresh_pg_schema
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_server import FakeSlack

T = TypeVar("T")

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PLATFORM_VARS = (
    "DISCORD_TOKEN",
    "DISCORD_APPLICATION_ID",
    "DISCORD_GUILD_IDS",
    "DISCORD_SHARD_COUNT",
    "DISCORD_SHARD_IDS",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "STUDYBOT_DATABASE_URL",
    "STUDYBOT_HEALTH_PORT",
    "STUDYBOT_HEALTH_HOST",
)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data directory and working directory; returns the data directory."""
    data = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for name in PLATFORM_VARS:
        monkeypatch.delenv(name, raising=False)
    return data


class NameLookupRefused(AssertionError):
    pass


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Loopback resolves; any other name fails as an offline machine's resolver would (gaierror).

    Returns the names that were asked for, so a test can check a lookup really was attempted.
    """
    real = socket.getaddrinfo
    asked: list[str] = []

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in LOOPBACK:
            asked.append(str(name))
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    return asked


@pytest.fixture
def pg_url(postgres_base_url: str | None) -> Iterator[str]:
    """A fresh, empty PostgreSQL database; skips with the reason when no server is configured (CI has one)."""
    if postgres_base_url is None:
        pytest.skip("no PostgreSQL server here (set STUDYBOT_TEST_POSTGRES_URL); CI runs these")
    url, name = _fresh_pg_schema(postgres_base_url)
    try:
        yield url
    finally:
        _drop_pg(postgres_base_url, name)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Background:
    """An event loop in a thread of its own, for fakes that must outlive the CLI's own `asyncio.run`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def fake_slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    background = Background()
    slack = background.run(FakeSlack().start())
    monkeypatch.setattr(AsyncWebClient, "BASE_URL", slack.base_url)
    try:
        yield slack
    finally:
        background.run(slack.stop())
        background.close()


@pytest.fixture
def fake_discord(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDiscord]:
    background = Background()
    server = background.run(FakeDiscord().__aenter__())
    monkeypatch.setattr(discord.http.Route, "BASE", server.base_url)
    try:
        yield server
    finally:
        background.run(server.__aexit__(None, None, None))
        background.close()
    assert server.unexpected == [], "requests the fake does not know"
    assert server.errors == [], "the fake itself failed"
