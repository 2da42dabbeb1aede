"""Practice repository: attempts, answers, review cards, mock exams and the aggregates read instead of
recounting every answer (leaderboard, `/stats`, `/practice`). Bound parameters only."""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Insert, Select, case, delete, func, insert, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.compiled import SQLITE, CompiledSqlite
from bot.store.held_out import not_held_out
from bot.store.schema import (
    member_days,
    member_periods,
    member_questions,
    member_totals,
    members,
    mock_exams,
    practice_answers,
    practice_attempts,
    review_cards,
    season_baselines,
)


@dataclass(frozen=True, slots=True)
class Attempt:
    id: int
    member_id: int
    question_id: str
    exam: str
    domain: str
    source: str
    mock_id: int | None
    position: int | None
    option_order: str
    channel: str
    created_at: dt.datetime
    closed_at: dt.datetime | None
    flagged: bool = False  # mocks only: marked for review
    pending: str | None = None  # mocks only: the answer held until the mock is submitted
    pending_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Mock:
    id: int
    member_id: int
    exam: str
    question_count: int
    minutes: int
    started_at: dt.datetime
    ends_at: dt.datetime
    finished_at: dt.datetime | None
    ended_by: str | None
    final: bool = False  # drawn from the held-out slice (`/mock final:true`)


@dataclass(frozen=True, slots=True)
class MockItem:
    """One question of a mock with the member's answer, if any."""

    attempt: Attempt
    chosen: str | None
    correct: bool | None


async def create_attempt(
    conn: AsyncConnection,
    *,
    member_id: int,
    question_id: str,
    exam: str,
    domain: str,
    source: str,
    option_order: str,
    channel: str,
    now: dt.datetime,
    mock_id: int | None = None,
    position: int | None = None,
) -> int:
    result = await conn.execute(
        insert(practice_attempts)
        .values(
            member_id=member_id,
            question_id=question_id,
            exam=exam,
            domain=domain,
            source=source,
            option_order=option_order,
            channel=channel[:64],
            created_at=now,
            mock_id=mock_id,
            position=position,
        )
        .returning(practice_attempts.c.id)
    )
    await _count_served(conn, member_id)
    return int(result.scalar_one())


async def attempt(conn: AsyncConnection, attempt_id: int) -> Attempt | None:
    row = (await conn.execute(select(practice_attempts).where(practice_attempts.c.id == attempt_id))).mappings().first()
    return Attempt(**row) if row else None


async def served_count(conn: AsyncConnection, member_id: int) -> int:
    """How many questions a member has been served, answered or not (varies the next pick); a count
    kept as they are served, not a count of every attempt."""
    stmt = select(member_totals.c.served).where(
        (member_totals.c.member_id == member_id) & (member_totals.c.exam == EVERY) & (member_totals.c.domain == EVERY)
    )
    return int((await conn.execute(stmt)).scalar_one_or_none() or 0)


async def history(
    conn: AsyncConnection, member_id: int, exam: str | None = None
) -> dict[str, tuple[dt.datetime, bool]]:
    """question id → (last answered at, last answer correct) for one member: one row per question."""
    stmt = (
        select(member_questions.c.question_id, member_questions.c.last_at, member_questions.c.last_correct)
        .where(member_questions.c.member_id == member_id)
        .order_by(member_questions.c.last_at)
    )
    if exam is not None:
        stmt = stmt.where(member_questions.c.exam == exam)
    return {qid: (at, bool(ok)) for qid, at, ok in (await conn.execute(stmt)).all()}


async def due_card_questions(
    conn: AsyncConnection,
    member_id: int,
    now: dt.datetime,
    exam: str | None = None,
    limit: int = 1,
) -> list[tuple[str, str, dt.datetime]]:
    """(question id, exam, due) of the cards due now, most overdue first; cards of final-mock questions
    (answered before they were held out) left out, as every review read does."""
    stmt = (
        select(review_cards.c.question_id, review_cards.c.exam, review_cards.c.due)
        .where(_cards_of(member_id, exam) & (review_cards.c.due <= now))
        .order_by(review_cards.c.due, review_cards.c.id)
        .limit(limit)
    )
    return [(q, e, d) for q, e, d in (await conn.execute(stmt)).all()]


def _cards_of(member_id: int, exam: str | None) -> Any:
    """The member's cards that review may serve: not those of the final-mock slice (`bot.store.held_out`)."""
    cond = (review_cards.c.member_id == member_id) & not_held_out(review_cards.c.question_id)
    if exam is not None:
        cond = cond & (review_cards.c.exam == exam)
    return cond


async def card_counts(
    conn: AsyncConnection, member_id: int, now: dt.datetime, exam: str | None = None
) -> tuple[int, int, dt.datetime | None]:
    """(cards, due now, next due time after now) for one member; cards of final-mock questions not counted."""
    cond = _cards_of(member_id, exam)
    total, due = (
        await conn.execute(
            select(func.count(), func.coalesce(func.sum(case((review_cards.c.due <= now, 1), else_=0)), 0)).where(cond)
        )
    ).one()
    upcoming = (
        await conn.execute(select(func.min(review_cards.c.due)).where(cond & (review_cards.c.due > now)))
    ).scalar_one_or_none()
    return int(total), int(due), upcoming


