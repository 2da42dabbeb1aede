"""The aggregates the leaderboard, `/stats` and `/practice` read equal a recount from the raw answers.

A seeded random mix goes through the real answer writer (the running batches and the path that runs
alone), on SQLite and PostgreSQL: several members in two workspaces, two exams, re-answers of the
same question, double presses, presses by someone else, answers around UTC midnight and around the
DST changes of two zones, out of order inside a batch. Every aggregate, every leaderboard window
(all time, this and earlier calendar weeks and months) and every streak in several
zones is then compared with what the raw answers say, the way the code counted before the aggregates.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alembic import command
from alembic.config import Config
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog
from bot.ops.transfer import export_workspace, import_workspace
from bot.practice import stats
from bot.practice.scoring import streak
from bot.practice.writer import AnswerJob, AnswerWriter, commit_jobs
from bot.store import create_engine, upgrade
from bot.store import members as member_store
from bot.store import practice as store
from bot.store.db import MIGRATIONS
from bot.store.schema import (
    member_days,
    member_periods,
    member_questions,
    member_totals,
    members,
    practice_answers,
    practice_attempts,
)
from tests.conftest import person

EXAMS = ("SAA-C03", "CLF-C02")
# Around Europe's (2026-10-25) and the US's (2026-11-01) DST ends, and on for a month after.
FIRST = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
DAYS = 40
NOW = FIRST + dt.timedelta(days=DAYS, hours=9, minutes=17)
ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Kiritimati",
    "America/St_Johns",
)
PEOPLE = (  # (workspace, user, display name): two Sams tie on name, w2 is another place
    ("w1", "ada", "Ada"),
    ("w1", "bob", "Bob"),
    ("w1", "sam1", "Sam"),
    ("w1", "sam2", "Sam"),
    ("w1", "cy", "Cy"),
    ("w2", "ada", "Ada"),
)


def _moment(rng: random.Random) -> dt.datetime:
    """A time in the seeded range, often right at or beside a UTC midnight or a DST change."""
    day = FIRST + dt.timedelta(days=rng.randrange(DAYS))
    kind = rng.random()
    if kind < 0.2:
        return day + dt.timedelta(seconds=rng.choice((0, 1, -1, 59)))
    if kind < 0.3:
        change = rng.choice((dt.datetime(2026, 10, 25, 1, tzinfo=dt.UTC), dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC)))
        return change + dt.timedelta(minutes=rng.randrange(-180, 180))
    return day + dt.timedelta(seconds=rng.randrange(86_400))


async def _serve(engine: AsyncEngine, catalog: Catalog, rng: random.Random, count: int) -> list[tuple[Any, ...]]:
    """`count` attempts, some of them to a question the member was already served."""
    served: list[tuple[Any, ...]] = []
    async with engine.begin() as conn:
        for _ in range(count):
            workspace, user, name = rng.choice(PEOPLE)
            who = dataclasses.replace(person(user, workspace=workspace), user_name=name)
            member = await member_store.ensure(conn, who, FIRST)
            exam = rng.choice(EXAMS)
            question = rng.choice(list(catalog.questions[exam])[:6])  # few questions: many re-answers
            attempt = await store.create_attempt(
                conn,
                member_id=member.id,
                question_id=question.id,
                exam=exam,
                domain=question.domain,
                source=rng.choice(("practice", "review", "group")),
                option_order="0123",
                channel="c1",
                now=FIRST,
            )
            served.append((attempt, workspace, user, question.id))
    return served


def _job(served: tuple[Any, ...], rng: random.Random, *, user: str | None = None) -> AnswerJob:
    attempt, workspace, owner, question_id = served
    correct = rng.random() < 0.6
    return AnswerJob(
        attempt,
        "console",
        workspace,
        user or owner,
        question_id,
        "0123",
        "0" if correct else "1",
        correct,
        _moment(rng),
    )


async def _answer_randomly(engine: AsyncEngine, catalog: Catalog, seed: int) -> None:
    rng = random.Random(seed)
    writer = AnswerWriter(engine, max_batch=rng.choice((3, 16, 64)))
    await writer.start()
    try:
        for _round in range(6):
            served = await _serve(engine, catalog, rng, 40)
            jobs = [_job(s, rng) for s in served if rng.random() < 0.85]
            jobs += [_job(s, rng) for s in rng.sample(served, 8)]  # pressed twice: counted once
            jobs += [_job(s, rng, user="mallory") for s in rng.sample(served, 3)]  # not theirs
            rng.shuffle(jobs)
            await asyncio.gather(*(writer.record(j) for j in jobs))
        # The same rules when no writer runs (one transaction per call, through SQLAlchemy).
        served = await _serve(engine, catalog, rng, 30)
        await commit_jobs(engine, [_job(s, rng) for s in served], writer.grade)
    finally:
        await writer.stop()


async def _raw(engine: AsyncEngine) -> tuple[list[tuple[Any, ...]], dict[int, tuple[str, str, str]], dict[int, int]]:
    """Every stored answer, every member (platform, workspace, user) and every served count."""
    async with engine.connect() as conn:
        answers = (
            await conn.execute(
                select(
                    practice_answers.c.id,
                    practice_answers.c.member_id,
                    practice_answers.c.exam,
                    practice_answers.c.domain,
                    practice_answers.c.question_id,
                    practice_answers.c.correct,
                    practice_answers.c.answered_at,
                )
            )
        ).all()
        people = {
            i: (p, w, n)
            for i, p, w, n in (
                await conn.execute(select(members.c.id, members.c.workspace, members.c.user_id, members.c.display_name))
            ).all()
        }
        attempts = (
            await conn.execute(
                select(practice_attempts.c.member_id, func.count()).group_by(practice_attempts.c.member_id)
            )
        ).all()
    return [tuple(a) for a in answers], people, {int(m): int(n) for m, n in attempts}


async def _assert_tables_match_a_recount(engine: AsyncEngine) -> None:
    answers, _people, attempts = await _raw(engine)
    totals: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    days: dict[tuple[int, dt.date, str], list[Any]] = {}
    latest: dict[tuple[int, str, str], tuple[dt.datetime, int, bool]] = {}
    periods: dict[tuple[int, str, dt.date, str], list[int]] = defaultdict(lambda: [0, 0])
    for answer_id, member_id, exam, domain, question_id, correct, at in answers:
        totals[(member_id, exam, domain)][0] += 1
        totals[(member_id, exam, domain)][1] += int(correct)
        day = days.setdefault((member_id, at.date(), exam), [0, 0, at, at])
        day[0] += 1
        day[1] += int(correct)
        day[2], day[3] = min(day[2], at), max(day[3], at)
        key = (member_id, exam, question_id)
        if key not in latest or (at, answer_id) > latest[key][:2]:
            latest[key] = (at, answer_id, bool(correct))
        for period, starts in _periods_of(at.date()):
            row = periods[(member_id, period, starts, exam)]
            row[0] += 1
            row[1] += int(correct)
    async with engine.connect() as conn:
        stored_periods = {
            (m, p, s, e): [n, c] for m, p, s, e, n, c in (await conn.execute(select(member_periods))).all()
        }
        stored_totals = {(m, e, d): (s, n, c) for m, e, d, s, n, c in (await conn.execute(select(member_totals))).all()}
        stored_days = {
            (m, d, e): [n, c, f, la] for m, d, e, n, c, f, la in (await conn.execute(select(member_days))).all()
        }
        stored_latest = {
            (m, e, q): (at, bool(ok)) for m, e, q, at, ok in (await conn.execute(select(member_questions))).all()
        }
    expected = {key: (0, n, c) for key, (n, c) in totals.items()}
    expected.update({(member_id, "", ""): (count, 0, 0) for member_id, count in attempts.items()})
    assert stored_totals == expected
    assert stored_days == days
    assert stored_latest == {key: (at, ok) for key, (at, _id, ok) in latest.items()}
    assert stored_periods == periods


def _periods_of(day: dt.date) -> list[tuple[str, dt.date]]:
    """The calendar week (from Monday) and month of a UTC day, worked out here without the store's code."""
    return [("week", dt.date.fromordinal(day.toordinal() - day.weekday())), ("month", dt.date(day.year, day.month, 1))]


