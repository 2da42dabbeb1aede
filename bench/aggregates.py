"""Benchmark: `/leaderboard`, `/stats` and `/practice` at 10,000 and 1,000,000 stored answers, SQLite.

Run by hand: `python bench/aggregates.py [--sizes 10000 1000000] [--rounds 9]`. Target (issue 14): none
of them grows with the stored history, at most 3x from 10,000 to 1,000,000 answers.

Each size gets its own database file: 1,000 members of one workspace plus one member who gave half of
all answers (the issue's member with 500,000 answers at the larger size), answers spread over the 365
days before the bench's fixed "now", one attempt per answer and one review card per answered question.
The rows go in with plain `sqlite3` `executemany` on a database at revision 0005, the last one without
the aggregates, and the timed upgrade to head is migration 0006 counting them from those answers.

Beside each command, in the same run, on the same file, the old way: the recount queries over the raw
answers that the code ran before the aggregates, copied here as they were (`OldWay`), followed by the
same Python that turned their rows into the reply's numbers. "reads" times what each command reads and
computes, old and new alike; "command" is the whole `Core.handle_line` through the real runtime
(parsing, dispatch, reply building; `/practice` also serves the question it picks, a write).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command
from alembic.config import Config
from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.catalog import load_catalog
from bot.clock import FixedClock
from bot.practice import stats as stats_feature
from bot.practice.engine import pick
from bot.practice.scoring import streak
from bot.practice.stats import period_of
from bot.requests import Identity
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store import practice as store
from bot.store.db import MIGRATIONS, reading
from bot.store.schema import members, practice_answers, practice_attempts

NOW = dt.datetime(2026, 12, 6, 21, 0, tzinfo=dt.UTC)  # a Sunday evening: the calendar week is at its fullest
MEMBERS = 1_000
EXAMS = (("SAA-C03", 0.8), ("CLF-C02", 0.2))
WORKSPACE = "bench"
HEAVY = "heavy"
MIDDLE = "u500"  # an ordinary member, usually ranked far below the top ten


Reads = Callable[[AsyncConnection], Awaitable[Any]]


def who(user: str) -> Identity:
    return Identity("console", WORKSPACE, "c1", user, user.title())


def text(at: dt.datetime) -> str:
    """SQLite's stored form of a UTC timestamp (see bot/store/types.py)."""
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


# -- building the database -----------------------------------------------------------------------


def migrate_to(path: Path, revision: str) -> None:
    from sqlalchemy import create_engine as sync_engine

    engine = sync_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def fill(path: Path, answers: int, seed: int = 14) -> dict[str, float]:
    """Members, attempts, answers and review cards at revision 0005, in bulk; then the upgrade to head."""
    catalog = load_catalog()
    rng = random.Random(seed)
    migrate_to(path, "0005_delivery_indexes")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    created = text(NOW - dt.timedelta(days=400))
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO members (id, platform, workspace, user_id, display_name, created_at, updated_at) "
        "VALUES (?, 'console', ?, ?, ?, ?, ?)",
        [(n + 1, WORKSPACE, f"u{n}", f"Member {n}", created, created) for n in range(MEMBERS)]
        + [(MEMBERS + 1, WORKSPACE, HEAVY, "Heavy", created, created)],
    )
    db.execute("COMMIT")
    banks = {code: list(catalog.questions[code]) for code, _share in EXAMS}
    codes = [code for code, _share in EXAMS]
    weights = [share for _code, share in EXAMS]
    seen: set[tuple[int, str]] = set()
    cards: list[tuple[Any, ...]] = []
    chunk = 50_000
    for base in range(0, answers, chunk):
        attempt_rows, answer_rows = [], []
        for n in range(base, min(answers, base + chunk)):
            member = MEMBERS + 1 if n % 2 == 0 else 1 + rng.randrange(MEMBERS)
            exam = rng.choices(codes, weights)[0]
            question = rng.choice(banks[exam])
            at = text(NOW - dt.timedelta(seconds=rng.randrange(365 * 86_400)))
            correct = 1 if rng.random() < 0.7 else 0
            attempt_rows.append((n + 1, member, question.id, exam, question.domain, "practice", "0123", "c1", at, at))
            answer_rows.append(
                (
                    n + 1,
                    n + 1,
                    member,
                    question.id,
                    exam,
                    question.domain,
                    "practice",
                    "c1",
                    str(1 - correct),
                    correct,
                    at,
                )
            )
            if (member, question.id) not in seen:
                seen.add((member, question.id))
                cards.append((member, question.id, exam, 2, 0, 3.0, 5.0, at, at, 1, 0))
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO practice_attempts (id, member_id, question_id, exam, domain, source, option_order, "
            "channel, created_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            attempt_rows,
        )
        db.executemany(
            "INSERT INTO practice_answers (id, attempt_id, member_id, question_id, exam, domain, source, channel, "
            "chosen, correct, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            answer_rows,
        )
        db.execute("COMMIT")
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO review_cards (member_id, question_id, exam, state, step, stability, difficulty, due, "
        "last_review, reviews, lapses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        cards,
    )
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    filled = time.perf_counter() - started
    started = time.perf_counter()
    migrate_to(path, "head")
    return {"fill_s": filled, "migration_s": time.perf_counter() - started}