# -- mocks ------------------------------------------------------------------------------------------


async def create_mock(
    conn: AsyncConnection, member_id: int, exam: str, count: int, minutes: int, now: dt.datetime, *, final: bool = False
) -> int:
    result = await conn.execute(
        insert(mock_exams)
        .values(
            member_id=member_id,
            exam=exam,
            question_count=count,
            minutes=minutes,
            started_at=now,
            ends_at=now + dt.timedelta(minutes=minutes),
            final=final,
        )
        .returning(mock_exams.c.id)
    )
    return int(result.scalar_one())


async def mock(conn: AsyncConnection, mock_id: int) -> Mock | None:
    row = (await conn.execute(select(mock_exams).where(mock_exams.c.id == mock_id))).mappings().first()
    return Mock(**row) if row else None


async def open_mock(conn: AsyncConnection, member_id: int) -> Mock | None:
    """The member's unfinished mock, if any (it may already be past its time)."""
    row = (
        (
            await conn.execute(
                select(mock_exams)
                .where((mock_exams.c.member_id == member_id) & mock_exams.c.finished_at.is_(None))
                .order_by(mock_exams.c.id.desc())
            )
        )
        .mappings()
        .first()
    )
    return Mock(**row) if row else None


async def last_finished_mock(conn: AsyncConnection, member_id: int) -> Mock | None:
    row = (
        (
            await conn.execute(
                select(mock_exams)
                .where((mock_exams.c.member_id == member_id) & mock_exams.c.finished_at.is_not(None))
                .order_by(mock_exams.c.finished_at.desc(), mock_exams.c.id.desc())
            )
        )
        .mappings()
        .first()
    )
    return Mock(**row) if row else None


async def met_questions(conn: AsyncConnection, member_id: int) -> tuple[set[str], set[str]]:
    """Every question ever served to the member (answered or not, by any source), and the channels
    they were served in."""
    rows = await conn.execute(
        select(practice_attempts.c.question_id, practice_attempts.c.channel)
        .distinct()
        .where(practice_attempts.c.member_id == member_id)
    )
    questions: set[str] = set()
    channels: set[str] = set()
    for question_id, channel in rows:
        questions.add(question_id)
        channels.add(channel)
    return questions, channels


@dataclass(frozen=True, slots=True)
class FinalResult:
    """A finished final mock: how many of its questions were answered right."""

    exam: str
    finished_at: dt.datetime
    total: int
    correct: int


async def final_results(conn: AsyncConnection, member_id: int) -> list[FinalResult]:
    """The member's finished final mocks, newest first."""
    right = func.coalesce(func.sum(case((practice_answers.c.correct.is_(True), 1), else_=0)), 0)
    stmt = (
        select(mock_exams.c.exam, mock_exams.c.finished_at, mock_exams.c.question_count, right)
        .select_from(
            mock_exams.outerjoin(practice_attempts, practice_attempts.c.mock_id == mock_exams.c.id).outerjoin(
                practice_answers, practice_answers.c.attempt_id == practice_attempts.c.id
            )
        )
        .where((mock_exams.c.member_id == member_id) & mock_exams.c.final & mock_exams.c.finished_at.is_not(None))
        .group_by(mock_exams.c.id, mock_exams.c.exam, mock_exams.c.finished_at, mock_exams.c.question_count)
        .order_by(mock_exams.c.finished_at.desc(), mock_exams.c.id.desc())
    )
    return [FinalResult(e, f, int(n), int(c)) for e, f, n, c in (await conn.execute(stmt)).all()]


async def reviews_answered_between(conn: AsyncConnection, member_id: int, start: dt.datetime, end: dt.datetime) -> int:
    """How many review answers the member gave in [start, end): what a daily cap counts."""
    stmt = select(func.count()).where(
        (practice_answers.c.member_id == member_id)
        & (practice_answers.c.answered_at >= start)
        & (practice_answers.c.answered_at < end)
        & (practice_answers.c.source == "review")
    )
    return int((await conn.execute(stmt)).scalar_one())


async def last_answers(conn: AsyncConnection, member_id: int) -> dict[str, dt.datetime]:
    """exam → the member's latest answer time, from the daily counts."""
    stmt = (
        select(member_days.c.exam, func.max(member_days.c.last_at))
        .where(member_days.c.member_id == member_id)
        .group_by(member_days.c.exam)
    )
    return {e: at for e, at in (await conn.execute(stmt)).all() if at is not None}


