"""Benchmark: `/leaderboard`, `/stats` and `/practice` at 10,000 and 1,000,000 stored answers, SQLite and PostgreSQL.

Run by hand: `python bench/aggregates.py [--sizes 10000 1000000] [--rounds 9] [--postgres URL] [--spread]`.
Target (issue 14): none of them grows with the stored history, at most 3x from 10,000 to 1,000,000 answers.

Each size gets its own database (a SQLite file; with `--postgres`, a scratch database named after the
URL's, created on that server and dropped at the end unless `--keep`): 1,000 members of one workspace
plus one member who gave half of the history (the issue's member with 500,000 answers at the larger
size), one attempt per answer, one review card per answered question, and a season that began on the
Monday of the bench's fixed "now" (a Sunday evening, so the calendar week is at its fullest). The rows go
in as bulk inserts (`sqlite3` `executemany`, asyncpg `COPY`) at revision 0005, the last one without the
aggregates, and the upgrade to head counts them from those answers (migrations 0006 and 0010).

What is held the same at both sizes, by default: the current period. The same 3,000 answers from the
same 100 members (and the heavy member) fall between that Monday and "now", so this week, this month and
the season hold the same activity at 10,000 and at 1,000,000 stored answers; the rest of the history
goes to the 365 days before that Monday, from all 1,000 members. That is what the target is about: more
history, not more members active this week. `--spread` is the earlier bench, kept to compare figures
with: every answer spread over the 365 days before "now", so the week's active members grow from about
95 to all 1,000 with the size.

"command" is the whole `Core.handle_line` through the real runtime, from the typed line arriving at
the core to its reply (parsing, dispatch, reads, reply building; `/practice` also serves the question
it picks, a write). `--recount` adds, in the same run on the same database, the recount queries over
the raw answers that the code ran before the aggregates (`OldWay`), beside what the aggregates read, and
stops if the two disagree (slow: seconds a round at 1,000,000 answers). `--keep DIR` keeps the databases
(and reuses them when they hold what this run would build), `--schema-at REV` moves a kept database to
that revision with this code's migrations before measuring (so another checkout's code can measure the
same data), `--json FILE` writes the figures and a digest of each reply.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import and_, case, event, func, select
from sqlalchemy import create_engine as sync_engine
from sqlalchemy.engine import Connection, make_url
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
from bot.store.db import MIGRATIONS, create_engine, reading, sqlite_path
from bot.store.schema import members, practice_answers, practice_attempts

NOW = dt.datetime(2026, 12, 6, 21, 0, tzinfo=dt.UTC)  # a Sunday evening: the calendar week is at its fullest
CURRENT_FROM = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)  # that week's Monday; the season began then too
CURRENT_ANSWERS = 3_000  # held the same at every size (not with --spread)
ACTIVE = 100  # the members who answer in the current week (not with --spread)
MEMBERS = 1_000
EXAMS = (("SAA-C03", 0.8), ("CLF-C02", 0.2))
WORKSPACE = "bench"
HEAVY = "heavy"
ACTIVE_MEMBER = "u50"  # active this week, usually ranked below the top ten
MIDDLE = "u500"  # an ordinary member: this week, absent unless --spread


Reads = Callable[[AsyncConnection], Awaitable[Any]]


def who(user: str) -> Identity:
    return Identity("console", WORKSPACE, "c1", user, user.title())


def text(at: dt.datetime) -> str:
    """SQLite's stored form of a UTC timestamp (see bot/store/types.py)."""
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


# -- building the database -----------------------------------------------------------------------


def _alembic(connection: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    script = ScriptDirectory.from_config(config)
    target = script.get_current_head() if revision == "head" else revision
    current = MigrationContext.configure(connection).get_current_revision()
    if current == target:
        return
    if current is None or current in {r.revision for r in script.iterate_revisions(target, "base")}:
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


async def migrate_to(url: str, revision: str) -> float:
    """Move the database to `revision` (up or down) with this checkout's migrations; seconds taken.

    SQLite through a plain engine, foreign keys off as SQLite has them by default: migration 0009
    rebuilds `practice_attempts`, and with `bot.store.db`'s `foreign_keys=ON` that rebuild deletes every
    stored answer through `ON DELETE CASCADE`."""
    started = time.perf_counter()
    path = sqlite_path(url)
    if path is not None:
        plain_engine = sync_engine(f"sqlite:///{path}")
        try:
            with plain_engine.begin() as connection:
                _alembic(connection, revision)
        finally:
            plain_engine.dispose()
        return time.perf_counter() - started
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_alembic, revision)
    finally:
        await engine.dispose()
    return time.perf_counter() - started