def _old_board(
    answers: list[tuple[Any, ...]],
    people: dict[int, tuple[str, str, str]],
    workspace: str,
    period: tuple[str, dt.date] | None,
    exam: str | None,
) -> list[tuple[int, int, int]]:
    """What a leaderboard over raw answers says: (member, correct, answered), best first."""
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for _id, member_id, answer_exam, _domain, _question, correct, at in answers:
        if people[member_id][0] != workspace or (period is not None and period not in _periods_of(at.date())):
            continue
        if exam is not None and answer_exam != exam:
            continue
        tally[member_id][0] += int(correct)
        tally[member_id][1] += 1
    ranked = sorted(tally.items(), key=lambda item: (-item[1][0], item[1][1], people[item[0]][2], item[0]))
    return [(member_id, c, n) for member_id, (c, n) in ranked]


async def _assert_reads_match_a_recount(engine: AsyncEngine) -> None:
    answers, people, attempts = await _raw(engine)
    windows: list[tuple[str, dt.date] | None] = [
        None,
        ("week", store.period_start("week", NOW.date())),
        ("month", store.period_start("month", NOW.date())),
        ("week", dt.date(2026, 10, 26)),  # the Monday after Europe's DST end, inside the answers
        ("week", dt.date(2026, 10, 19)),  # the week the answers begin in
        ("month", dt.date(2026, 10, 1)),
        ("week", dt.date(2026, 10, 12)),  # before any answer
    ]
    async with engine.connect() as conn:
        for workspace in ("w1", "w2", "nobody"):
            for window in windows:
                for exam in (None, *EXAMS):
                    expected = _old_board(answers, people, workspace, window, exam)
                    for user in ("ada", "sam2", "cy", "zed"):
                        board = await store.leaderboard(conn, "console", workspace, window, exam, user_id=user, top=2)
                        assert [(s.member_id, s.correct, s.answered) for s in board.top] == expected[:2]
                        place = next(
                            (p for p, (m, _c, _n) in enumerate(expected, start=1) if people[m][1] == user), None
                        )
                        assert (board.mine[0] if board.mine else None) == place, (workspace, window, exam, user)
        for member_id in people:
            mine = [a for a in answers if a[1] == member_id]
            assert await store.served_count(conn, member_id) == attempts.get(member_id, 0)
            for exam in (None, *EXAMS):
                by_domain: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
                last: dict[str, tuple[dt.datetime, int, bool]] = {}
                for answer_id, _m, answer_exam, domain, question_id, correct, at in mine:
                    if exam is not None and answer_exam != exam:
                        continue
                    by_domain[(answer_exam, domain)][0] += 1
                    by_domain[(answer_exam, domain)][1] += int(correct)
                    if question_id not in last or (at, answer_id) > last[question_id][:2]:
                        last[question_id] = (at, answer_id, bool(correct))
                assert await store.accuracy_by_domain(conn, member_id, exam) == [
                    (e, d, n, c) for (e, d), (n, c) in sorted(by_domain.items())
                ]
                if exam is not None:
                    assert await store.history(conn, member_id, exam) == {
                        q: (at, ok) for q, (at, _id, ok) in last.items()
                    }
            times = [a[6] for a in mine]
            for zone in ZONES:
                marks = await stats.day_marks(conn, member_id, ZoneInfo(zone))
                local = {t.astimezone(ZoneInfo(zone)).date() for t in times}
                assert {t.astimezone(ZoneInfo(zone)).date() for t in marks} == local, zone
                for now in (NOW, FIRST + dt.timedelta(days=20, hours=23, minutes=59)):
                    assert streak(marks, zone, now) == streak(times, zone, now), (zone, now)