async def mock_items(conn: AsyncConnection, mock_id: int) -> list[MockItem]:
    stmt = (
        select(practice_attempts, practice_answers.c.chosen, practice_answers.c.correct)
        .select_from(
            practice_attempts.outerjoin(practice_answers, practice_answers.c.attempt_id == practice_attempts.c.id)
        )
        .where(practice_attempts.c.mock_id == mock_id)
        .order_by(practice_attempts.c.position)
    )
    items = []
    for row in (await conn.execute(stmt)).mappings():
        data = dict(row)
        chosen, correct = data.pop("chosen"), data.pop("correct")
        items.append(MockItem(Attempt(**data), chosen, None if correct is None else bool(correct)))
    return items


async def finish_mock(conn: AsyncConnection, mock_id: int, now: dt.datetime, ended_by: str) -> bool:
    """Close the mock and its unanswered questions; False when it was already finished."""
    result = await conn.execute(
        update(mock_exams)
        .where((mock_exams.c.id == mock_id) & mock_exams.c.finished_at.is_(None))
        .values(finished_at=now, ended_by=ended_by)
    )
    if not result.rowcount:
        return False
    await conn.execute(
        update(practice_attempts)
        .where((practice_attempts.c.mock_id == mock_id) & practice_attempts.c.closed_at.is_(None))
        .values(closed_at=now)
    )
    return True


async def flag_attempt(conn: AsyncConnection, attempt_id: int, flagged: bool) -> None:
    """Mark or unmark a mock question for review."""
    await conn.execute(update(practice_attempts).where(practice_attempts.c.id == attempt_id).values(flagged=flagged))


async def hold_answer(conn: AsyncConnection, attempt_id: int, chosen: str, at: dt.datetime) -> bool:
    """Keep a mock answer until the mock is submitted (a later one replaces it); False once the attempt
    is closed or its answer already recorded."""
    recorded = select(practice_answers.c.id).where(practice_answers.c.attempt_id == attempt_id).exists()
    result = await conn.execute(
        update(practice_attempts)
        .where((practice_attempts.c.id == attempt_id) & practice_attempts.c.closed_at.is_(None) & ~recorded)
        .values(pending=chosen, pending_at=at)
    )
    return bool(result.rowcount)


async def expired_mocks(conn: AsyncConnection, now: dt.datetime) -> list[int]:
    """Unfinished mocks whose time is up, for a scheduler hook to end."""
    stmt = select(mock_exams.c.id).where(mock_exams.c.finished_at.is_(None) & (mock_exams.c.ends_at <= now))
    return list((await conn.execute(stmt)).scalars())


# -- aggregates: what /leaderboard, /stats and /practice read -------------------------------------
# `member_totals`, `member_days` and `member_questions` (see bot/store/schema.py) are kept by the answer
# writer in the transaction that inserts the answers (`count_answers`, `count_answers_sqlite`), so none
# of the reads below grows with the number of answers stored.

EVERY = ""  # the exam and domain of the member row that keeps the served count (it counts no answers)

# One recorded answer as the aggregates count it: member id, exam, domain, question id, correct, time.
Tally = tuple[int, str, str, str, bool, dt.datetime]


@dataclass(slots=True)
class _Folded:
    """A batch's answers added up per row of each aggregate table, ready to be upserted. Times are
    whatever `_fold` was given: datetimes, or on the `sqlite3` path the stored text, which sorts the
    same way."""

    totals: dict[tuple[int, str, str], list[int]]  # (member, exam, domain) -> [answered, correct]
    days: dict[tuple[int, Any, str], list[Any]]  # (member, UTC day, exam) -> [answered, correct, first, last]
    latest: dict[tuple[int, str, str], tuple[Any, bool]]  # (member, exam, question) -> last answer


def _fold(tallies: Iterable[tuple[int, str, str, str, bool, Any]], day_of: Callable[[Any], Any]) -> _Folded:
    """One row per (member, window) for the whole batch, however many answers fall into it."""
    totals: dict[tuple[int, str, str], list[int]] = {}
    days: dict[tuple[int, Any, str], list[Any]] = {}
    latest: dict[tuple[int, str, str], tuple[Any, bool]] = {}
    for member_id, exam, domain, question_id, correct, at in tallies:
        ok = 1 if correct else 0
        key = (member_id, exam, domain)
        total = totals.get(key)
        if total is None:
            totals[key] = [1, ok]
        else:
            total[0] += 1
            total[1] += ok
        day_key = (member_id, day_of(at), exam)
        day = days.get(day_key)
        if day is None:
            days[day_key] = [1, ok, at, at]
        else:
            day[0] += 1
            day[1] += ok
            if at < day[2]:
                day[2] = at
            if at > day[3]:
                day[3] = at
        question_key = (member_id, exam, question_id)
        last = latest.get(question_key)
        if last is None or at >= last[0]:  # equal times: the later answer wins, as in the answer log
            latest[question_key] = (at, correct)
    return _Folded(totals, days, latest)


PERIODS = ("week", "month")  # the calendar periods `member_periods` keeps


