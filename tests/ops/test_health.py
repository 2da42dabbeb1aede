"""`/healthz`, `/readyz` and `/metrics`: ready turns 503 when the database goes away and 200 when it returns."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from adapters.discord.commands import sync_commands
from adapters.serve import serving
from adapters.slack import SlackAdapter
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.features import build_registry
from bot.metrics import Metrics
from bot.ops.health import HealthServer
from bot.runtime import Runtime
from bot.store import schema_problem, sqlite_path
from tests.adapters.slack.conftest import slack_settings
from tests.conftest import make_settings, person
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_server import FakeSlack


async def get(port: int, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as response:
        body = await response.json() if response.content_type == "application/json" else await response.text()
        return response.status, body


async def test_sqlite_file_moved_away_and_back(sqlite_url: str, clock: FixedClock, catalog: Catalog) -> None:
    path = sqlite_path(sqlite_url)
    assert path is not None
    metrics = Metrics()
    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog, metrics=metrics) as rt:
        async with HealthServer(rt.services.engine, metrics, port=0, clock=clock) as health:
            assert await get(health.port, "/healthz") == (200, {"alive": True})
            status, body = await get(health.port, "/readyz")
            assert (status, body) == (200, {"ready": True, "checks": {"database": "ok"}})

            aside = path.with_name("elsewhere.sqlite3")
            path.rename(aside)
            status, body = await get(health.port, "/readyz")
            assert status == 503 and not body["ready"]
            assert "missing" in body["checks"]["database"]
            assert await get(health.port, "/healthz") == (200, {"alive": True})  # alive all the same
            assert not path.exists()  # the probe did not create an empty database in its place

            aside.rename(path)
            assert (await get(health.port, "/readyz"))[0] == 200


async def test_metrics_endpoint(sqlite_url: str, clock: FixedClock, catalog: Catalog) -> None:
    metrics = Metrics()
    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog, metrics=metrics) as rt:
        await rt.core.handle_line(person("mo", moderator=True), "/help")
        add = "/studyadmin schedule add channel:#study exam:SAA-C03 preset:weekdays-9am timezone:UTC"
        await rt.core.handle_line(person("mo", moderator=True), add)
        async with HealthServer(rt.services.engine, metrics, port=0, clock=clock) as health:
            status, text = await get(health.port, "/metrics")
    assert status == 200
    assert 'studybot_commands_total{command="help",outcome="ok"} 1.0' in text
    assert "studybot_command_seconds_bucket" in text
    assert 'studybot_db_pool_connections{state="size"}' in text
    assert "studybot_delivery_oldest_claim_age_seconds 0.0" in text


async def test_a_database_behind_the_code_is_not_ready(sqlite_url: str) -> None:
    from bot.store import create_engine

    path = sqlite_path(sqlite_url)
    assert path is not None
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '0004_certifications'")
    db.close()
    engine = create_engine(sqlite_url)
    try:
        problem = await schema_problem(engine)
    finally:
        await engine.dispose()
    assert problem is not None and "studybot db upgrade" in problem


async def _pg_admin(base: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(base.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def test_postgresql_goes_away_and_returns(
    pg_url: str, postgres_base_url: str, clock: FixedClock, catalog: Catalog
) -> None:
    name = pg_url.rsplit("/", 1)[1]
    metrics = Metrics()
    async with Runtime(make_settings(pg_url), clock=clock, catalog=catalog) as rt:
        async with HealthServer(rt.services.engine, metrics, port=0, clock=clock) as health:
            assert (await get(health.port, "/readyz"))[0] == 200
            await _pg_admin(postgres_base_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await _pg_admin(
                postgres_base_url,
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
            )
            try:
                status, body = await get(health.port, "/readyz")
                assert status == 503, body
                assert body["checks"]["database"] != "ok"
                assert (await get(health.port, "/metrics"))[0] == 200  # metrics still served
            finally:
                await _pg_admin(postgres_base_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            assert (await get(health.port, "/readyz"))[0] == 200


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        monkeypatch.setattr(discord.http.Route, "BASE", server.base_url)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
        yield server


async def test_serving_with_discord_reports_the_platform(tmp_path: Path, fake: FakeDiscord) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}", DISCORD_TOKEN=fake.token, STUDYBOT_HEALTH_PORT="0"
    )
    await sync_commands(fake.token, build_registry())
    async with serving(settings) as served:
        assert served.health is not None and served.health.host == "127.0.0.1"
        status, body = await get(served.health.port, "/readyz")
        assert (status, body["checks"]) == (200, {"database": "ok", "discord": "ok"})
        # A slash command through the real discord.py client is counted in the runtime's metrics.
        await fake.wait_for_callback(await fake.slash("help"))
        status, text = await get(served.health.port, "/metrics")
        assert 'studybot_commands_total{command="help",outcome="ok"} 1.0' in text
        discord_adapter = served.platforms["discord"]
        await discord_adapter.client.close()  # type: ignore[attr-defined]
        status, body = await get(served.health.port, "/readyz")
        assert (status, body["checks"]["discord"]) == (503, "not connected")


def test_health_server_is_off_unless_a_port_is_set(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    assert settings.health_port is None and settings.health_host == "127.0.0.1"
    assert make_settings("sqlite://", STUDYBOT_HEALTH_PORT="9187", STUDYBOT_HEALTH_HOST="0.0.0.0").health_port == 9187


async def test_slack_adapter_says_whether_it_is_connected(tmp_path: Path, clock: FixedClock, catalog: Catalog) -> None:
    """Readiness reads `connected`: Socket Mode while the websocket is open, HTTP mode while the site serves."""
    fake = FakeSlack()
    await fake.start()
    try:
        settings = slack_settings(tmp_path)
        async with Runtime(settings, clock=clock, catalog=catalog) as rt:
            socket = SlackAdapter(rt.core, settings, base_url=fake.base_url)
            assert not socket.connected
            async with socket:
                await fake.wait_connected()
                assert socket.connected
            assert not socket.connected
            http = SlackAdapter(rt.core, settings, http=True, port=0, host="127.0.0.1", base_url=fake.base_url)
            async with http:
                assert http.connected
            assert not http.connected
    finally:
        await fake.stop()
