"""Two studybot processes split one Discord bot by gateway shard (issue 19).

Each process is a whole `Runtime` with its own `DiscordAdapter` (real discord.py), both on one
database, `DISCORD_SHARD_COUNT=2` with one `DISCORD_SHARD_IDS` each, against one fake Discord that
hands each guild's events only to the session of the guild's shard ((guild id >> 22) % 2). Every
guild's slash command is answered once, by the process that runs its shard; every schedule's prompt
and reveal is posted once, by that same process, when both run the delivery pass at the same minute;
and a claim left by a dead process is taken over only by a process serving its guild.

The first tests run both runtimes in one event loop, on the injected clock. The last runs them as two
real processes (spawned), each serving with its scheduler started, as `studybot run` does: the
scheduler's start-up pass posts what is due, so the runs are placed at the real current minute and
each process's clock stands just after it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from adapters.discord.client import DiscordAdapter
from adapters.discord.commands import sync_commands
from bot import log as logs
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.requests import Request
from bot.runtime import Runtime
from bot.schedule.deliveries import LEASE, Counts, nonce_for, prompt_key
from bot.settings import Settings
from bot.store import deliveries as outbox
from bot.store import schedules as schedule_store
from tests.conftest import START, make_settings
from tests.fakes.discord_server import FakeDiscord, Recorded
from tests.fakes.observed import ObservedCore

SHARDS = 2
NINE = START + dt.timedelta(hours=1)  # Monday 09:00 UTC
REVEAL_MINUTES = 30


@dataclass
class Process:
    """One studybot process: the shard it runs, its runtime, its adapter and the core calls it made."""

    shard: int
    runtime: Runtime = field(init=False)
    adapters: list[DiscordAdapter] = field(default_factory=list)
    seen: list[ObservedCore] = field(default_factory=list)

    @property
    def adapter(self) -> DiscordAdapter:
        (adapter,) = self.adapters
        return adapter

    def connect(self, core: Core, settings: Settings) -> DiscordAdapter:
        """The runtime's platform factory: the real adapter, over the real core observed."""
        self.seen.append(ObservedCore(core))
        self.adapters.append(DiscordAdapter(self.seen[-1], settings, guild_ready_timeout=0.05))  # type: ignore[arg-type]
        return self.adapters[-1]

    def workspaces_handled(self) -> list[str]:
        return [m.identity.workspace for s in self.seen for m, _ in s.exchanges if isinstance(m, Request)]


def shard_of(guild: int) -> int:
    return (guild >> 22) % SHARDS


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def guilds(fake: FakeDiscord) -> dict[int, int]:
    """Guild id -> its study channel: the fake's own guild and three more, two on each shard."""
    for index, name in ((1, "Night Owls"), (2, "Early Birds"), (3, "Weekenders")):
        fake.add_guild(name, index=index)
    found = {guild: int(next(iter(g["channels_by_name"].values()))) for guild, g in fake.guilds.items()}
    assert sorted(shard_of(g) for g in found) == [0, 0, 1, 1]
    return found


@pytest.fixture
async def processes(
    database_url: str, fake: FakeDiscord, guilds: dict[int, int], clock: FixedClock, catalog: Catalog
) -> AsyncIterator[list[Process]]:
    """Two processes, shard 0 and shard 1, on one database, connected and READY (commands synced once)."""
    async with AsyncExitStack() as stack:
        found: list[Process] = []
        for shard in range(SHARDS):
            settings = make_settings(
                database_url, DISCORD_TOKEN=fake.token, DISCORD_SHARD_COUNT=str(SHARDS), DISCORD_SHARD_IDS=str(shard)
            )
            if shard == 0:  # registered before any process connects, as `studybot discord sync` does
                async with Runtime(settings, clock=clock, catalog=catalog) as first:
                    await sync_commands(fake.token, first.core.registry)
            process = Process(shard)
            process.runtime = Runtime(settings, clock=clock, catalog=catalog, platforms=[process.connect])
            await stack.enter_async_context(process.runtime)
            assert process.adapter._task is not None
            fake.watch(process.adapter._task)
            stack.callback(fake.unwatch, process.adapter._task)
            found.append(process)
        await fake.wait_identified(SHARDS)
        yield found


def posted_to(channel: int) -> Callable[[Recorded], bool]:
    path = f"/channels/{channel}/messages"
    return lambda r: r.method == "POST" and r.path == path


def posts(fake: FakeDiscord, channel: int) -> list[Recorded]:
    path = f"/channels/{channel}/messages"
    return [r for r in fake.requests if r.method == "POST" and r.path == path and r.status == 200]


async def add_schedule(runtime: Runtime, guild: int, channel: int) -> int:
    async with runtime.services.engine.begin() as conn:
        schedule = await schedule_store.create(
            conn,
            START - dt.timedelta(days=1),
            platform="discord",
            workspace=str(guild),
            channel=str(channel),
            exam="SAA-C03",
            cron="0 9 * * 1-5",
            timezone="UTC",
            reveal_minutes=REVEAL_MINUTES,
            created_by="mod",
        )
    return schedule.id