def period_start(period: str, day: dt.date) -> dt.date:
    """The first day of the calendar `period` ("week": from Monday; "month") that holds `day`."""
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ValueError(f"no calendar period {period!r}")


def _periods(days: dict[tuple[int, Any, str], list[Any]], starts: Callable[[str, Any], Any]) -> dict[Any, list[int]]:
    """The batch's daily rows added up per (member, period, first day, exam)."""
    periods: dict[tuple[int, str, Any, str], list[int]] = {}
    for (member_id, day, exam), (n, c, _first, _last) in days.items():
        for period in PERIODS:
            key = (member_id, period, starts(period, day), exam)
            row = periods.get(key)
            if row is None:
                periods[key] = [n, c]
            else:
                row[0] += n
                row[1] += c
    return periods


def _utc_day(at: dt.datetime) -> dt.date:
    return (at if at.tzinfo is dt.UTC else at.astimezone(dt.UTC)).date()


def _upserts(dialect: str) -> tuple[Insert, Insert, Insert, Insert]:
    """The four upserts for a dialect: totals, days and periods add up, the latest answer replaces an older one."""
    if dialect == "postgresql":
        make: Any = pg_insert
        least: Any = func.least
        greatest: Any = func.greatest
    else:
        make = sqlite_insert
        least, greatest = func.min, func.max  # SQLite's two-argument min() and max() are scalar
    totals = make(member_totals)
    totals = totals.on_conflict_do_update(
        index_elements=list(member_totals.primary_key),
        set_={
            "answered": member_totals.c.answered + totals.excluded.answered,
            "correct": member_totals.c.correct + totals.excluded.correct,
        },
    )
    days = make(member_days)
    days = days.on_conflict_do_update(
        index_elements=list(member_days.primary_key),
        set_={
            "answered": member_days.c.answered + days.excluded.answered,
            "correct": member_days.c.correct + days.excluded.correct,
            "first_at": least(member_days.c.first_at, days.excluded.first_at),
            "last_at": greatest(member_days.c.last_at, days.excluded.last_at),
        },
    )
    latest = make(member_questions)
    latest = latest.on_conflict_do_update(
        index_elements=list(member_questions.primary_key),
        set_={"last_at": latest.excluded.last_at, "last_correct": latest.excluded.last_correct},
        where=latest.excluded.last_at >= member_questions.c.last_at,
    )
    periods = make(member_periods)
    periods = periods.on_conflict_do_update(
        index_elements=list(member_periods.primary_key),
        set_={
            "answered": member_periods.c.answered + periods.excluded.answered,
            "correct": member_periods.c.correct + periods.excluded.correct,
        },
    )
    return totals, days, latest, periods


_UPSERTS = {name: _upserts(name) for name in ("sqlite", "postgresql")}
_TOTAL_COLUMNS = ("member_id", "exam", "domain", "served", "answered", "correct")
_DAY_COLUMNS = ("member_id", "day", "exam", "answered", "correct", "first_at", "last_at")
_LATEST_COLUMNS = ("member_id", "exam", "question_id", "last_at", "last_correct")
_PERIOD_COLUMNS = ("member_id", "period", "starts", "exam", "answered", "correct")
_SQLITE_TOTALS = CompiledSqlite(_UPSERTS["sqlite"][0], columns=_TOTAL_COLUMNS).expect(_TOTAL_COLUMNS)
_SQLITE_DAYS = CompiledSqlite(_UPSERTS["sqlite"][1], columns=_DAY_COLUMNS).expect(_DAY_COLUMNS)
_SQLITE_LATEST = CompiledSqlite(_UPSERTS["sqlite"][2], columns=_LATEST_COLUMNS).expect(_LATEST_COLUMNS)
_SQLITE_PERIODS = CompiledSqlite(_UPSERTS["sqlite"][3], columns=_PERIOD_COLUMNS).expect(_PERIOD_COLUMNS)


def _sqlite_bind(column: Column[Any]) -> Callable[[Any], Any]:
    convert = column.type.dialect_impl(SQLITE).bind_processor(SQLITE)
    if convert is None:
        raise AssertionError(f"{column} needs a conversion for SQLite")
    return convert