# -- the old way: the recount queries as the code ran them before the aggregates -------------------


class OldWay:
    """bot/store/practice.py's reads before issue 14, unchanged: every one a query over raw answers."""

    @staticmethod
    async def leaderboard(
        conn: AsyncConnection, platform_: str, workspace: str, since: dt.datetime | None, exam: str | None = None
    ) -> list[tuple[int, str, str, int, int]]:
        correct = func.coalesce(func.sum(case((practice_answers.c.correct, 1), else_=0)), 0)
        answered = func.count(practice_answers.c.id)
        conds = [members.c.platform == platform_, members.c.workspace == workspace]
        if since is not None:
            conds.append(practice_answers.c.answered_at >= since)
        if exam is not None:
            conds.append(practice_answers.c.exam == exam)
        stmt = (
            select(members.c.id, members.c.user_id, members.c.display_name, correct.label("c"), answered.label("n"))
            .select_from(members.join(practice_answers, practice_answers.c.member_id == members.c.id))
            .where(and_(*conds))
            .group_by(members.c.id, members.c.user_id, members.c.display_name)
            .order_by(correct.desc(), answered.asc(), members.c.display_name)
        )
        return [(i, u, n, int(c), int(a)) for i, u, n, c, a in (await conn.execute(stmt)).all()]

    @staticmethod
    async def accuracy_by_domain(conn: AsyncConnection, member_id: int) -> list[tuple[str, str, int, int]]:
        stmt = (
            select(
                practice_answers.c.exam,
                practice_answers.c.domain,
                func.count(),
                func.coalesce(func.sum(case((practice_answers.c.correct, 1), else_=0)), 0),
            )
            .where(practice_answers.c.member_id == member_id)
            .group_by(practice_answers.c.exam, practice_answers.c.domain)
            .order_by(practice_answers.c.exam, practice_answers.c.domain)
        )
        return [(e, d, int(n), int(c)) for e, d, n, c in (await conn.execute(stmt)).all()]

    @staticmethod
    async def answer_times(conn: AsyncConnection, member_id: int) -> list[dt.datetime]:
        stmt = select(practice_answers.c.answered_at).where(practice_answers.c.member_id == member_id)
        return list((await conn.execute(stmt)).scalars())

    @staticmethod
    async def history(conn: AsyncConnection, member_id: int, exam: str) -> dict[str, tuple[dt.datetime, bool]]:
        stmt = (
            select(practice_answers.c.question_id, practice_answers.c.answered_at, practice_answers.c.correct)
            .where((practice_answers.c.member_id == member_id) & (practice_answers.c.exam == exam))
            .order_by(practice_answers.c.answered_at, practice_answers.c.id)
        )
        return {qid: (at, bool(ok)) for qid, at, ok in (await conn.execute(stmt)).all()}

    @staticmethod
    async def served_count(conn: AsyncConnection, member_id: int) -> int:
        stmt = select(func.count()).select_from(practice_attempts).where(practice_attempts.c.member_id == member_id)
        return int((await conn.execute(stmt)).scalar_one())


# -- what each command reads and computes, old and new ---------------------------------------------


async def old_board(conn: AsyncConnection, user: str, since: dt.datetime | None) -> tuple[Any, ...]:
    standings = await OldWay.leaderboard(conn, "console", WORKSPACE, since)
    mine = next(((r, s) for r, s in enumerate(standings, start=1) if s[1] == user), None)
    return tuple((s[0], s[3], s[4]) for s in standings[:10]), (mine[0], mine[1][3]) if mine else None


async def new_board(conn: AsyncConnection, user: str, period: tuple[str, dt.date] | None) -> tuple[Any, ...]:
    board = await store.leaderboard(conn, "console", WORKSPACE, period, user_id=user, top=10)
    mine = (board.mine[0], board.mine[1].correct) if board.mine else None
    return tuple((s.member_id, s.correct, s.answered) for s in board.top), mine


async def old_stats(conn: AsyncConnection, member_id: int) -> tuple[Any, ...]:
    rows = await OldWay.accuracy_by_domain(conn, member_id)
    times = await OldWay.answer_times(conn, member_id)
    cards = await store.card_counts(conn, member_id, NOW)
    return tuple(rows), streak(times, "Europe/Berlin", NOW), cards


async def new_stats(conn: AsyncConnection, member_id: int) -> tuple[Any, ...]:
    rows = await store.accuracy_by_domain(conn, member_id)
    marks = await stats_feature.day_marks(conn, member_id, ZoneInfo("Europe/Berlin"))
    cards = await store.card_counts(conn, member_id, NOW)
    return tuple(rows), streak(marks, "Europe/Berlin", NOW), cards