async def test_each_process_connects_only_its_own_shard(
    fake: FakeDiscord, guilds: dict[int, int], processes: list[Process]
) -> None:
    identified = sorted((g.shard_id, g.shard_count) for g in fake.gates if g.identified.is_set())
    assert identified == [(0, SHARDS), (1, SHARDS)]
    for process in processes:
        client = process.adapter.client
        assert not isinstance(client, discord.AutoShardedClient)  # one shard: discord.py's plain Client
        assert (client.shard_id, client.shard_count) == (process.shard, SHARDS)
        assert {g.id for g in client.guilds} == {g for g in guilds if shard_of(g) == process.shard}


async def test_every_guild_is_answered_once_by_the_process_of_its_shard(
    fake: FakeDiscord, guilds: dict[int, int], processes: list[Process]
) -> None:
    sent = [await fake.slash("profile", channel=channel) for channel in guilds.values()]
    for interaction in sent:
        callback = await fake.wait_for_callback(interaction)
        assert callback.status == 200 and callback.json["type"] == 4
    for interaction in sent:
        assert len(fake.callbacks_for(interaction)) == 1
    for process in processes:
        assert sorted(process.workspaces_handled()) == sorted(str(g) for g in guilds if shard_of(g) == process.shard)


async def test_schedules_of_both_shards_are_posted_once_by_their_own_process(
    fake: FakeDiscord, guilds: dict[int, int], processes: list[Process], clock: FixedClock
) -> None:
    for guild, channel in guilds.items():
        await add_schedule(processes[0].runtime, guild, channel)
    clock.set(NINE)
    passes = await asyncio.gather(*(p.runtime.schedule.deliver_due() for p in processes))
    for process, counts in zip(processes, passes, strict=True):
        mine = sorted(str(c) for g, c in guilds.items() if shard_of(g) == process.shard)
        assert counts.prompts == 2 and sorted(c for _, c in counts.posted) == mine
    for channel in guilds.values():
        assert len(posts(fake, channel)) == 1

    clock.set(NINE + dt.timedelta(minutes=REVEAL_MINUTES))
    passes = await asyncio.gather(*(p.runtime.schedule.deliver_due() for p in processes))
    for process, counts in zip(processes, passes, strict=True):
        mine = sorted(str(c) for g, c in guilds.items() if shard_of(g) == process.shard)
        assert counts.reveals == 2 and sorted(c for kind, c in counts.posted if kind == "reveal") == mine
    for channel in guilds.values():
        assert len(posts(fake, channel)) == 2  # the prompt and its reveal, each once


async def test_a_dead_process_claim_is_taken_over_only_by_a_process_of_its_shard(
    fake: FakeDiscord, guilds: dict[int, int], processes: list[Process], clock: FixedClock, catalog: Catalog
) -> None:
    guild = next(g for g in guilds if shard_of(g) == 1)
    schedule_id = await add_schedule(processes[0].runtime, guild, guilds[guild])
    key = prompt_key(schedule_id, NINE, "UTC")
    async with processes[0].runtime.services.engine.begin() as conn:  # claimed at 9:00, never posted
        await outbox.insert_claim(
            conn,
            {
                "key": key,
                "kind": "prompt",
                "schedule_id": schedule_id,
                "platform": "discord",
                "workspace": str(guild),
                "channel": str(guilds[guild]),
                "exam": "SAA-C03",
                "question_id": catalog.questions["SAA-C03"][0].id,
                "due_at": NINE,
                "state": "claimed",
                "nonce": nonce_for(key),
                "claimed_at": NINE,
            },
        )
    lease_over = NINE + LEASE + dt.timedelta(seconds=1)
    assert await processes[0].runtime.schedule.deliverer.next_reveal() is None  # not shard 0's to wake for
    assert await processes[1].runtime.schedule.deliverer.next_reveal() == lease_over

    clock.set(lease_over)
    other = await processes[0].runtime.schedule.deliver_due()
    assert other.prompts == 0 and posts(fake, guilds[guild]) == []
    own = await processes[1].runtime.schedule.deliver_due()
    assert own.prompts == 1 and len(posts(fake, guilds[guild])) == 1


# -- two real processes, each serving and running the scheduler ----------------------------------------


@dataclass(frozen=True)
class Child:
    """What one `studybot run`-like process is told: its database, shard, the fake and its minute."""

    url: str
    shard: int
    api: str
    gateway: str
    token: str
    now: dt.datetime


def serve_shard(child: Child, stop: Any, report: Any) -> None:
    """The process body: the runtime with its Discord adapter and the scheduler started (which first
    delivers what is due, as `studybot run` does), serving until told to stop; then it says which
    workspaces' commands it handled and which channels it posted to."""
    logs.configure("ERROR")
    discord.http.Route.BASE = child.api  # the documented redirections of REST and the gateway
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(child.gateway)
    asyncio.run(_serve_shard(child, stop, report))