def history(size: int, spread: bool) -> Iterator[tuple[int, str, Any, dt.datetime, bool]]:
    """(member id, exam, question, time, correct) of every stored answer, oldest part first."""
    catalog = load_catalog()
    banks = {code: list(catalog.questions[code]) for code, _share in EXAMS}
    codes = [code for code, _share in EXAMS]
    weights = [share for _code, share in EXAMS]
    heavy = MEMBERS + 1
    if spread:
        rng = random.Random(14)
        for n in range(size):
            member = heavy if n % 2 == 0 else 1 + rng.randrange(MEMBERS)
            exam = rng.choices(codes, weights)[0]
            question = rng.choice(banks[exam])
            at = NOW - dt.timedelta(seconds=rng.randrange(365 * 86_400))
            yield member, exam, question, at, rng.random() < 0.7
        return
    older = NOW - dt.timedelta(days=365)
    span = int((CURRENT_FROM - older).total_seconds())
    rng = random.Random(14)
    for n in range(size - CURRENT_ANSWERS):
        member = heavy if n % 2 == 0 else 1 + rng.randrange(MEMBERS)
        exam = rng.choices(codes, weights)[0]
        question = rng.choice(banks[exam])
        yield member, exam, question, older + dt.timedelta(seconds=rng.randrange(span)), rng.random() < 0.7
    now_rng = random.Random(15)  # its own sequence: the same current answers at every size
    span = int((NOW - CURRENT_FROM).total_seconds())
    for n in range(CURRENT_ANSWERS):
        member = heavy if n % 3 == 0 else 1 + now_rng.randrange(ACTIVE)
        exam = now_rng.choices(codes, weights)[0]
        question = now_rng.choice(banks[exam])
        at = CURRENT_FROM + dt.timedelta(seconds=now_rng.randrange(span))
        yield member, exam, question, at, now_rng.random() < 0.7


