"""Benchmark: a delivery pass when nothing is due, over a year's worth of schedules and deliveries.

The scheduler also wakes for reveals, for claims whose lease ran out and for its periodic resync; most
of those passes find no prompt due. Issue 14 asks that such an idle pass over 10,000 schedules with
20,000 delivery rows takes under a second, so that it costs what is due, not what is stored. The
schedules post daily at 09:00 UTC and reveal an hour later; each already has today's prompt and its
reveal (two rows per schedule), so the pass at 12:00 has nothing to post. Timed from the call to its
return, several times.

    .venv/bin/python bench/idle_pass.py [--schedules 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from bot.catalog import load_catalog
from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.schema import schedule_deliveries, schedules

NOON = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


async def run(count: int, runs: int) -> list[float]:
    clock = FixedClock(NOON - dt.timedelta(days=3))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'idle.sqlite3'}"
        settings = Settings.from_env({"STUDYBOT_DATABASE_URL": url}, env_file=None)
        async with Runtime(settings, clock=clock, catalog=load_catalog()) as rt:
            now = clock.now()
            async with rt.services.engine.begin() as conn:
                await conn.execute(
                    insert(schedules),
                    [
                        {
                            "platform": "discord",
                            "workspace": "guild",
                            "channel": f"c{i:05d}",
                            "exam": "SAA-C03",
                            "cron": "0 9 * * *",
                            "timezone": "UTC",
                            "reveal_minutes": 60,
                            "paused": False,
                            "failures": 0,
                            "active_from": now,
                            "created_by": "mod",
                            "created_at": now,
                            "updated_at": now,
                        }
                        for i in range(count)
                    ],
                )
                question = rt.services.catalog.questions["SAA-C03"][0].id
                due = NOON.replace(hour=9)
                common = {"platform": "discord", "workspace": "guild", "exam": "SAA-C03", "question_id": question}
                prompts = [
                    {
                        **common,
                        "schedule_id": i + 1,
                        "channel": f"c{i:05d}",
                        "key": f"p:{i + 1}:{due:%Y-%m-%dT%H:%M}",
                        "kind": "prompt",
                        "due_at": due,
                        "state": "posted",
                        "nonce": f"n{i}",
                        "claimed_at": due,
                        "posted_at": due,
                        "message_id": f"m{i}",
                        "reveal_at": due + dt.timedelta(hours=1),
                    }
                    for i in range(count)
                ]
                ids = (
                    await conn.execute(
                        insert(schedule_deliveries).returning(schedule_deliveries.c.id, sort_by_parameter_order=True),
                        prompts,
                    )
                ).scalars()
                rows = [
                    {
                        **common,
                        "schedule_id": i + 1,
                        "channel": f"c{i:05d}",
                        "key": f"r:{prompt_id}",
                        "kind": "reveal",
                        "prompt_id": prompt_id,
                        "due_at": due + dt.timedelta(hours=1),
                        "state": "posted",
                        "nonce": f"r{i}",
                        "claimed_at": due + dt.timedelta(hours=1),
                        "posted_at": due + dt.timedelta(hours=1),
                        "message_id": f"r{i}",
                    }
                    for i, prompt_id in enumerate(ids)
                ]
                await conn.execute(insert(schedule_deliveries), rows)
            clock.set(NOON)
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                counts = await rt.schedule.deliver_due()
                times.append(time.perf_counter() - started)
                assert counts.prompts == counts.reveals == 0, counts
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times = asyncio.run(run(args.schedules, args.runs))
    print(
        f"idle pass over {args.schedules:,} schedules and {2 * args.schedules:,} delivery rows: "
        f"median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s ({args.runs} runs)"
    )


if __name__ == "__main__":
    main()
