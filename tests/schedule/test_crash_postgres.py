"""Crash harness on PostgreSQL: three delivery processes at once on one database, one of them SIGKILLed
at a seeded point, then later passes (three at once again); every schedule's prompt and reveal of the
day reach Slack exactly once, and the outbox records the very message that was posted.

Slack is the platform because it has no nonce of its own: a post made twice by two processes, or
re-made by the one that took over a dead one's claim, shows up in the fake as two messages. The three
passes share one fake Slack and tell themselves apart by their User-Agent. A kill at the n-th post
takes whichever pass made it; a kill while claiming takes a seeded one of the three. Each trial gets
its own database, copied from a migrated template, as the other PostgreSQL tests get theirs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg
import pytest

from bot.schedule.deliveries import LEASE
from bot.store import create_engine, upgrade
from tests.conftest import PG_URL_VAR, _postgres_url
from tests.fakes.slack_server import TEAM_ID, FakeSlack, Record
from tests.schedule.crashlab import (
    MONDAY_9,
    REVEAL_MINUTES,
    Killer,
    Pass,
    Plan,
    Run,
    add_schedules,
    outbox_rows,
    slack_posts,
    verdict,
)

TRIALS = 20
CHANNELS = 4
PROCESSES = 3
AT_ONCE = 2
LATER = LEASE + dt.timedelta(seconds=30)
REVEAL = MONDAY_9 + dt.timedelta(minutes=REVEAL_MINUTES + 5)
TOKEN = "xoxb-1-crash-test"


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
def pg_base(postgres_base_url: str | None) -> str:
    if postgres_base_url is None:
        reason = f"set {PG_URL_VAR}" if _postgres_url() is None else f"PostgreSQL at {PG_URL_VAR} is not reachable"
        pytest.skip(f"no PostgreSQL server here ({reason}); CI runs these")
    return postgres_base_url


@asynccontextmanager
async def database(base: str, template: str | None = None) -> AsyncIterator[str]:
    """A new database (a copy of `template` when given), dropped afterwards; its URL."""
    name = f"studybot_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_plain(base))
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await admin.close()
    head, _, _ = base.rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        admin = await asyncpg.connect(_plain(base))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def pg_claims(conn: asyncpg.Connection, kind: str) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        return int(await conn.fetchval("SELECT count(*) FROM schedule_deliveries WHERE kind = $1", kind))

    return count


def tag_of(record: Record) -> str:
    return record.headers.get("User-Agent", "").split(" ", 1)[0]


async def trial(seed: int, base: str, template: str) -> tuple[Plan, bool, list[str]]:
    rng = random.Random(seed)
    plan = Plan.draw(rng, CHANNELS)
    victim = f"pass{rng.randrange(PROCESSES)}"
    if plan.kind == "prompt":
        passes, killed = [(MONDAY_9, PROCESSES), (MONDAY_9 + LATER, PROCESSES), (REVEAL, 1)], 0
    else:
        passes, killed = [(MONDAY_9, 1), (REVEAL, PROCESSES), (REVEAL + LATER, PROCESSES)], 1
    killer = Killer(plan)
    runs: dict[str, Run] = {}
    watching = False
    async with database(base, template) as url, FakeSlack() as fake:
        channels = [f"C0CRASH{n}" for n in range(CHANNELS)]
        await add_schedules(url, "slack", TEAM_ID, channels)

        async def hook(record: Record) -> None:
            if watching:
                await killer.posted(runs[tag_of(record)])

        fake.after("chat.postMessage", hook)
        watcher_conn = await asyncpg.connect(_plain(url))
        try:
            for index, (now, count) in enumerate(passes):
                fake.epoch = int(now.timestamp())
                runs.clear()
                watching = index == killed
                for n in range(count):
                    tag = f"pass{n}"
                    run = Run(Pass(url, now, "slack", fake.base_url, TOKEN, tag))
                    runs[tag] = run
                    if watching and tag == victim:
                        killer.run = run
                watcher = None
                if index == killed:
                    watcher = asyncio.create_task(killer.watch_claims(pg_claims(watcher_conn, plan.kind)))
                codes = {tag: await run.wait() for tag, run in runs.items()}
                if watcher is not None:
                    await watcher
                watching = False
                for tag, code in codes.items():
                    expected = -9 if runs[tag].killed else 0
                    assert code == expected, f"seed {seed}: {tag} at {now:%H:%M:%S} exited with {code}"
        finally:
            await watcher_conn.close()
        found = verdict(await outbox_rows(url), slack_posts(fake.messages)).problems(CHANNELS)
        if fake.calls("unknown"):
            found.append(f"the fake saw calls it does not know: {fake.calls('unknown')}")
    landed = killer.run is not None and killer.run.killed
    return plan, landed, [f"seed {seed} {plan}: {p}" for p in found]


async def test_three_processes_on_postgresql_one_killed_post_each_once(pg_base: str) -> None:
    async with database(pg_base) as template_url:
        engine = create_engine(template_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()
        template = template_url.rpartition("/")[2]
        gate = asyncio.Semaphore(AT_ONCE)

        async def one(seed: int) -> tuple[Plan, bool, list[str]]:
            async with gate:
                return await trial(seed, pg_base, template)

        results = await asyncio.gather(*(one(20261204 + n) for n in range(TRIALS)))
    problems = [p for _plan, _landed, found in results for p in found]
    assert problems == [], "\n".join(problems)
    killed = [plan for plan, landed, _found in results if landed]
    assert len(killed) >= TRIALS * 3 // 4, f"only {len(killed)} of {TRIALS} kills landed"
    assert {p.kind for p in killed} == {"prompt", "reveal"}