# On the `sqlite3` path each answer's time is converted once, as its column type says; the UTC day is
# the first ten characters of that text, which is how the Date column stores it (checked here).
_sqlite_time = _sqlite_bind(member_days.c.first_at)
_sqlite_date = _sqlite_bind(member_days.c.day)
_PROBE = dt.datetime(2026, 3, 29, 23, 59, 59, 999_999, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
if _sqlite_time(_PROBE)[:10] != _sqlite_date(_utc_day(_PROBE)):
    raise AssertionError("SQLite's stored time no longer starts with its stored UTC date")


def count_answers_sqlite(db: sqlite3.Connection, tallies: Iterable[Tally]) -> None:
    """Add a batch of recorded answers to the aggregates, inside the answer writer's `sqlite3`
    transaction: one upsert per (member, window) per batch, as positional rows."""
    convert = _sqlite_time
    folded = _fold(((m, e, d, q, ok, convert(at)) for m, e, d, q, ok, at in tallies), _first_ten)
    db.executemany(_SQLITE_TOTALS.sql, [(m, e, d, 0, n, c) for (m, e, d), (n, c) in folded.totals.items()])
    db.executemany(
        _SQLITE_DAYS.sql,
        [(m, day, e, n, c, first, last) for (m, day, e), (n, c, first, last) in folded.days.items()],
    )
    db.executemany(_SQLITE_LATEST.sql, [(m, e, q, at, ok) for (m, e, q), (at, ok) in folded.latest.items()])
    periods = _periods(folded.days, _sqlite_period_start)
    db.executemany(_SQLITE_PERIODS.sql, [(m, p, start, e, n, c) for (m, p, start, e), (n, c) in periods.items()])


@functools.lru_cache(maxsize=4096)  # a few distinct days per batch, the same ones batch after batch
def _sqlite_period_start(period: str, day: str) -> str:
    """`period_start` of a day as the `sqlite3` path holds it, its stored text."""
    return str(_sqlite_date(period_start(period, dt.date.fromisoformat(day))))


def _first_ten(text: str) -> str:
    return text[:10]


async def count_answers(conn: AsyncConnection, tallies: Iterable[Tally]) -> None:
    """`count_answers_sqlite` through SQLAlchemy (PostgreSQL, or SQLite without the running writer).

    Rows go in key order, so two processes' writers that touch the same members lock their rows in the
    same order and cannot deadlock each other.
    """
    folded = _fold(tallies, _utc_day)
    totals, days, latest, periods = _UPSERTS["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]
    await conn.execute(
        totals,
        [
            {"member_id": m, "exam": e, "domain": d, "served": 0, "answered": n, "correct": c}
            for (m, e, d), (n, c) in sorted(folded.totals.items())
        ],
    )
    await conn.execute(
        days,
        [
            {"member_id": m, "day": day, "exam": e, "answered": n, "correct": c, "first_at": f, "last_at": last}
            for (m, day, e), (n, c, f, last) in sorted(folded.days.items())
        ],
    )
    await conn.execute(
        latest,
        [
            {"member_id": m, "exam": e, "question_id": q, "last_at": at, "last_correct": ok}
            for (m, e, q), (at, ok) in sorted(folded.latest.items())
        ],
    )
    await conn.execute(
        periods,
        [
            {"member_id": m, "period": p, "starts": start, "exam": e, "answered": n, "correct": c}
            for (m, p, start, e), (n, c) in sorted(_periods(folded.days, period_start).items())
        ],
    )


async def _count_served(conn: AsyncConnection, member_id: int) -> None:
    """One more question served to a member (the every-exam totals row keeps the count)."""
    make: Any = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = make(member_totals).values(member_id=member_id, exam=EVERY, domain=EVERY, served=1, answered=0, correct=0)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(member_totals.primary_key), set_={"served": member_totals.c.served + 1}
    )
    await conn.execute(stmt)


async def recount(conn: AsyncConnection, member_ids: Sequence[int]) -> None:
    """Rebuild the aggregates of these members from their stored attempts and answers (after an import
    wrote them row by row); migration 0006 does the same for every member."""
    if not member_ids:
        return
    ids = list(member_ids)
    for table in (member_totals, member_days, member_questions, member_periods):
        await conn.execute(delete(table).where(table.c.member_id.in_(ids)))
    rows = (
        await conn.execute(
            select(
                practice_answers.c.member_id,
                practice_answers.c.exam,
                practice_answers.c.domain,
                practice_answers.c.question_id,
                practice_answers.c.correct,
                practice_answers.c.answered_at,
            )
            .where(practice_answers.c.member_id.in_(ids))
            .order_by(practice_answers.c.id)
        )
    ).all()
    if rows:
        await count_answers(conn, [(m, e, d, q, bool(ok), at) for m, e, d, q, ok, at in rows])
    served = select(practice_attempts.c.member_id, func.count()).where(practice_attempts.c.member_id.in_(ids))
    for member_id, count in (await conn.execute(served.group_by(practice_attempts.c.member_id))).all():
        await _set_served(conn, int(member_id), int(count))


async def _set_served(conn: AsyncConnection, member_id: int, count: int) -> None:
    make: Any = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = make(member_totals).values(
        member_id=member_id, exam=EVERY, domain=EVERY, served=count, answered=0, correct=0
    )
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=list(member_totals.primary_key), set_={"served": count})
    )


# -- statistics -----------------------------------------------------------------------------------


