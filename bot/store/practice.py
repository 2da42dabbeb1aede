"""Practice repository: attempts, answers, review cards and mock exams. Bound parameters only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import members, mock_exams, practice_answers, practice_attempts, review_cards


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
    return int(result.scalar_one())


async def attempt(conn: AsyncConnection, attempt_id: int) -> Attempt | None:
    row = (await conn.execute(select(practice_attempts).where(practice_attempts.c.id == attempt_id))).mappings().first()
    return Attempt(**row) if row else None


async def served_count(conn: AsyncConnection, member_id: int) -> int:
    """How many questions a member has been served, answered or not (varies the next pick)."""
    stmt = select(func.count()).select_from(practice_attempts).where(practice_attempts.c.member_id == member_id)
    return int((await conn.execute(stmt)).scalar_one())


async def history(
    conn: AsyncConnection, member_id: int, exam: str | None = None
) -> dict[str, tuple[dt.datetime, bool]]:
    """question id → (last answered at, last answer correct) for one member."""
    stmt = (
        select(practice_answers.c.question_id, practice_answers.c.answered_at, practice_answers.c.correct)
        .where(practice_answers.c.member_id == member_id)
        .order_by(practice_answers.c.answered_at, practice_answers.c.id)
    )
    if exam is not None:
        stmt = stmt.where(practice_answers.c.exam == exam)
    return {qid: (at, bool(ok)) for qid, at, ok in (await conn.execute(stmt)).all()}


async def due_card_questions(
    conn: AsyncConnection, member_id: int, now: dt.datetime, exam: str | None = None, limit: int = 1
) -> list[tuple[str, str, dt.datetime]]:
    """(question id, exam, due) of the cards due now, most overdue first."""
    stmt = (
        select(review_cards.c.question_id, review_cards.c.exam, review_cards.c.due)
        .where((review_cards.c.member_id == member_id) & (review_cards.c.due <= now))
        .order_by(review_cards.c.due, review_cards.c.id)
        .limit(limit)
    )
    if exam is not None:
        stmt = stmt.where(review_cards.c.exam == exam)
    return [(q, e, d) for q, e, d in (await conn.execute(stmt)).all()]


async def card_counts(
    conn: AsyncConnection, member_id: int, now: dt.datetime, exam: str | None = None
) -> tuple[int, int, dt.datetime | None]:
    """(cards, due now, next due time after now) for one member."""
    cond = review_cards.c.member_id == member_id
    if exam is not None:
        cond = cond & (review_cards.c.exam == exam)
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
    conn: AsyncConnection, member_id: int, exam: str, count: int, minutes: int, now: dt.datetime
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


async def expired_mocks(conn: AsyncConnection, now: dt.datetime) -> list[int]:
    """Unfinished mocks whose time is up, for a scheduler hook to end."""
    stmt = select(mock_exams.c.id).where(mock_exams.c.finished_at.is_(None) & (mock_exams.c.ends_at <= now))
    return list((await conn.execute(stmt)).scalars())


# -- statistics -----------------------------------------------------------------------------------


async def accuracy_by_domain(
    conn: AsyncConnection, member_id: int, exam: str | None = None
) -> list[tuple[str, str, int, int]]:
    """(exam, domain, answered, correct) for one member."""
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
    if exam is not None:
        stmt = stmt.where(practice_answers.c.exam == exam)
    return [(e, d, int(n), int(c)) for e, d, n, c in (await conn.execute(stmt)).all()]


async def answer_times(conn: AsyncConnection, member_id: int) -> list[dt.datetime]:
    stmt = select(practice_answers.c.answered_at).where(practice_answers.c.member_id == member_id)
    return list((await conn.execute(stmt)).scalars())


@dataclass(frozen=True, slots=True)
class Standing:
    member_id: int
    user_id: str
    display_name: str
    correct: int
    answered: int


async def leaderboard(
    conn: AsyncConnection,
    platform: str,
    workspace: str,
    since: dt.datetime | None,
    exam: str | None = None,
    channel: str | None = None,
) -> list[Standing]:
    """Every member of a workspace with answers in the period, best first (correct, then fewer tries)."""
    correct = func.coalesce(func.sum(case((practice_answers.c.correct, 1), else_=0)), 0)
    answered = func.count(practice_answers.c.id)
    conds = [members.c.platform == platform, members.c.workspace == workspace]
    if since is not None:
        conds.append(practice_answers.c.answered_at >= since)
    if exam is not None:
        conds.append(practice_answers.c.exam == exam)
    if channel is not None:
        conds.append(practice_answers.c.channel == channel)
    stmt = (
        select(members.c.id, members.c.user_id, members.c.display_name, correct.label("c"), answered.label("n"))
        .select_from(members.join(practice_answers, practice_answers.c.member_id == members.c.id))
        .where(and_(*conds))
        .group_by(members.c.id, members.c.user_id, members.c.display_name)
        .order_by(correct.desc(), answered.asc(), members.c.display_name)
    )
    return [Standing(i, u, n, int(c), int(a)) for i, u, n, c, a in (await conn.execute(stmt)).all()]
