"""Issue 19's "Done when", both platforms at once: two studybot processes on one PostgreSQL.

Each process is `adapters.serve.serving`, what `studybot run --slack-http` opens: a `Runtime` with the
real discord.py client on one gateway shard of two and the real Bolt app serving Slack over HTTP, the
scheduler started (its start-up pass delivers what is due) and the health server. Both run in one
event loop, started together, against one fake Discord (which routes each guild to its shard's
session) and one fake Slack, with the test as Slack's load balancer. Checked: every guild's slash
command is answered once, every Slack command sent to either worker is answered once, every
schedule's prompt (four Discord guilds, two Slack channels) is posted once though both processes ran
the start-up pass at the same minute, and `/readyz` of both turns 503 when the database refuses
connections and 200 when it takes them again.

The scheduler's wake-ups run on the real clock (APScheduler), so the schedules' runs are this very
minute, as in tests/adapters/discord/test_shards.py's spawned processes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import aiohttp
import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from slack_sdk.web.async_client import AsyncWebClient

from adapters.discord.commands import sync_commands
from adapters.serve import Served, serving
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.store import schedules as schedule_store
from tests.adapters.slack.conftest import BOT_TOKEN, CHANNEL, MEMBER, SECRET, SlackDeliveries
from tests.conftest import make_settings
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_server import TEAM_ID, FakeSlack

SHARDS = 2
SECOND_CHANNEL = "C0NIGHT"


def shard_of(guild: int) -> int:
    return (guild >> 22) % SHARDS


@pytest.fixture
async def fake_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        monkeypatch.setattr(discord.http.Route, "BASE", server.base_url)  # discord.py's documented redirections
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
        yield server


@pytest.fixture
async def fake_slack(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeSlack]:
    for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):  # Bolt reads these itself
        monkeypatch.delenv(name, raising=False)
    async with FakeSlack() as server:
        server.add_user(MEMBER, "Ada")
        server.add_channel(CHANNEL, "study")
        server.add_channel(SECOND_CHANNEL, "night")
        # `serving` builds the Slack adapter as `studybot run` does, with slack_sdk's default address.
        monkeypatch.setattr(AsyncWebClient, "BASE_URL", server.base_url)
        yield server


async def get(port: int, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.json()


async def _pg_admin(base: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(base.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def two_processes(url: str, fake: FakeDiscord) -> AsyncIterator[list[Served]]:
    """Both processes serving, started at the same time; each in its own task, as it would be its own process."""
    opened: list[asyncio.Future[Served]] = [asyncio.get_running_loop().create_future() for _ in range(SHARDS)]
    stop = asyncio.Event()

    async def process(shard: int) -> None:
        settings = make_settings(
            url,
            DISCORD_TOKEN=fake.token,
            DISCORD_SHARD_COUNT=str(SHARDS),
            DISCORD_SHARD_IDS=str(shard),
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            STUDYBOT_HEALTH_PORT="0",
        )
        try:
            async with serving(settings, slack_http=True, port=0) as served:
                opened[shard].set_result(served)
                await stop.wait()
        except BaseException as exc:
            if not opened[shard].done():
                opened[shard].set_exception(exc)
            raise

    tasks = [asyncio.create_task(process(shard)) for shard in range(SHARDS)]
    try:
        yield list(await asyncio.wait_for(asyncio.gather(*opened), 60))
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def test_two_processes_on_postgresql_serve_both_platforms_and_post_each_prompt_once(
    pg_url: str, postgres_base_url: str, fake_discord: FakeDiscord, fake_slack: FakeSlack, catalog: Catalog
) -> None:
    for index, name in ((1, "Night Owls"), (2, "Early Birds"), (3, "Weekenders")):
        fake_discord.add_guild(name, index=index)
    guilds = {guild: int(next(iter(g["channels_by_name"].values()))) for guild, g in fake_discord.guilds.items()}
    assert sorted(shard_of(g) for g in guilds) == [0, 0, 1, 1]

    due = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    places = [("discord", str(g), str(c)) for g, c in guilds.items()]
    places += [("slack", TEAM_ID, CHANNEL), ("slack", TEAM_ID, SECOND_CHANNEL)]
    async with Runtime(make_settings(pg_url), clock=FixedClock(due), catalog=catalog) as first:
        await sync_commands(fake_discord.token, first.core.registry)  # `studybot discord sync`, once
        async with first.services.engine.begin() as conn:
            for platform, workspace, channel in places:
                await schedule_store.create(
                    conn,
                    due - dt.timedelta(days=1),
                    platform=platform,
                    workspace=workspace,
                    channel=channel,
                    exam="SAA-C03",
                    cron=f"{due.minute} {due.hour} * * *",
                    timezone="UTC",
                    reveal_minutes=60,
                    created_by="mod",
                )

    async with AsyncExitStack() as stack:
        processes = await stack.enter_async_context(two_processes(pg_url, fake_discord))
        session = await stack.enter_async_context(aiohttp.ClientSession())
        identified = sorted((g.shard_id, g.shard_count) for g in fake_discord.gates if g.identified.is_set())
        assert identified == [(0, SHARDS), (1, SHARDS)]

        # Discord: each guild's command reaches only its shard's process, and is answered once.
        sent = [await fake_discord.slash("profile", channel=channel) for channel in guilds.values()]
        for interaction in sent:
            callback = await fake_discord.wait_for_callback(interaction, within=30)
            assert callback.status == 200 and callback.json["type"] == 4
        for process in processes:
            client = process.platforms["discord"].client  # type: ignore[attr-defined]
            shard = client.shard_id
            assert {g.id for g in client.guilds} == {g for g in guilds if shard_of(g) == shard}

        # Slack over HTTP: the balancer hands commands to both workers in turn; each is answered once.
        workers = [SlackDeliveries(session, p.platforms["slack"].url, fake_slack) for p in processes]  # type: ignore[attr-defined]
        keys = []
        for turn in range(4):
            response, key = await workers[turn % 2].command("help")
            assert response.status == 200, response
            keys.append(key)
        for key in keys:
            await fake_slack.wait_response(key, within=30)

        # Ready, with every check: the database and both platforms.
        for process in processes:
            assert process.health is not None
            status, body = await get(process.health.port, "/readyz")
            assert (status, body["checks"]) == (200, {"database": "ok", "discord": "ok", "slack": "ok"})

        # The database goes away (refuses connections, its sessions cut) and comes back.
        name = pg_url.rsplit("/", 1)[1]
        await _pg_admin(postgres_base_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            await _pg_admin(
                postgres_base_url, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            )
            for process in processes:
                assert process.health is not None
                status, body = await get(process.health.port, "/readyz")
                assert status == 503 and body["checks"]["database"] != "ok", body
                assert (body["checks"]["discord"], body["checks"]["slack"]) == ("ok", "ok")
        finally:
            await _pg_admin(postgres_base_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        for process in processes:
            assert process.health is not None
            assert (await get(process.health.port, "/readyz"))[0] == 200

    for interaction in sent:
        assert len(fake_discord.callbacks_for(interaction)) == 1
    for key in keys:
        assert len(fake_slack.responses_for(key)) == 1
    # Every prompt once, though both processes ran the start-up pass at the same minute.
    for guild_channel in guilds.values():
        path = f"/channels/{guild_channel}/messages"
        discord_posts = [r for r in fake_discord.requests if r.method == "POST" and r.path == path and r.status == 200]
        assert len(discord_posts) == 1, guild_channel
    for slack_channel in (CHANNEL, SECOND_CHANNEL):
        assert len(fake_slack.messages.get(slack_channel, [])) == 1, slack_channel