async def accuracy_by_domain(
    conn: AsyncConnection, member_id: int, exam: str | None = None
) -> list[tuple[str, str, int, int]]:
    """(exam, domain, answered, correct) for one member, from the all-time totals."""
    stmt = (
        select(member_totals.c.exam, member_totals.c.domain, member_totals.c.answered, member_totals.c.correct)
        .where(
            (member_totals.c.member_id == member_id)
            & (member_totals.c.exam != EVERY)
            & (member_totals.c.domain != EVERY)
            & (member_totals.c.answered > 0)
        )
        .order_by(member_totals.c.exam, member_totals.c.domain)
    )
    if exam is not None:
        stmt = stmt.where(member_totals.c.exam == exam)
    return [(e, d, int(n), int(c)) for e, d, n, c in (await conn.execute(stmt)).all()]


async def daily_counts(
    conn: AsyncConnection, member_id: int, since: dt.date, exam: str | None = None
) -> list[tuple[dt.date, int, int]]:
    """(UTC day, answered, correct) of one member from `since` on, oldest first, from the daily counts."""
    stmt = (
        select(member_days.c.day, func.sum(member_days.c.answered), func.sum(member_days.c.correct))
        .where((member_days.c.member_id == member_id) & (member_days.c.day >= since))
        .group_by(member_days.c.day)
        .order_by(member_days.c.day)
    )
    if exam is not None:
        stmt = stmt.where(member_days.c.exam == exam)
    return [(day, int(n), int(c)) for day, n, c in (await conn.execute(stmt)).all()]


