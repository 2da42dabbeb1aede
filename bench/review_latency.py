"""Benchmark: `/review` against a member's stored cards, with the final-mock slice left out (issue 17).

Run by hand: `python bench/review_latency.py [--rounds 200] [--database-url URL]` (SQLite in a temporary
file by default; a PostgreSQL URL must name an empty database of your own). Two members:

- "short": 60 cards of questions practice serves, half due now (a member since the slice was held out);
- "long": a card for every shipped question, 1,665, half due now, the 810 of the final-mock slice among
  them (a member who practised everything before the slice was held out, so nearly half their cards are
  ones review must never serve).

Each round times, for each member, the whole `/review` request through the core (which serves a card:
an attempt is written) and then the review reads alone (`review_reads`: the same statements `/review`
runs to pick the card and count what is due, without serving). Prints the median and the 90th
percentile in milliseconds, and the median CPU time of this process (on PostgreSQL the server's work
is not in it). The code timed is whatever `bot` this file sits beside.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from bot.clock import FixedClock
from bot.practice import plans
from bot.requests import Identity
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store import members as member_store
from bot.store import practice as practice_store
from bot.store import reviews as plan_store
from bot.store.schema import review_cards

NOW = dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.UTC)


async def seed(rt: Runtime, who: Identity, question_ids: list[tuple[str, str]]) -> int:
    """The member and one card per (question, exam), every other one due now; returns the member id."""
    async with rt.services.engine.begin() as conn:
        member = await member_store.ensure(conn, who, NOW)
        rows: list[dict[str, Any]] = []
        for n, (qid, exam) in enumerate(question_ids):
            due = NOW - dt.timedelta(hours=n + 1) if n % 2 else NOW + dt.timedelta(hours=n + 1)
            rows.append(
                {
                    "member_id": member.id,
                    "question_id": qid,
                    "exam": exam,
                    "state": 2,
                    "step": None,
                    "stability": 3.0,
                    "difficulty": 5.0,
                    "due": due,
                    "last_review": NOW - dt.timedelta(days=3),
                    "reviews": 2,
                    "lapses": 0,
                }
            )
        await conn.execute(insert(review_cards), rows)
        return member.id


async def review_reads(rt: Runtime, member_id: int) -> None:
    """What `/review` reads before serving: the plan, today's count, the due cards and the counts, as
    `bot.practice.due.next_review` runs them. Runs on the code before the held-out table too (commit
    2fc1d98), which first found the member's held-out cards (`cards_among`) and passed them to each read."""
    svc = rt.services
    async with svc.engine.begin() as conn:
        among = getattr(practice_store, "cards_among", None)
        held = await among(conn, member_id, svc.questions.held_out_ids()) if among is not None else None
        extra: tuple[Any, ...] = (held,) if among is not None else ()
        skip: dict[str, Any] = {"skip": held} if among is not None else {}
        plan = await plan_store.get(conn, member_id)
        await plans.settle(conn, member_id, plan, plans.local_day(NOW, "UTC"), NOW, "UTC", *extra)
        await plans.reviewed_today(conn, member_id, NOW, "UTC")
        await practice_store.due_card_questions(conn, member_id, NOW, None, 20, **skip)
        await practice_store.card_counts(conn, member_id, NOW, None, **skip)


async def timed(work: Awaitable[Any], cpu: list[float]) -> float:
    """Milliseconds `work` takes; the process's CPU milliseconds (every thread, so aiosqlite's too) go to
    `cpu`, which a loaded machine inflates far less than the wall clock."""
    t0, c0 = time.perf_counter(), time.process_time()
    await work
    cpu.append(1000 * (time.process_time() - c0))
    return 1000 * (time.perf_counter() - t0)


async def main(rounds: int, url: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = url or f"sqlite+aiosqlite:///{folder}/b.sqlite3"
        settings = Settings.from_env({"STUDYBOT_DATABASE_URL": url}, None)
        async with Runtime(settings, clock=FixedClock(NOW)) as rt:
            index = rt.services.questions
            shipped = sorted((q.id, exam) for exam, bank in rt.services.catalog.questions.items() for q in bank)
            free = [(q, e) for q, e in shipped if not index.is_held_out(q)]
            members = {
                "short": await seed(rt, Identity("console", "bench", "bench", "ada", "Ada"), free[:60]),
                "long": await seed(rt, Identity("console", "bench", "bench", "lin", "Lin"), shipped),
            }
            who = {
                "short": Identity("console", "bench", "bench", "ada", "Ada"),
                "long": Identity("console", "bench", "bench", "lin", "Lin"),
            }
            for name in members:  # warm the statement caches
                await rt.core.handle_line(who[name], "/review")
                await review_reads(rt, members[name])
            whole: dict[str, list[float]] = {name: [] for name in members}
            reads: dict[str, list[float]] = {name: [] for name in members}
            cpu: dict[str, list[float]] = {f"{kind} {name}": [] for kind in ("whole", "reads") for name in members}
            for _ in range(rounds):
                for name, member_id in members.items():
                    whole[name].append(await timed(rt.core.handle_line(who[name], "/review"), cpu[f"whole {name}"]))
                    reads[name].append(await timed(review_reads(rt, member_id), cpu[f"reads {name}"]))
            reply = await rt.core.handle_line(who["long"], "/review")
            assert not any(index.is_held_out(b.action_id.split(":")[3]) for b in reply.buttons), reply
    engine = url.split("+", 1)[0]
    for label, table in (("/review (whole request)", whole), ("review reads", reads)):
        for name, times in table.items():
            p90 = statistics.quantiles(times, n=10)[-1]
            spent = statistics.median(cpu[f"{'whole' if table is whole else 'reads'} {name}"])
            print(
                f"{engine} {label}, {name}: median {statistics.median(times):.2f} ms, p90 {p90:.2f} ms, "
                f"median CPU {spent:.2f} ms"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.database_url))
