"""A real `studybot schedule deliver-due` process killed with SIGKILL at random points while posting,
then run again after the lease: no prompt is ever posted twice, and none is left silently unclaimed.

The console records a post before printing it, so the worst a crash can do is lose the one post in
flight (it stays recorded, never doubled). A running bot also wakes when a dead process's claim
passes its lease, instead of waiting for the next schedule.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.schedule.deliveries import LEASE
from bot.store import deliveries as outbox
from bot.store.schema import schedule_deliveries
from tests.conftest import make_settings, person

MOD = person("mo", moderator=True)
CHANNELS = 60
MONDAY_9 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)  # 09:00 in Berlin
POSTED = re.compile(r"^--- posted in #(\S+) ")


async def _schedules(url: str, catalog: Catalog) -> None:
    clock = FixedClock(MONDAY_9 - dt.timedelta(days=1))
    async with Runtime(make_settings(url), clock=clock, catalog=catalog) as rt:
        for n in range(CHANNELS):
            reply = await rt.core.handle_line(
                MOD, f"/studyadmin schedule add channel:#c{n} exam:SAA-C03 preset:weekdays-9am timezone:Europe/Berlin"
            )
            assert reply.title != "That didn't work", reply.text


def _deliver(url: str, now: dt.datetime, out: Path, kill_after: float | None) -> None:
    env = {**os.environ, "STUDYBOT_DATABASE_URL": url, "STUDYBOT_LOG_LEVEL": "ERROR"}
    with out.open("a") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "schedule", "deliver-due", "--now", now.isoformat()],
            stdout=sink,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        if kill_after is None:
            assert proc.wait(timeout=120) == 0
            return
        deadline = time.monotonic() + kill_after
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)


async def _states(url: str) -> Counter[str]:
    from bot.store import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(schedule_deliveries.c.state).where(schedule_deliveries.c.kind == "prompt"))
            return Counter(rows.scalars())
    finally:
        await engine.dispose()


def test_sigkill_while_posting_never_doubles_a_prompt(tmp_path: Path, catalog: Catalog) -> None:
    rng = random.Random(20261202)
    for trial in range(4):
        url = f"sqlite+aiosqlite:///{tmp_path / f'crash{trial}.sqlite3'}"
        asyncio.run(_schedules(url, catalog))
        out = tmp_path / f"posts{trial}.txt"
        _deliver(url, MONDAY_9, out, kill_after=rng.uniform(0.8, 2.5))  # killed while starting or posting
        _deliver(url, MONDAY_9 + LEASE + dt.timedelta(seconds=30), out, kill_after=None)  # after the lease
        posts = Counter(m.group(1) for line in out.read_text().splitlines() if (m := POSTED.match(line)))
        assert max(posts.values(), default=0) <= 1, [c for c, n in posts.items() if n > 1]
        states = asyncio.run(_states(url))
        assert states["claimed"] == 0 and sum(states.values()) == CHANNELS, states
        assert len(posts) >= CHANNELS - 1, (trial, len(posts))  # at most the one post in flight is lost


async def test_a_dead_claim_wakes_the_running_scheduler_when_its_lease_ends(sqlite_url: str, catalog: Catalog) -> None:
    async with Runtime(make_settings(sqlite_url), clock=FixedClock(MONDAY_9), catalog=catalog) as rt:
        async with rt.services.engine.begin() as conn:
            await outbox.insert_claim(
                conn,
                {
                    "key": "p:999:test",
                    "kind": "prompt",
                    "platform": "console",
                    "workspace": "w1",
                    "channel": "c",
                    "exam": "SAA-C03",
                    "question_id": "x",
                    "due_at": MONDAY_9,
                    "state": "claimed",
                    "nonce": "n",
                    "claimed_at": MONDAY_9,
                },
            )
        wake = await rt.schedule.deliverer.next_reveal()
        assert wake is not None and MONDAY_9 + LEASE < wake <= MONDAY_9 + LEASE + dt.timedelta(seconds=5)
