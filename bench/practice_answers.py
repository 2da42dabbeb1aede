"""Benchmark: a burst of 10,000 practice answers from 1,000 members through the core into SQLite.

Run by hand: `python bench/practice_answers.py`. Target (issue 8): at least 10,000 answers/s, p99 under
50 ms, and the count in the database equal to the answers sent. Every answer is a button press handled
by `Core.handle(Action(...))` exactly as an adapter would deliver it: decode the id, grade, queue for the
single writer, wait for the group commit, build the verdict reply with every explanation.

Three ways of sending, each with its own 10,000 fresh questions:

- burst: all 10,000 presses started at once (the worst case for latency; the throughput ceiling);
- members: 1,000 members pressing concurrently, each answering their 10 questions one after another;
- paced: presses arriving at a steady 10,000/s, the target rate (open loop, so slow answers do not
  slow down the arrivals and hide their own latency).

Latency is measured per press from the moment the core starts handling it until its reply is ready; for
the burst the time spent waiting for the event loop before that is shown as well. Beside them, raw
`sqlite3` inserts into a table of the same shape with the same settings (WAL, synchronous=NORMAL, as
`bot/store/db.py` sets), measured in the same run: one transaction per insert, and batched.

`--gc-freeze` is a diagnostic, not the product: it calls `gc.freeze()` once start-up and setup are done,
so the garbage collector's full collections stop walking the ~120,000 long-lived objects of the loaded
libraries and content. The bot does not do this today; the flag shows how much of the time goes there.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import itertools
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from bot.practice.engine import Served, answer_components, member_key
from bot.practice.questions import shuffled_order
from bot.requests import Action, Identity
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.schema import members, practice_answers, practice_attempts

EXAM = "SAA-C03"
MEMBERS = 1_000
PER_MEMBER = 10
SCENARIOS = ("burst", "members", "paced")


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def identity(n: int) -> Identity:
    return Identity("console", "bench", "c1", f"u{n}", f"Member {n}")


async def setup(rt: Runtime, now: dt.datetime) -> dict[str, list[list[str]]]:
    """Members and served questions, written straight to the store (setting up is not what we measure).

    Returns, per scenario, per member, the action ids of the presses to send.
    """
    catalog = rt.services.catalog
    exam = catalog.exam(EXAM)
    assert exam is not None
    questions = list(catalog.questions[EXAM])
    engine = rt.services.engine
    async with engine.begin() as conn:
        await conn.execute(
            insert(members),
            [
                {
                    "platform": "console",
                    "workspace": "bench",
                    "user_id": f"u{n}",
                    "display_name": f"Member {n}",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(MEMBERS)
            ],
        )
        ids = dict((await conn.execute(select(members.c.user_id, members.c.id))).all())
    presses: dict[str, list[list[str]]] = {s: [[] for _ in range(MEMBERS)] for s in SCENARIOS}
    for scenario_index, scenario in enumerate(SCENARIOS):
        rows, picks = [], []
        for n in range(MEMBERS):
            who = identity(n)
            for k in range(PER_MEMBER):
                q = questions[(n * 7 + k * 13 + scenario_index * PER_MEMBER) % len(questions)]
                order = shuffled_order(member_key(who), q)
                rows.append(
                    {
                        "member_id": ids[who.user_id],
                        "question_id": q.id,
                        "exam": EXAM,
                        "domain": q.domain,
                        "source": "practice",
                        "option_order": order,
                        "channel": "c1",
                        "created_at": now,
                    }
                )
                picks.append((n, q, order))
        async with engine.begin() as conn:
            attempt_ids = (
                (
                    await conn.execute(
                        insert(practice_attempts).returning(practice_attempts.c.id, sort_by_parameter_order=True), rows
                    )
                )
                .scalars()
                .all()
            )
        for attempt_id, (n, q, order) in zip(attempt_ids, picks, strict=True):
            buttons, select_ = answer_components(Served(attempt_id, q, order, exam))
            if select_ is not None:  # multiple response: the menu itself submits the chosen letters
                presses[scenario][n].append(select_.action_id + "|" + "AB"[: q.choose])
            else:
                presses[scenario][n].append(buttons[(n + attempt_id) % len(buttons)].action_id)
    return presses


async def press(
    rt: Runtime, who: Identity, raw: str, latencies: list[float], titles: list[str], delivery_id: str | None = None
) -> None:
    action_id, _, letters = raw.partition("|")
    values = tuple(letters) if letters else ()
    start = time.perf_counter()
    reply = await rt.core.handle(Action(who, action_id, values=values, delivery_id=delivery_id))
    latencies.append(time.perf_counter() - start)
    titles.append(reply.title or "")


async def run_scenario(
    rt: Runtime, scenario: str, presses: list[list[str]], *, delivery_ids: bool = False
) -> dict[str, float]:
    latencies: list[float] = []
    titles: list[str] = []
    ends: list[float] = []
    total = sum(len(p) for p in presses)
    writer = rt.services.writer
    batches_before = writer.batches
    started = time.perf_counter()
    serial = itertools.count()

    async def one(n: int, raw: str) -> None:
        # A Slack press carries its trigger id, which the dispatcher claims once (the delivery ledger).
        delivery = f"slack:{scenario}.{next(serial)}.t:1700000000.0" if delivery_ids else None
        await press(rt, identity(n), raw, latencies, titles, delivery)
        ends.append(time.perf_counter() - started)

    if scenario == "burst":
        await asyncio.gather(*(one(n, raw) for n, mine in enumerate(presses) for raw in mine))
    elif scenario == "members":

        async def member(n: int) -> None:
            for raw in presses[n]:
                await one(n, raw)

        await asyncio.gather(*(member(n) for n in range(len(presses))))
    else:
        # One producer starts each press when its time comes (every millisecond, the ones now due),
        # so the arrivals cost the loop as much as real ones would, spread over the second.
        flat = [(n, raw) for k in range(PER_MEMBER) for n, mine in enumerate(presses) for raw in mine[k : k + 1]]
        rate = 10_000.0
        tasks: list[asyncio.Task[None]] = []
        sent = 0
        while sent < len(flat):
            due = min(len(flat), int((time.perf_counter() - started) * rate) + 1)
            tasks.extend(asyncio.create_task(one(n, raw)) for n, raw in flat[sent:due])
            sent = due
            await asyncio.sleep(0.001)
        await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    bad = [t for t in titles if t not in ("Correct", "Not quite")]
    if bad:
        raise SystemExit(f"{scenario}: {len(bad)} presses did not get a verdict, e.g. {bad[0]!r}")
    return {
        "sent": total,
        "rate": total / elapsed,
        "p50": 1000 * statistics.median(latencies),
        "p99": 1000 * pct(latencies, 0.99),
        "max": 1000 * max(latencies),
        "e2e_p50": 1000 * statistics.median(ends),
        "e2e_p99": 1000 * pct(ends, 0.99),
        "batches": writer.batches - batches_before,
        "elapsed": elapsed,
    }


def raw_sqlite(path: Path, rows: int) -> dict[str, float]:
    """The same row shape and unique key as practice_answers, with bot/store/db.py's pragmas."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE answers (id INTEGER PRIMARY KEY, attempt_id INTEGER NOT NULL UNIQUE, member_id INTEGER, "
        "question_id TEXT, exam TEXT, domain TEXT, source TEXT, channel TEXT, chosen TEXT, correct BOOLEAN, "
        "answered_at TIMESTAMP)"
    )
    sql = "INSERT INTO answers VALUES (NULL, ?, ?, 'saa-c03-001', 'SAA-C03', 'Design', 'practice', 'c1', '0', 1, ?)"
    stamp = "2026-11-23 08:00:00.000000"
    out: dict[str, float] = {}
    start = time.perf_counter()
    for i in range(rows):
        db.execute("BEGIN IMMEDIATE")
        db.execute(sql, (i, i % MEMBERS, stamp))
        db.execute("COMMIT")
    out["one_per_tx"] = rows / (time.perf_counter() - start)
    start = time.perf_counter()
    for base in range(rows, 2 * rows, 512):
        db.execute("BEGIN IMMEDIATE")
        db.executemany(sql, [(i, i % MEMBERS, stamp) for i in range(base, min(base + 512, 2 * rows))])
        db.execute("COMMIT")
    out["batched_512"] = rows / (time.perf_counter() - start)
    db.close()
    return out