async def test_aggregates_equal_a_recount_of_the_answers(database_url: str, catalog: Catalog) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        for seed in (1, 2):
            await _answer_randomly(engine, catalog, seed)
            await _assert_tables_match_a_recount(engine)
            await _assert_reads_match_a_recount(engine)
    finally:
        await engine.dispose()


async def _answer_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(practice_answers))).scalar_one())


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    """Down to `revision` the way `bot.store.upgrade` goes up: on SQLite with foreign keys off, or a
    migration that rebuilds a table (alembic's batch mode) would cascade-delete the rows pointing at it."""

    def down(connection: Any) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        raw = connection.connection.dbapi_connection
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            raw.cursor().execute("PRAGMA foreign_keys=OFF")  # outside any transaction, as SQLite requires
        try:
            with connection.begin():
                command.downgrade(config, revision)
        finally:
            if sqlite:
                raw.cursor().execute("PRAGMA foreign_keys=ON")

    async with engine.connect() as conn:
        await conn.run_sync(down)


async def test_the_migration_fills_the_aggregates_from_stored_answers(database_url: str, catalog: Catalog) -> None:
    """Back to revision 0005 (the aggregates gone, the answers kept) and up again: the same rows."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        await _answer_randomly(engine, catalog, 3)
        stored = await _answer_count(engine)
        assert stored > 0

        await _downgrade(engine, "0005_delivery_indexes")
        assert await _answer_count(engine) == stored  # the round trip is about these answers: all kept
        await upgrade(engine)
        assert await _answer_count(engine) == stored
        await _assert_tables_match_a_recount(engine)
        await _assert_reads_match_a_recount(engine)
    finally:
        await engine.dispose()


async def test_an_imported_workspace_comes_with_its_aggregates(
    database_url: str, catalog: Catalog, tmp_path: Path
) -> None:
    """An export holds answers, not aggregates: the import counts them from what it wrote."""
    source = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'source.sqlite3'}")
    target = create_engine(database_url)
    try:
        await upgrade(source)
        await upgrade(target)
        await _answer_randomly(source, catalog, 4)
        document = json.loads(json.dumps(await export_workspace(source, "console", "w1", history=True, now=NOW)))
        await import_workspace(target, document)
        await _assert_tables_match_a_recount(target)
        async with source.connect() as a, target.connect() as b:
            for window in (None, ("week", store.period_start("week", NOW.date()))):
                for exam in (None, "SAA-C03"):
                    boards = [await store.leaderboard(c, "console", "w1", window, exam, user_id="ada") for c in (a, b)]
                    before, after = ([(s.user_id, s.correct, s.answered) for s in x.top] for x in boards)
                    assert before and after == before
                    assert boards[0].mine is not None and boards[1].mine is not None
                    assert boards[1].mine[0] == boards[0].mine[0]
    finally:
        await source.dispose()
        await target.dispose()