def practice_reads(history: Callable[..., Awaitable[Any]], served: Callable[..., Awaitable[int]]) -> Any:
    async def run(conn: AsyncConnection, member_id: int, questions: list[Any]) -> str:
        seen = await history(conn, member_id, "SAA-C03")
        count = await served(conn, member_id)
        return pick(questions, seen, f"{member_id}|{count}").id

    return run


old_practice = practice_reads(OldWay.history, OldWay.served_count)
new_practice = practice_reads(store.history, store.served_count)


async def timed(rounds: int, work: Callable[[], Awaitable[Any]]) -> tuple[tuple[float, float], Any]:
    """(median, fastest) milliseconds of `rounds` runs after one warm-up, and the last result. On a
    machine others are using, the fastest round is the better estimate of the work itself."""
    result = await work()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = await work()
        times.append(1000 * (time.perf_counter() - started))
    return (statistics.median(times), min(times)), result


async def measure(path: Path, rounds: int) -> dict[str, tuple[float, float]]:
    settings = Settings.from_env({"STUDYBOT_DATABASE_URL": f"sqlite+aiosqlite:///{path}"}, env_file=None)
    out: dict[str, tuple[float, float]] = {}
    async with Runtime(settings, clock=FixedClock(NOW)) as rt:
        engine = rt.services.engine
        async with engine.connect() as conn:
            ids = dict((await conn.execute(select(members.c.user_id, members.c.id))).all())
        heavy = ids[HEAVY]
        questions = list(rt.services.catalog.questions["SAA-C03"])
        week = period_of(NOW, "week")  # the calendar week /leaderboard period:week counts
        assert week is not None
        monday = dt.datetime.combine(week[1], dt.time(), dt.UTC)  # the old recount: every answer since then
        pairs: list[tuple[str, Reads, Reads]] = [
            ("leaderboard all (heavy)", lambda c: old_board(c, HEAVY, None), lambda c: new_board(c, HEAVY, None)),
            ("leaderboard all (u500)", lambda c: old_board(c, MIDDLE, None), lambda c: new_board(c, MIDDLE, None)),
            ("leaderboard week (u500)", lambda c: old_board(c, MIDDLE, monday), lambda c: new_board(c, MIDDLE, week)),
            ("stats (heavy)", lambda c: old_stats(c, heavy), lambda c: new_stats(c, heavy)),
            (
                "practice (heavy)",
                lambda c: old_practice(c, heavy, questions),
                lambda c: new_practice(c, heavy, questions),
            ),
        ]

        async def run(fn: Reads) -> Any:
            """One fresh read transaction, as a command has."""
            async with reading(engine) as conn:
                return await fn(conn)

        for name, old, new in pairs:
            old_ms, old_result = await timed(rounds, partial(run, old))
            new_ms, new_result = await timed(rounds, partial(run, new))
            if old_result != new_result:
                raise SystemExit(f"{name}: the aggregates say {new_result!r}, the recount {old_result!r}")
            out[f"old {name}"], out[f"new {name}"] = old_ms, new_ms
        lines = {
            "command /leaderboard period:all (heavy)": (who(HEAVY), "/leaderboard period:all"),
            "command /leaderboard period:all (u500)": (who(MIDDLE), "/leaderboard period:all"),
            "command /leaderboard period:week (u500)": (who(MIDDLE), "/leaderboard period:week"),
            "command /stats (heavy)": (who(HEAVY), "/stats"),
            "command /practice exam:SAA-C03 (heavy)": (who(HEAVY), "/practice exam:SAA-C03"),
        }
        for name, (identity, line) in lines.items():
            ms, reply = await timed(rounds, partial(rt.core.handle_line, identity, line))
            if reply.title in ("Something went wrong", None):
                raise SystemExit(f"{name}: {reply}")
            out[name] = ms
    return out


async def main(sizes: list[int], rounds: int) -> None:
    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} CPUs usable, load average {os.getloadavg()[0]:.1f}"
    )
    results: dict[int, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / f"answers-{size}.sqlite3"
            built = fill(path, size)
            print(f"{size:,} answers: bulk insert {built['fill_s']:.1f} s, migration 0006 {built['migration_s']:.1f} s")
            results[size] = await measure(path, rounds)
            path.unlink()
    names = list(results[sizes[0]])
    head = " | ".join(f"{s:,} answers" for s in sizes)
    for index, label in ((0, "median"), (1, "fastest")):
        print(f"\n| {label} ms | {head} | growth |")
        print("|---|" + "---|" * (len(sizes) + 1))
        for name in names:
            values = [results[s][name][index] for s in sizes]
            ratio = values[-1] / values[0] if values[0] else float("nan")
            print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in values) + f" | {ratio:.1f}x |")
    print(f"(load average at the end {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    asyncio.run(main(args.sizes, args.rounds))