async def active_spans(conn: AsyncConnection, member_id: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """(first, last) answer time of each UTC day a member answered on, oldest first: one row a day."""
    stmt = (
        select(func.min(member_days.c.first_at), func.max(member_days.c.last_at))
        .where(member_days.c.member_id == member_id)
        .group_by(member_days.c.day)
        .order_by(member_days.c.day)
    )
    return [(first, last) for first, last in (await conn.execute(stmt)).all()]


async def first_answer_between(
    conn: AsyncConnection, member_id: int, start: dt.datetime, end: dt.datetime
) -> dt.datetime | None:
    """The member's first answer time in [start, end), an indexed lookup (member, time)."""
    stmt = select(func.min(practice_answers.c.answered_at)).where(
        (practice_answers.c.member_id == member_id)
        & (practice_answers.c.answered_at >= start)
        & (practice_answers.c.answered_at < end)
    )
    found: dt.datetime | None = (await conn.execute(stmt)).scalar_one_or_none()
    return found


@dataclass(frozen=True, slots=True)
class Standing:
    member_id: int
    user_id: str
    display_name: str
    correct: int
    answered: int


@dataclass(frozen=True, slots=True)
class Board:
    """The first standings of a leaderboard, and the caller's own place on it (None: no answers)."""

    top: list[Standing]
    mine: tuple[int, Standing] | None


async def leaderboard(
    conn: AsyncConnection,
    platform: str,
    workspace: str,
    period: tuple[str, dt.date] | None,
    exam: str | None = None,
    *,
    season: int | None = None,
    user_id: str | None = None,
    top: int = 10,
) -> Board:
    """The best `top` members of a workspace in a calendar `period` (its kind and first day, see
    `period_start`; all time when None; with `season`, since that season began), best first (correct,
    then fewer tries, then name), and the place of `user_id` among all of them.

    Each adds up a handful of stored rows per member (all time: per exam and domain; a period: per exam;
    a season: all time less the season's baseline per exam), so none reads more when more answers are
    stored.
    """
    here = (members.c.platform == platform) & (members.c.workspace == workspace)
    parts: list[Select[Any]] = []
    if period is None:
        rows = (
            select(member_totals.c.member_id, member_totals.c.correct.label("c"), member_totals.c.answered.label("n"))
            .select_from(members.join(member_totals, member_totals.c.member_id == members.c.id))
            .where(here & (member_totals.c.exam != EVERY))
        )
        if exam is not None:
            rows = rows.where(member_totals.c.exam == exam)
        if season is not None:
            b = season_baselines.c
            before = select(b.member_id, (-b.correct).label("c"), (-b.answered).label("n")).where(b.season_id == season)
            parts.append(before if exam is None else before.where(b.exam == exam))
    else:
        kind, starts = period
        rows = (
            select(
                member_periods.c.member_id, member_periods.c.correct.label("c"), member_periods.c.answered.label("n")
            )
            .select_from(members.join(member_periods, member_periods.c.member_id == members.c.id))
            .where(here & (member_periods.c.period == kind) & (member_periods.c.starts == starts))
        )
        if exam is not None:
            rows = rows.where(member_periods.c.exam == exam)
    window = (union_all(rows, *parts) if parts else rows).subquery()
    totals = (
        select(window.c.member_id.label("member_id"), func.sum(window.c.c).label("c"), func.sum(window.c.n).label("n"))
        .group_by(window.c.member_id)
        .having(func.sum(window.c.n) > 0)
        .subquery()
    )
    place = (
        func.row_number()
        .over(order_by=(totals.c.c.desc(), totals.c.n.asc(), members.c.display_name, members.c.id))
        .label("place")
    )
    ranked = (
        select(members.c.id, members.c.user_id, members.c.display_name, totals.c.c, totals.c.n, place)
        .select_from(totals.join(members, members.c.id == totals.c.member_id))
        .subquery()
    )
    wanted = ranked.c.place <= top
    if user_id is not None:
        wanted = wanted | (ranked.c.user_id == user_id)
    found = (await conn.execute(select(ranked).where(wanted).order_by(ranked.c.place))).all()
    standings = [(int(p), Standing(int(i), u, name, int(c), int(n))) for i, u, name, c, n, p in found]
    mine = next(((p, s) for p, s in standings if s.user_id == user_id), None) if user_id is not None else None
    return Board([s for p, s in standings if p <= top], mine)


# -- a channel's answers (issue 18) ---------------------------------------------------------------
# What a `focus:weakest` schedule and `/stats channel:` read: the answers given in one channel (its group
# prompts once revealed, and practice run there) within a time window, through the index on (channel,
# exam, answered_at), so each read covers the window's answers of that channel and never the history.


def _in_channel(platform: str, workspace: str, channel: str, exam: str, since: dt.datetime, until: dt.datetime) -> Any:
    return (
        (practice_answers.c.channel == channel)
        & (practice_answers.c.exam == exam)
        & (practice_answers.c.answered_at >= since)
        & (practice_answers.c.answered_at < until)
        & (members.c.platform == platform)
        & (members.c.workspace == workspace)
    )


_WITH_MEMBER = practice_answers.join(members, members.c.id == practice_answers.c.member_id)
_CORRECT = func.sum(case((practice_answers.c.correct, 1), else_=0))


async def channel_domains(
    conn: AsyncConnection,
    platform: str,
    workspace: str,
    channel: str,
    exam: str,
    since: dt.datetime,
    until: dt.datetime,
) -> dict[str, tuple[int, int]]:
    """Domain → (answered, correct) of one channel's answers to `exam` in [since, until)."""
    stmt = (
        select(practice_answers.c.domain, func.count(), _CORRECT)
        .select_from(_WITH_MEMBER)
        .where(_in_channel(platform, workspace, channel, exam, since, until))
        .group_by(practice_answers.c.domain)
    )
    return {d: (int(n), int(c or 0)) for d, n, c in (await conn.execute(stmt)).all()}


@dataclass(frozen=True, slots=True)
class ChannelSpan:
    """One stretch of a channel's answers: how many, how many right, by how many members."""

    answered: int
    correct: int
    members: int


async def channel_span(
    conn: AsyncConnection,
    platform: str,
    workspace: str,
    channel: str,
    exam: str,
    since: dt.datetime,
    until: dt.datetime,
) -> ChannelSpan:
    stmt = (
        select(func.count(), _CORRECT, func.count(func.distinct(practice_answers.c.member_id)))
        .select_from(_WITH_MEMBER)
        .where(_in_channel(platform, workspace, channel, exam, since, until))
    )
    n, c, m = (await conn.execute(stmt)).one()
    return ChannelSpan(int(n), int(c or 0), int(m))


async def channel_exams(
    conn: AsyncConnection,
    platform: str,
    workspace: str,
    channel: str,
    exams: Sequence[str],
    since: dt.datetime,
    until: dt.datetime,
) -> list[tuple[str, int]]:
    """(exam, answers) of one channel in [since, until), most answered first: one indexed count per exam."""
    found = []
    for exam in exams:
        span = await channel_span(conn, platform, workspace, channel, exam, since, until)
        if span.answered:
            found.append((exam, span.answered))
    return sorted(found, key=lambda pair: (-pair[1], pair[0]))


async def channel_most_missed(
    conn: AsyncConnection,
    platform: str,
    workspace: str,
    channel: str,
    exam: str,
    since: dt.datetime,
    until: dt.datetime,
    top: int = 5,
) -> list[tuple[str, int, int]]:
    """(question id, answered, missed) of the questions a channel missed most in [since, until)."""
    missed = func.count() - _CORRECT
    stmt = (
        select(practice_answers.c.question_id, func.count(), missed)
        .select_from(_WITH_MEMBER)
        .where(_in_channel(platform, workspace, channel, exam, since, until))
        .group_by(practice_answers.c.question_id)
        .having(missed > 0)
        .order_by(missed.desc(), func.count().desc(), practice_answers.c.question_id)
        .limit(top)
    )
    return [(q, int(n), int(m)) for q, n, m in (await conn.execute(stmt)).all()]


# -- a group's week (the weekly digest, issue 18) ----------------------------------------------------
# A digest's week ends at an arbitrary local time, not at a UTC midnight, so these read the week's
# answers themselves (by the answer-time index) rather than the daily counts; a week is bounded, and a
# digest is read once a week per channel.


@dataclass(frozen=True, slots=True)
class WindowTally:
    """One member's answers in one exam domain within a window."""

    member_id: int
    user_id: str
    display_name: str
    timezone: str | None
    exam: str
    domain: str
    answered: int
    correct: int


@dataclass(frozen=True, slots=True)
class QuestionTally:
    question_id: str
    exam: str
    answered: int
    wrong: int


def _window(platform: str, workspace: str, start: dt.datetime, end: dt.datetime) -> Any:
    return (
        (members.c.platform == platform)
        & (members.c.workspace == workspace)
        & (practice_answers.c.answered_at >= start)
        & (practice_answers.c.answered_at < end)
    )


async def window_tallies(
    conn: AsyncConnection, platform: str, workspace: str, start: dt.datetime, end: dt.datetime
) -> list[WindowTally]:
    """Per member, exam and domain: answers and correct answers of a workspace's members in [start, end)."""
    stmt = (
        select(
            members.c.id, members.c.user_id, members.c.display_name, members.c.timezone,
            practice_answers.c.exam, practice_answers.c.domain, func.count(), _CORRECT,
        )
        .select_from(members.join(practice_answers, practice_answers.c.member_id == members.c.id))
        .where(_window(platform, workspace, start, end))
        .group_by(
            members.c.id, members.c.user_id, members.c.display_name, members.c.timezone,
            practice_answers.c.exam, practice_answers.c.domain,
        )
    )  # fmt: skip
    rows = (await conn.execute(stmt)).all()
    return [WindowTally(int(i), u, name, tz, e, d, int(n), int(c or 0)) for i, u, name, tz, e, d, n, c in rows]


async def question_tallies(
    conn: AsyncConnection, platform: str, workspace: str, start: dt.datetime, end: dt.datetime, *, top: int = 5
) -> list[QuestionTally]:
    """The questions a workspace's members missed most in [start, end): most wrong answers first, then
    the higher miss rate (fewer answers), then the question id, so a tie always reads the same."""
    wrong = func.sum(case((practice_answers.c.correct, 0), else_=1))
    stmt = (
        select(practice_answers.c.question_id, practice_answers.c.exam, func.count().label("n"), wrong.label("w"))
        .select_from(members.join(practice_answers, practice_answers.c.member_id == members.c.id))
        .where(_window(platform, workspace, start, end))
        .group_by(practice_answers.c.question_id, practice_answers.c.exam)
        .having(wrong > 0)
        .order_by(wrong.desc(), func.count().asc(), practice_answers.c.question_id)
        .limit(top)
    )
    return [QuestionTally(q, e, int(n), int(w)) for q, e, n, w in (await conn.execute(stmt)).all()]


# -- errata: re-grading the answers to one question (issue 17) --------------------------------------


def _in_workspace(platform: str, workspace: str) -> Any:
    return practice_answers.c.member_id.in_(
        select(members.c.id).where((members.c.platform == platform) & (members.c.workspace == workspace))
    )


async def chosen_counts(conn: AsyncConnection, platform: str, workspace: str, question_id: str) -> dict[str, int]:
    """How members of a workspace answered a question: stored answer ("02") → how many times."""
    stmt = (
        select(practice_answers.c.chosen, func.count())
        .where((practice_answers.c.question_id == question_id) & _in_workspace(platform, workspace))
        .group_by(practice_answers.c.chosen)
    )
    return {chosen: int(n) for chosen, n in (await conn.execute(stmt)).all()}


async def answers_to(
    conn: AsyncConnection, platform: str, workspace: str, question_id: str
) -> list[tuple[int, int, str, bool, dt.datetime, str]]:
    """(answer id, member id, chosen, correct, answered at, source) of every answer to a question in a
    workspace, in the order they were answered (the order a review card replays them in)."""
    stmt = (
        select(
            practice_answers.c.id,
            practice_answers.c.member_id,
            practice_answers.c.chosen,
            practice_answers.c.correct,
            practice_answers.c.answered_at,
            practice_answers.c.source,
        )
        .where((practice_answers.c.question_id == question_id) & _in_workspace(platform, workspace))
        .order_by(practice_answers.c.answered_at, practice_answers.c.id)
    )
    return [(int(i), int(m), c, bool(ok), at, src) for i, m, c, ok, at, src in (await conn.execute(stmt)).all()]


async def set_correct(conn: AsyncConnection, answer_ids: Sequence[int], correct: bool) -> None:
    """Answers graded again: their verdict is now `correct` (the aggregates are rebuilt by `recount`)."""
    if answer_ids:
        await conn.execute(
            update(practice_answers).where(practice_answers.c.id.in_(list(answer_ids))).values(correct=correct)
        )


async def put_card(conn: AsyncConnection, member_id: int, question_id: str, exam: str, state: dict[str, Any]) -> None:
    """A member's review card for a question replaced by `state` (the columns of `review_cards`)."""
    make: Any = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = make(review_cards).values(member_id=member_id, question_id=question_id, exam=exam, **state)
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=[review_cards.c.member_id, review_cards.c.question_id], set_=state)
    )