async def _serve_shard(child: Child, stop: Any, report: Any) -> None:
    settings = make_settings(
        child.url, DISCORD_TOKEN=child.token, DISCORD_SHARD_COUNT=str(SHARDS), DISCORD_SHARD_IDS=str(child.shard)
    )
    process = Process(child.shard)
    process.runtime = Runtime(settings, clock=FixedClock(child.now), platforms=[process.connect])
    posted: list[str] = []
    async with process.runtime as runtime:
        deliverer = runtime.schedule.deliverer
        passes = deliverer.deliver_due

        async def observed(now: dt.datetime) -> Counts:  # every pass still the real one, its posts noted
            counts = await passes(now)
            posted.extend(channel for _, channel in counts.posted)
            return counts

        deliverer.deliver_due = observed  # type: ignore[method-assign]
        async with runtime.schedule:
            await asyncio.to_thread(stop.wait, 120)
    report.put((child.shard, sorted(process.workspaces_handled()), sorted(posted)))


async def test_two_processes_serve_their_shards_and_post_each_prompt_once(
    database_url: str, fake: FakeDiscord, guilds: dict[int, int], catalog: Catalog
) -> None:
    # The scheduler's wake-ups run on the real clock (APScheduler), so the runs are this very minute:
    # each process delivers them at start, and its next wake-up is a day away. Its own clock stands
    # a little after the minute, as a process started then would read it.
    due = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    now = due + dt.timedelta(seconds=30)
    settings = make_settings(database_url, DISCORD_TOKEN=fake.token)
    async with Runtime(settings, clock=FixedClock(now), catalog=catalog) as first:
        await sync_commands(fake.token, first.core.registry)
        async with first.services.engine.begin() as conn:
            for guild, channel in guilds.items():
                await schedule_store.create(
                    conn,
                    now - dt.timedelta(days=1),
                    platform="discord",
                    workspace=str(guild),
                    channel=str(channel),
                    exam="SAA-C03",
                    cron=f"{due.minute} {due.hour} * * *",
                    timezone="UTC",
                    reveal_minutes=REVEAL_MINUTES,
                    created_by="mod",
                )
    context = multiprocessing.get_context("spawn")
    stop, report = context.Event(), context.Queue()
    children = [
        context.Process(
            target=serve_shard,
            args=(Child(database_url, shard, fake.base_url, fake.gateway_url, fake.token, now), stop, report),
            daemon=True,
        )
        for shard in range(SHARDS)
    ]
    for child in children:
        child.start()
    try:
        await fake.wait_identified(SHARDS, within=90)
        for channel in guilds.values():
            await fake.wait_for(posted_to(channel), within=90)
        sent = [await fake.slash("profile", channel=channel) for channel in guilds.values()]
        for interaction in sent:
            assert (await fake.wait_for_callback(interaction, within=30)).status == 200
    finally:
        stop.set()
        reports = [await asyncio.to_thread(report.get, True, 60) for _ in children]
        for child in children:
            await asyncio.to_thread(child.join, 30)
    assert [child.exitcode for child in children] == [0, 0]
    for interaction in sent:
        assert len(fake.callbacks_for(interaction)) == 1
    for channel in guilds.values():
        assert len(posts(fake, channel)) == 1  # the prompt, once, though both processes ran the pass
    for shard, handled, posted in sorted(reports):
        mine = [g for g in guilds if shard_of(g) == shard]
        assert handled == sorted(str(g) for g in mine)
        assert posted == sorted(str(guilds[g]) for g in mine)


# -- the fake's shards, on the wire --------------------------------------------------------------------


async def identify(fake: FakeDiscord, shard: list[int]) -> tuple[list[dict[str, Any]], int | None]:
    """IDENTIFY on a raw gateway websocket as `shard`; the dispatches received up to the guilds, and the
    close code if the fake closed the session instead."""
    received: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as session, session.ws_connect(fake.gateway_url) as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": fake.token, "intents": 1, "properties": {}, "shard": shard}})
        while True:
            frame = await ws.receive(timeout=5)
            if frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return received, ws.close_code
            message = frame.json()
            received.append(message)
            ready = received[0]["d"]
            if len(received) == 1 + len(ready["guilds"]):
                return received, None


async def test_the_fake_gateway_routes_guilds_by_shard(fake: FakeDiscord, guilds: dict[int, int]) -> None:
    for shard in range(SHARDS):
        received, closed = await identify(fake, [shard, SHARDS])
        assert closed is None
        ready, *created = received
        assert ready["t"] == "READY" and ready["d"]["shard"] == [shard, SHARDS]
        mine = sorted(str(g) for g in guilds if shard_of(g) == shard)
        assert sorted(g["id"] for g in ready["d"]["guilds"]) == mine
        assert [m["t"] for m in created] == ["GUILD_CREATE"] * 2 and sorted(m["d"]["id"] for m in created) == mine


async def test_the_fake_gateway_closes_a_shard_outside_its_count(fake: FakeDiscord) -> None:
    received, closed = await identify(fake, [SHARDS, SHARDS])
    assert received == [] and closed == 4010
