"""The SQLite fast path of the answer writer agrees with the SQLAlchemy path, row for row, and never
blocks the event loop while another connection holds the write lock."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from bot.practice import writer as writer_module
from bot.practice.review import Grader, grade, make_scheduler
from bot.practice.writer import AnswerJob, AnswerWriter, commit_jobs
from bot.store import create_engine, upgrade
from bot.store import members as member_store
from bot.store import practice as store
from bot.store.schema import practice_answers, practice_attempts, review_cards
from bot.store.types import UTCDateTime
from tests.conftest import START, person


def job(attempt: int, user: str = "ada", *, correct: bool = True, at: dt.datetime = START) -> AnswerJob:
    return AnswerJob(attempt, "console", "w1", user, "saa-c03-001", "0123", "0" if correct else "1", correct, at)


async def served(conn, user: str = "ada", question: str = "saa-c03-001") -> int:  # type: ignore[no-untyped-def]
    member = await member_store.ensure(conn, person(user), START)
    return await store.create_attempt(
        conn,
        member_id=member.id,
        question_id=question,
        exam="SAA-C03",
        domain="Design Secure Architectures",
        source="practice",
        option_order="0123",
        channel="c1",
        now=START,
    )


def test_first_reviews_from_the_memo_equal_fsrs() -> None:
    scheduler = make_scheduler()
    grader = Grader(scheduler)
    for minutes in (0, 7, 1_000, 500_000):
        at = START + dt.timedelta(minutes=minutes, microseconds=minutes)
        for correct in (True, False):
            assert grader(0, None, correct, at) == grade(scheduler, 0, None, correct, at)
    later = grade(scheduler, 0, None, False, START)
    assert grader(3, later, True, START + dt.timedelta(hours=2)) == grade(
        scheduler, 3, later, True, START + dt.timedelta(hours=2)
    )


def test_times_are_stored_as_sqlalchemy_stores_them() -> None:
    processor = UTCDateTime().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    assert processor is not None
    insert = writer_module._SQLITE_INSERT_ANSWER
    at = insert.names.index("answered_at")
    row = {name: 1 for name in insert.names}
    for value in (START, START + dt.timedelta(microseconds=1), START.astimezone(dt.timezone(dt.timedelta(hours=5)))):
        stored = insert.params({**row, "answered_at": value})[at]
        assert stored == processor(value)  # the processor includes UTCDateTime's own step
        assert writer_module._when(stored) == value


def test_the_sqlite_statements_follow_the_table_definitions() -> None:
    """The raw path's SQL is compiled from bot/store/schema.py: every answer column, every card
    column, and the read query's columns named after the fields the batch reads them into."""
    assert set(writer_module._SQLITE_INSERT_ANSWER.names) == {c.name for c in practice_answers.columns} - {"id"}
    assert set(writer_module._SQLITE_UPSERT_CARD.names) == {c.name for c in review_cards.columns} - {"id"}
    read = writer_module._SQLITE_READ
    assert read.names == ("ids",)
    assert read.sized(3).endswith("IN (?, ?, ?)") and read.sized(1).endswith("IN (?)")
    assert writer_module._SQLITE_CLOSE.sized(2).endswith("IN (?, ?)")
    labels = [column.name for column in writer_module._CORE_READ.selected_columns]
    assert labels == list(writer_module._Found._fields)


async def _history(url: str, tmp_path: Path, *, fast: bool) -> list[list[tuple[object, ...]]]:
    """Two rounds of answers (first answers, then a second answer to the same question and a
    duplicate) through one path; returns the stored rows that matter."""
    engine = create_engine(url)
    writer = AnswerWriter(engine)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            first, second, theirs = await served(conn), await served(conn), await served(conn, "bob")
        if fast:
            await writer.start()
            record = writer.record
        else:
            scheduler = make_scheduler()

            async def record(one: AnswerJob):  # type: ignore[no-untyped-def]
                return (await commit_jobs(engine, [one], scheduler))[0]

        outcomes = list(await asyncio.gather(record(job(first, correct=False)), record(job(theirs, "bob"))))
        later = START + dt.timedelta(hours=30)
        outcomes += await asyncio.gather(record(job(second, at=later)), record(job(first)))
        async with engine.connect() as conn:
            answers = (
                await conn.execute(
                    select(
                        practice_answers.c.attempt_id,
                        practice_answers.c.chosen,
                        practice_answers.c.correct,
                        practice_answers.c.answered_at,
                        practice_answers.c.domain,
                    ).order_by(practice_answers.c.attempt_id)
                )
            ).all()
            cards = (
                await conn.execute(
                    select(
                        review_cards.c.member_id,
                        review_cards.c.question_id,
                        review_cards.c.exam,
                        review_cards.c.state,
                        review_cards.c.step,
                        review_cards.c.stability,
                        review_cards.c.difficulty,
                        review_cards.c.due,
                        review_cards.c.last_review,
                        review_cards.c.reviews,
                        review_cards.c.lapses,
                    ).order_by(review_cards.c.member_id)
                )
            ).all()
            closed = (
                await conn.execute(select(practice_attempts.c.id, practice_attempts.c.closed_at).order_by("id"))
            ).all()
        return [
            [(o.status, o.chosen, o.correct, o.due) for o in outcomes],
            [tuple(r) for r in answers],
            [tuple(r) for r in cards],
            [tuple(r) for r in closed],
        ]
    finally:
        await writer.stop()
        await engine.dispose()


async def test_the_sqlite_path_stores_what_sqlalchemy_stores(tmp_path: Path) -> None:
    fast = await _history(f"sqlite+aiosqlite:///{tmp_path / 'fast.sqlite3'}", tmp_path, fast=True)
    core = await _history(f"sqlite+aiosqlite:///{tmp_path / 'core.sqlite3'}", tmp_path, fast=False)
    assert fast == core
    statuses = [status for status, *_ in fast[0]]
    assert statuses == ["recorded", "recorded", "recorded", "duplicate"]
    assert fast[2][0][9] == 2  # ada's card moved twice: two answers to the same question


async def test_a_held_write_lock_is_waited_for_without_blocking_the_loop(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'locked.sqlite3'}")
    writer = AnswerWriter(engine)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            attempt = await served(conn)
        await writer.start()
        async with engine.begin() as conn:  # BEGIN IMMEDIATE: this connection holds the write lock
            await served(conn, "bob")
            pending = asyncio.ensure_future(writer.record(job(attempt)))
            await asyncio.sleep(0.05)  # the loop keeps running, and this transaction can finish
            assert not pending.done()
        outcome = await asyncio.wait_for(pending, 5)
        assert outcome.status == "recorded"
    finally:
        await writer.stop()
        await engine.dispose()


def test_positional_rows_must_follow_the_statements_parameter_order() -> None:
    import datetime as dt

    import pytest
    from sqlalchemy import insert

    from bot.store.compiled import CompiledSqlite
    from bot.store.schema import practice_answers

    columns = ("attempt_id", "chosen", "correct", "answered_at")
    statement = CompiledSqlite(insert(practice_answers), columns=columns)
    with pytest.raises(AssertionError, match="parameters are"):
        statement.expect(("chosen", "attempt_id", "correct", "answered_at"))
    at = dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    [row] = statement.expect(columns).rows([(7, "02", True, at)])
    assert row[:3] == [7, "02", 1] and row[3] == "2026-12-03 08:30:00.000000"  # stored as UTC text
