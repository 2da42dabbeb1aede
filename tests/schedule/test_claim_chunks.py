"""A big minute is claimed in chunks, each in its own short write transaction, and posting starts with
the first chunk: the first post does not wait for thousands of claims, no transaction holds SQLite's
write lock for the whole minute, and posts in flight stay within what the database pool can serve."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import event, func, insert, select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.replies import Reply
from bot.schedule.deliveries import CLAIM_CHUNK, POOL_RESERVE
from bot.schedule.ports import PostResult
from bot.store.db import pool_capacity, reading
from bot.store.schema import schedule_deliveries, schedules
from tests.schedule.conftest import FakePoster, at, open_runtime

MONDAY_9 = at("2026-11-30T09:00:00+00:00")
CHANNELS = 3 * CLAIM_CHUNK + 7  # three full chunks and a partial one


async def _add_schedules(rt: Any, now: dt.datetime) -> None:
    """The schedules of a big community, straight into the store (adding them is not what is tested)."""
    async with rt.services.engine.begin() as conn:
        await conn.execute(
            insert(schedules),
            [
                {
                    "platform": "console",
                    "workspace": "local",
                    "channel": f"c{n:04d}",
                    "exam": ("SAA-C03", "CLF-C02")[n % 2],
                    "cron": "0 9 * * *",
                    "timezone": "UTC",
                    "reveal_minutes": 720,
                    "paused": False,
                    "failures": 0,
                    "active_from": now,
                    "created_by": "mo",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(CHANNELS)
            ],
        )


class Watching(FakePoster):
    """Posts like FakePoster; notes how many claims existed at the first post, and how many posts were
    in flight at once (each post yields to the loop a few times, as a network call would)."""

    def __init__(self, engine: Any) -> None:
        super().__init__()
        self.engine = engine
        self.claims_at_first_post: int | None = None
        self.in_flight = 0
        self.most_in_flight = 0

    async def post(self, workspace: str, channel: str, reply: Reply, *, nonce: str | None = None) -> PostResult:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.claims_at_first_post is None:
                self.claims_at_first_post = -1  # taken: only the first post counts
                async with reading(self.engine) as conn:
                    count = select(func.count()).select_from(schedule_deliveries)
                    self.claims_at_first_post = (await conn.execute(count)).scalar_one()
            for _ in range(3):
                await asyncio.sleep(0)
            return await super().post(workspace, channel, reply, nonce=nonce)
        finally:
            self.in_flight -= 1


def _connections_in_use(engine: Any) -> list[int]:
    """The most connections of `engine`'s pool checked out at once, as a one-item list kept current."""
    most = [0]
    in_use = [0]

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def checkout(*_args: Any) -> None:
        in_use[0] += 1
        most[0] = max(most[0], in_use[0])

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def checkin(*_args: Any) -> None:
        in_use[0] -= 1

    return most


def _claims_per_transaction(engine: Any) -> list[int]:
    """Claims inserted by each committed transaction of `engine`, in commit order."""
    per_commit: list[int] = []
    sync = engine.sync_engine

    @event.listens_for(sync, "begin")
    def begin(conn: Any) -> None:
        conn.info["claims"] = 0

    @event.listens_for(sync, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO SCHEDULE_DELIVERIES"):
            conn.info["claims"] = conn.info.get("claims", 0) + 1

    @event.listens_for(sync, "commit")
    def commit(conn: Any) -> None:
        if conn.info.get("claims"):
            per_commit.append(conn.info["claims"])
        conn.info["claims"] = 0

    return per_commit


async def test_a_big_minute_is_claimed_in_short_chunks_and_posting_starts_with_the_first(
    database_url: str, catalog: Catalog
) -> None:
    clock = FixedClock(MONDAY_9 - dt.timedelta(days=1))
    async with open_runtime(database_url, clock, catalog, FakePoster()) as rt:
        poster = Watching(rt.services.engine)
        rt.services.posters.add(poster)
        await _add_schedules(rt, clock.now())
        per_commit = _claims_per_transaction(rt.services.engine)
        connections = _connections_in_use(rt.services.engine)
        clock.set(MONDAY_9)
        counts = await rt.schedule.deliver_due()

        assert counts.prompts == CHANNELS
        assert Counter(channel for channel, *_ in poster.posts) == {f"c{n:04d}": 1 for n in range(CHANNELS)}
        # Claimed a chunk per transaction, never the whole minute in one.
        assert sum(per_commit) == CHANNELS
        assert max(per_commit) <= CLAIM_CHUNK
        # The first post went out while later chunks were still to be claimed.
        assert poster.claims_at_first_post is not None and 0 < poster.claims_at_first_post < CHANNELS
        # The pass never used more connections than the pool can spare beside commands: its posts'
        # slots, plus the one the claiming itself reads and writes with (and the one this test's poster
        # reads with at the first post).
        capacity = pool_capacity(rt.services.engine)
        assert capacity is not None
        assert connections[0] <= capacity - POOL_RESERVE + 2
        assert rt.schedule.deliverer.database_slots == capacity - POOL_RESERVE

        # A second pass in the same minute finds everything claimed and posts nothing more.
        assert (await rt.schedule.deliver_due()).prompts == 0
        assert len(poster.posts) == CHANNELS


async def test_an_idle_pass_costs_what_is_due_not_what_is_stored(database_url: str, catalog: Catalog) -> None:
    """After the minute's prompts are out, a pass (a reveal's wake-up, the resync) finds nothing due
    with a handful of queries, however many schedules there are: one read of the schedules, their
    last runs in lookups of several hundred, the reveals and open claims; never a query per schedule."""
    clock = FixedClock(MONDAY_9 - dt.timedelta(days=1))
    async with open_runtime(database_url, clock, catalog, FakePoster()) as rt:
        await _add_schedules(rt, clock.now())
        clock.set(MONDAY_9)
        assert (await rt.schedule.deliver_due()).prompts == CHANNELS
        statements: list[str] = []

        @event.listens_for(rt.services.engine.sync_engine, "before_cursor_execute")
        def count(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
            if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
                statements.append(statement)

        clock.set(MONDAY_9 + dt.timedelta(minutes=30))
        counts = await rt.schedule.deliver_due()
        assert counts.prompts == counts.reveals == counts.skipped == 0
        assert len(statements) <= 10, statements