async def main(scenarios: list[str], *, gc_freeze: bool = False, delivery_ids: bool = False) -> None:
    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} CPUs usable" + ("; DIAGNOSTIC: gc.freeze() after setup" if gc_freeze else "")
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        settings = Settings.from_env({"STUDYBOT_DATABASE_URL": url}, env_file=None)
        async with Runtime(settings) as rt:
            presses = await setup(rt, rt.clock.now())
            if gc_freeze:
                gc.collect()
                gc.freeze()
            sent = 0
            for scenario in scenarios:
                r = await run_scenario(rt, scenario, presses[scenario], delivery_ids=delivery_ids)
                sent += int(r["sent"])
                extra = (
                    f"; end-to-end from burst start p50 {r['e2e_p50']:.0f} ms, p99 {r['e2e_p99']:.0f} ms"
                    if scenario == "burst"
                    else ""
                )
                print(
                    f"{scenario:8} {int(r['sent']):,} answers in {r['elapsed']:.2f} s = {r['rate']:,.0f} answers/s; "
                    f"latency p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, max {r['max']:.1f} ms; "
                    f"{int(r['batches'])} commits{extra}"
                )
            async with rt.services.engine.connect() as conn:
                stored = (await conn.execute(select(func.count()).select_from(practice_answers))).scalar_one()
        print(f"stored answers: {stored:,} of {sent:,} sent" + ("" if stored == sent else "  <-- MISMATCH"))
        raw = raw_sqlite(Path(tmp) / "raw.sqlite3", 10_000)
        print(
            f"raw sqlite3 (WAL, synchronous=NORMAL): one transaction per insert {raw['one_per_tx']:,.0f}/s; "
            f"batches of 512 {raw['batched_512']:,.0f}/s"
        )
        if stored != sent:
            raise SystemExit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="run only these scenarios")
    parser.add_argument("--gc-freeze", action="store_true", help="diagnostic: gc.freeze() after setup (see above)")
    parser.add_argument(
        "--delivery-ids", action="store_true", help="give each press a Slack-shaped delivery id, as Slack presses have"
    )
    args = parser.parse_args()
    asyncio.run(main(args.only or list(SCENARIOS), gc_freeze=args.gc_freeze, delivery_ids=args.delivery_ids))