class Target:
    """Where the rows go: bulk inserts of positional rows, and a statement now and then."""

    url: str
    postgres: bool

    async def rows(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    async def sql(self, statement: str) -> list[Any]:
        raise NotImplementedError

    def value(self, v: Any) -> Any:
        """A Python value as this target's bulk insert wants it."""
        if self.postgres:
            return v
        if isinstance(v, dt.datetime):
            return text(v)
        if isinstance(v, bool):
            return int(v)
        return v

    async def close(self) -> None:
        raise NotImplementedError


class SqliteTarget(Target):
    def __init__(self, path: Path) -> None:
        self.url, self.postgres = f"sqlite+aiosqlite:///{path}", False
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")

    async def rows(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" for _ in columns)
        self.db.execute("BEGIN")
        self.db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        self.db.execute("COMMIT")

    async def sql(self, statement: str) -> list[Any]:
        return self.db.execute(statement).fetchall()

    async def close(self) -> None:
        self.db.close()


class PostgresTarget(Target):
    def __init__(self, url: str, conn: asyncpg.Connection) -> None:
        self.url, self.postgres, self.conn = url, True, conn

    async def rows(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        await self.conn.copy_records_to_table(table, records=rows, columns=columns)

    async def sql(self, statement: str) -> list[Any]:
        return list(await self.conn.fetch(statement))

    async def close(self) -> None:
        await self.conn.close()


def plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def fill(target: Target, size: int, spread: bool) -> dict[str, float]:
    """Members, attempts, answers and review cards at revision 0005, in bulk; the upgrade to head; the
    season and its baselines (every member's totals per exam from the answers before it began)."""
    v = target.value
    await migrate_to(target.url, "0005_delivery_indexes")
    started = time.perf_counter()
    created = v(NOW - dt.timedelta(days=400))
    await target.rows(
        "members",
        ["id", "platform", "workspace", "user_id", "display_name", "created_at", "updated_at"],
        [(n + 1, "console", WORKSPACE, f"u{n}", f"Member {n}", created, created) for n in range(MEMBERS)]
        + [(MEMBERS + 1, "console", WORKSPACE, HEAVY, "Heavy", created, created)],
    )
    seen: set[tuple[int, str]] = set()
    cards: list[tuple[Any, ...]] = []
    before: dict[tuple[int, str], list[int]] = {}
    attempt_rows: list[tuple[Any, ...]] = []
    answer_rows: list[tuple[Any, ...]] = []

    async def flush() -> None:
        await target.rows(
            "practice_attempts",
            ["id", "member_id", "question_id", "exam", "domain", "source", "option_order", "channel", "created_at",
             "closed_at"],
            attempt_rows,
        )  # fmt: skip
        await target.rows(
            "practice_answers",
            ["id", "attempt_id", "member_id", "question_id", "exam", "domain", "source", "channel", "chosen",
             "correct", "answered_at"],
            answer_rows,
        )  # fmt: skip
        attempt_rows.clear()
        answer_rows.clear()

    for n, (member, exam, question, at, correct) in enumerate(history(size, spread)):
        stamp = v(at)
        attempt_rows.append((n + 1, member, question.id, exam, question.domain, "practice", "0123", "c1", stamp, stamp))
        answer_rows.append(
            (n + 1, n + 1, member, question.id, exam, question.domain, "practice", "c1", str(1 - correct), v(correct),
             stamp)
        )  # fmt: skip
        if at < CURRENT_FROM:
            tally = before.setdefault((member, exam), [0, 0])
            tally[0] += 1
            tally[1] += correct
        if (member, question.id) not in seen:
            seen.add((member, question.id))
            cards.append((member, question.id, exam, 2, 0, 3.0, 5.0, stamp, stamp, 1, 0))
        if len(answer_rows) == 50_000:
            await flush()
    await flush()
    await target.rows(
        "review_cards",
        ["member_id", "question_id", "exam", "state", "step", "stability", "difficulty", "due", "last_review",
         "reviews", "lapses"],
        cards,
    )  # fmt: skip
    if target.postgres:
        for table in ("members", "practice_attempts", "practice_answers", "review_cards"):
            await target.sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    await target.sql("ANALYZE")
    filled = time.perf_counter() - started
    migration = await migrate_to(target.url, "head")
    await target.rows(
        "seasons",
        ["id", "platform", "workspace", "name", "started_at", "started_by"],
        [(1, "console", WORKSPACE, "Winter", v(CURRENT_FROM), "u0")],
    )
    await target.rows(
        "season_baselines",
        ["season_id", "member_id", "exam", "answered", "correct"],
        [(1, m, e, n, c) for (m, e), (n, c) in sorted(before.items())],
    )
    if target.postgres:
        await target.sql("SELECT setval(pg_get_serial_sequence('seasons', 'id'), 1)")
    await target.sql("CREATE TABLE bench_built (size INTEGER NOT NULL, spread INTEGER NOT NULL)")
    await target.sql(f"INSERT INTO bench_built VALUES ({size}, {int(spread)})")
    await target.sql("ANALYZE")
    return {"fill_s": filled, "migration_s": migration}


async def built(target: Target) -> tuple[int, int] | None:
    try:
        found = await target.sql("SELECT size, spread FROM bench_built")
    except (sqlite3.Error, asyncpg.PostgresError):
        return None
    return (int(found[0][0]), int(found[0][1])) if found else None


def remove(path: Path) -> None:
    """A SQLite file and its journal files."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@asynccontextmanager
async def database(
    size: int, spread: bool, postgres: str | None, keep: Path | None, tmp: Path
) -> AsyncIterator[Target]:
    """The database of one size, built unless `keep` already holds it; dropped at the end unless kept."""
    name = f"answers_{size}{'_spread' if spread else ''}"
    if postgres is None:
        path = (keep or tmp) / f"{name}.sqlite3"
        target: Target = SqliteTarget(path)
        fresh = await built(target) != (size, int(spread))
        if fresh:
            await target.close()
            remove(path)
            target = SqliteTarget(path)
        try:
            yield target
        finally:
            await target.close()
            if keep is None:
                remove(path)
        return
    server = make_url(postgres)
    scratch = f"{server.database}_{name}"
    admin = await asyncpg.connect(plain(postgres))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", scratch)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{scratch}"')
        url = server.set(database=scratch).render_as_string(hide_password=False)
        target = PostgresTarget(url, await asyncpg.connect(plain(url)))
        if exists and await built(target) != (size, int(spread)):
            await target.close()
            await admin.execute(f'DROP DATABASE "{scratch}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{scratch}"')
            target = PostgresTarget(url, await asyncpg.connect(plain(url)))
        try:
            yield target
        finally:
            await target.close()
            if keep is None:
                await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    finally:
        await admin.close()


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


COMMANDS = (
    ("/leaderboard period:week, active member", ACTIVE_MEMBER, "/leaderboard period:week"),
    ("/leaderboard period:week, member u500", MIDDLE, "/leaderboard period:week"),
    ("/leaderboard period:month, active member", ACTIVE_MEMBER, "/leaderboard period:month"),
    ("/leaderboard period:season, active member", ACTIVE_MEMBER, "/leaderboard period:season"),
    ("/leaderboard period:all, heavy member", HEAVY, "/leaderboard period:all"),
    ("/leaderboard period:all, member u500", MIDDLE, "/leaderboard period:all"),
    ("/stats, heavy member", HEAVY, "/stats"),
    ("/practice exam:SAA-C03, heavy member", HEAVY, "/practice exam:SAA-C03"),
)


@dataclass
class Measured:
    times: dict[str, list[float]]  # milliseconds of each round, per command (or read)
    replies: dict[str, str]  # the last reply of each command, as text
    start_s: float  # the runtime's start, its schema upgrade included


def shown(reply: Any) -> str:
    """A reply as text: what is compared between two checkouts' runs on the same data."""
    fields = [f"{field.name}: {field.value}" for field in reply.fields]
    return "\n".join(part for part in (reply.title, reply.text, *fields, reply.footer) if part)


async def measure(url: str, rounds: int, recount: bool, explain: bool = False, warmup: int = 3) -> Measured:
    """Every command once per round, in turn (so a burst of load from others falls on all of them
    alike), after `warmup` rounds that are not counted; with `recount`, the old recount reads and the new ones too."""
    settings = Settings.from_env({"STUDYBOT_DATABASE_URL": url}, env_file=None)
    started = time.perf_counter()
    times: dict[str, list[float]] = {name: [] for name, _user, _line in COMMANDS}
    replies: dict[str, str] = {}
    async with Runtime(settings, clock=FixedClock(NOW)) as rt:
        start_s = time.perf_counter() - started
        for round_ in range(warmup + rounds):
            for name, user, line in COMMANDS:
                began = time.perf_counter()
                reply = await rt.core.handle_line(who(user), line)
                took = 1000 * (time.perf_counter() - began)
                if reply.title in ("Something went wrong", None):
                    raise SystemExit(f"{name}: {reply}")
                if round_ >= warmup:
                    times[name].append(took)
                replies[name] = shown(reply)
        if recount:
            times.update(await recount_reads(rt, rounds))
        if explain:
            await explain_commands(rt)
    return Measured(times, replies, start_s)


async def explain_commands(rt: Runtime) -> None:
    """The plan of every read each command sends (PostgreSQL: EXPLAIN ANALYZE, so with its row counts
    and time), printed; what to look at when a figure grows."""
    engine = rt.services.engine
    postgres = engine.dialect.name == "postgresql"
    sent: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, params))

    for name, user, line in COMMANDS:
        sent.clear()
        event.listen(engine.sync_engine, "before_cursor_execute", seen)
        try:
            await rt.core.handle_line(who(user), line)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", seen)
        print(f"\n## {name}: {len(sent)} reads")
        async with engine.connect() as conn:
            for statement, params in sent:
                prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
                plan = (await conn.exec_driver_sql(prefix + statement, params)).all()
                print(" ".join(statement.split())[:300])
                print("\n".join("    " + " ".join(str(part) for part in row[-1:]) for row in plan))
            await conn.rollback()


async def recount_reads(rt: Runtime, rounds: int) -> dict[str, list[float]]:
    engine = rt.services.engine
    async with engine.connect() as conn:
        ids = dict((await conn.execute(select(members.c.user_id, members.c.id))).all())
    heavy = ids[HEAVY]
    qs = list(rt.services.catalog.questions["SAA-C03"])
    week, month = period_of(NOW, "week"), period_of(NOW, "month")
    assert week is not None and month is not None
    monday = dt.datetime.combine(week[1], dt.time(), dt.UTC)  # the old recount: every answer since then
    first = dt.datetime.combine(month[1], dt.time(), dt.UTC)
    active = ACTIVE_MEMBER
    pairs: list[tuple[str, Reads, Reads]] = [
        ("all, heavy member", lambda c: old_board(c, HEAVY, None), lambda c: new_board(c, HEAVY, None)),
        ("all, member u500", lambda c: old_board(c, MIDDLE, None), lambda c: new_board(c, MIDDLE, None)),
        ("week, active member", lambda c: old_board(c, active, monday), lambda c: new_board(c, active, week)),
        ("month, active member", lambda c: old_board(c, active, first), lambda c: new_board(c, active, month)),
        ("stats, heavy member", lambda c: old_stats(c, heavy), lambda c: new_stats(c, heavy)),
        ("practice, heavy member", lambda c: old_practice(c, heavy, qs), lambda c: new_practice(c, heavy, qs)),
    ]  # fmt: skip

    async def run(fn: Reads) -> Any:
        """One fresh read transaction, as a command has."""
        async with reading(engine) as conn:
            return await fn(conn)

    out: dict[str, list[float]] = {}
    for name, old, new in pairs:
        for label, fn in (("old", old), ("new", new)):
            result = await run(fn)
            out[f"{label} reads: {name}"] = []
            for _ in range(rounds):
                began = time.perf_counter()
                result = await run(fn)
                out[f"{label} reads: {name}"].append(1000 * (time.perf_counter() - began))
            if label == "old":
                expected = result
            elif result != expected:
                raise SystemExit(f"{name}: the aggregates say {result!r}, the recount {expected!r}")
    return out


def load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"{one:.1f} (5 min {five:.1f})"


async def main(args: argparse.Namespace) -> None:
    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} CPUs usable, load average {load()}; "
        f"{'answers spread over the year (--spread)' if args.spread else 'the current week held the same'}"
    )
    backends = [None] + ([args.postgres] if args.postgres else []) if not args.only_postgres else [args.postgres]
    report: dict[str, Any] = {"load_start": os.getloadavg(), "spread": args.spread, "rounds": args.rounds}
    with tempfile.TemporaryDirectory() as tmp:
        for postgres in backends:
            kind = "postgresql" if postgres else "sqlite"
            results: dict[int, Measured] = {}
            for size in args.sizes:
                async with database(size, args.spread, postgres, args.keep, Path(tmp)) as target:
                    if await built(target) is None:
                        made = await fill(target, size, args.spread)
                        print(f"{kind}, {size:,} answers: bulk insert {made['fill_s']:.1f} s, "
                              f"upgrade to head {made['migration_s']:.1f} s")  # fmt: skip
                    if args.schema_at:
                        took = await migrate_to(target.url, args.schema_at)
                        print(f"{kind}, {size:,} answers: schema moved to {args.schema_at} in {took:.1f} s")
                    if args.prepare_only:
                        continue
                    results[size] = await measure(target.url, args.rounds, args.recount, args.explain, args.warmup)
                    print(f"{kind}, {size:,} answers: runtime start {results[size].start_s:.2f} s, load {load()}")
            if args.prepare_only:
                continue
            report[kind] = {
                str(size): {"times": m.times, "start_s": m.start_s,
                            "digests": {k: hashlib.sha256(r.encode()).hexdigest()[:12] for k, r in m.replies.items()},
                            "replies": m.replies}
                for size, m in results.items()
            }  # fmt: skip
            first, last = min(args.sizes), max(args.sizes)
            print(f"\n{kind}: milliseconds, median and fastest of {args.rounds} rounds, {first:,} → {last:,} answers")
            print("| | median | growth | fastest | growth |\n|---|---|---|---|---|")
            for name in results[first].times:
                a, b = results[first].times[name], results[last].times[name]
                med = (statistics.median(a), statistics.median(b))
                low = (min(a), min(b))
                print(
                    f"| {name} | {med[0]:.2f} → {med[1]:.2f} | {med[1] / med[0]:.1f}x "
                    f"| {low[0]:.2f} → {low[1]:.2f} | {low[1] / low[0]:.1f}x |"
                )
    report["load_end"] = os.getloadavg()
    print(f"(load average at the end {load()})")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=3, help="rounds run first and not counted")
    parser.add_argument("--spread", action="store_true", help="the earlier bench: every answer over the year")
    parser.add_argument("--postgres", metavar="URL", help="also on PostgreSQL: scratch databases on this server")
    parser.add_argument("--only-postgres", action="store_true", help="PostgreSQL only (with --postgres)")
    parser.add_argument("--recount", action="store_true", help="also the old recount reads beside the new ones")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep (and reuse) the databases; SQLite files here")
    parser.add_argument("--schema-at", metavar="REV", help="move a database to this revision before measuring")
    parser.add_argument("--prepare-only", action="store_true", help="build or move the databases, measure nothing")
    parser.add_argument("--explain", action="store_true", help="print the plan of every read each command sends")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures and replies here")
    asyncio.run(main(parser.parse_args()))
