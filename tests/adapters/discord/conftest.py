"""Fixtures: a fake Discord on 127.0.0.1, the real discord.py pointed at it, the real core on SQLite."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from adapters.discord.client import DiscordAdapter
from adapters.discord.commands import sync_commands
from bot.runtime import Runtime
from bot.settings import Settings
from tests.adapters.discord import lab as lab_features
from tests.conftest import make_settings
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.observed import ObservedCore

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any name lookup other than loopback fails the test: discord.py must only ever reach the fake."""
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOOPBACK and not (isinstance(host, bytes) and host.decode() in LOOPBACK):
            raise AssertionError(f"a test tried to reach {host!r}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        # The two documented redirections: every REST route, and the gateway a plain Client dials.
        monkeypatch.setattr(discord.http.Route, "BASE", server.base_url)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
        yield server
        assert server.unexpected == [], "requests the fake does not know"
        assert server.errors == [], "the fake itself failed"


def discord_settings(runtime: Runtime, fake: FakeDiscord, **extra: str) -> Settings:
    return make_settings(runtime.settings.database_url, DISCORD_TOKEN=fake.token, **extra)


@pytest.fixture
async def synced(runtime: Runtime, fake: FakeDiscord) -> None:
    """The declared commands registered with the fake, as `studybot discord sync` does."""
    await sync_commands(fake.token, runtime.core.registry)


async def open_adapter(runtime: Runtime, fake: FakeDiscord, core: Any = None, **options: Any) -> DiscordAdapter:
    settings = options.pop("settings", None) or discord_settings(runtime, fake)
    adapter = DiscordAdapter(core or runtime.core, settings, guild_ready_timeout=0.05, **options)
    await adapter.__aenter__()
    assert adapter._task is not None
    fake.watch(adapter._task)
    return adapter


async def close_adapter(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    if adapter._task is not None:
        fake.unwatch(adapter._task)
    await adapter.__aexit__(None, None, None)


@pytest.fixture
def spy(runtime: Runtime) -> ObservedCore:
    return ObservedCore(runtime.core)


@pytest.fixture
async def adapter(
    runtime: Runtime, fake: FakeDiscord, synced: None, spy: ObservedCore
) -> AsyncIterator[DiscordAdapter]:
    opened = await open_adapter(runtime, fake, spy)
    try:
        yield opened
    finally:
        await close_adapter(fake, opened)


@pytest.fixture
async def lab(
    runtime: Runtime, fake: FakeDiscord, spy: ObservedCore
) -> AsyncIterator[tuple[DiscordAdapter, lab_features.Lab]]:
    """An adapter whose registry also holds the test-only lab commands (synced before it opens)."""
    state = lab_features.Lab()
    lab_features.register(runtime.core.registry, state)
    await sync_commands(fake.token, runtime.core.registry)
    opened = await open_adapter(runtime, fake, spy, defer_after=0.3, defer_sleep=state.deadline)
    try:
        yield opened, state
    finally:
        state.gate.set()
        await close_adapter(fake, opened)
