"""`/mock`: a timed practice exam that survives restarts and ends itself when its time is up.

The whole draw is stored when the mock starts (one attempt per question, in order), so resuming is
"the first unanswered question", and ending is closing what is left. Time is checked whenever the
member interacts; `end_expired` is the hook for a scheduler to end forgotten mocks on time.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.actions import ActionId
from bot.catalog.models import Exam
from bot.errors import InvalidOption, NotFound, StaleAction
from bot.markup import bold, bullets, code, esc
from bot.practice import texts
from bot.practice.engine import (
    Served,
    member_key,
    place_of,
    question_reply,
)
from bot.practice.mocks import DEFAULT_QUESTIONS, default_minutes, draw
from bot.practice.questions import shuffled_order
from bot.practice.scoring import domain_scores, passing_mark, scaled_estimate
from bot.replies import Button, Field, Reply
from bot.requests import Identity
from bot.services import Services
from bot.store import members as member_store
from bot.store import practice as store

END_MOCK = "mk-end"


async def start_or_resume(
    svc: Services, identity: Identity, now: dt.datetime, exam: Exam, count: int | None, minutes: int | None
) -> Reply:
    async with svc.engine.begin() as conn:
        member = await member_store.ensure(conn, identity, now)
        running = await store.open_mock(conn, member.id)
        if running is not None:
            if now >= running.ends_at:
                await store.finish_mock(conn, running.id, now, "timeout")
                return await report(conn, svc, identity, running.id, intro="Your last mock ran out of time. ")
            note = "You have a mock running; here is where you left off."
            if running.exam != exam.code:
                note = f"Your {running.exam} mock is still running; finish or end it before starting {exam.code}."
            return await current_question(conn, svc, identity, running, now, note)
        questions = await svc.questions.pool(conn, place_of(identity), exam.code)
        if not questions:
            raise NotFound(f"There are no {exam.code} questions yet, so no mock.", "Try another exam.")
        wanted = count or min(DEFAULT_QUESTIONS, len(questions))
        if wanted > len(questions):
            raise InvalidOption(
                f"The {exam.code} bank has {len(questions)} questions, fewer than the {wanted} you asked for.",
                f"Ask for `questions:{len(questions)}` or fewer.",
            )
        seen = await store.history(conn, member.id, exam.code)
        drawn = draw(exam, questions, wanted, f"{member.id}|{now.isoformat()}", seen)
        length = minutes or default_minutes(exam, len(drawn))
        mock_id = await store.create_mock(conn, member.id, exam.code, len(drawn), length, now)
        key = member_key(identity)
        for position, question in enumerate(drawn, start=1):
            domain = exam.domain(question.domain)
            await store.create_attempt(
                conn,
                member_id=member.id,
                question_id=question.id,
                exam=exam.code,
                domain=domain.name if domain else question.domain,
                source="mock",
                option_order=shuffled_order(key, question),
                channel=identity.channel,
                now=now,
                mock_id=mock_id,
                position=position,
            )
        mock = await store.mock(conn, mock_id)
        assert mock is not None
        intro = (
            f"{bold(f'{exam.code} mock: {len(drawn)} questions in {length} minutes.')} "
            "Answers are revealed in the report at the end, as on the real exam."
        )
        return await current_question(conn, svc, identity, mock, now, intro)


async def current_question(
    conn: AsyncConnection, svc: Services, identity: Identity, mock: store.Mock, now: dt.datetime, note: str = ""
) -> Reply:
    """The first unanswered question of a running mock, or its report when none is left."""
    items = await store.mock_items(conn, mock.id)
    answered = sum(1 for i in items if i.chosen is not None)
    nxt = next((i for i in items if i.chosen is None), None)
    if nxt is None:
        await store.finish_mock(conn, mock.id, now, "completed")
        return await report(conn, svc, identity, mock.id)
    question = await svc.questions.find(conn, place_of(identity), nxt.attempt.question_id)
    exam = svc.catalog.exam(mock.exam)
    if question is None or exam is None:  # a workspace question removed mid-mock: skip past it
        await store.finish_mock(conn, mock.id, now, "stopped")
        return await report(conn, svc, identity, mock.id, intro="A question of this mock no longer exists. ")
    served = Served(nxt.attempt.id, question, nxt.attempt.option_order, exam)
    left = texts.until(mock.ends_at, now).removeprefix("in ")
    reply = question_reply(
        served,
        heading=f"Mock {mock.exam} · question {answered + 1} of {len(items)}",
        footer=f"{left} left · ends {texts.local_time(mock.ends_at, await _zone(conn, svc, identity))}",
        text_before=note,
    )
    end = Button("End mock now", ActionId(END_MOCK, (str(mock.id),)).encode(), "danger")
    return Reply(
        title=reply.title,
        text=reply.text,
        buttons=(*reply.buttons, end)[:25],
        select=reply.select,
        footer=reply.footer,
        ephemeral=True,
        replace=bool(note == ""),
    )


async def _zone(conn: AsyncConnection, svc: Services, identity: Identity) -> str:
    member = await member_store.find(conn, identity)
    return (member.timezone if member else None) or svc.settings.default_timezone


async def after_answer(svc: Services, identity: Identity, mock_id: int, now: dt.datetime, *, expired: bool) -> Reply:
    async with svc.engine.begin() as conn:
        mock = await store.mock(conn, mock_id)
        if mock is None:
            raise StaleAction("That mock no longer exists.", "Start one with `/mock`.")
        if expired or now >= mock.ends_at:
            await store.finish_mock(conn, mock.id, now, "timeout")
            return await report(conn, svc, identity, mock.id, intro="Time is up: this answer came too late to count. ")
        return await current_question(conn, svc, identity, mock, now)


async def end_now(svc: Services, identity: Identity, mock_id: int, now: dt.datetime) -> Reply:
    async with svc.engine.begin() as conn:
        member = await member_store.find(conn, identity)
        mock = await store.mock(conn, mock_id)
        if mock is None or member is None or mock.member_id != member.id:
            raise StaleAction("That button belongs to someone else's mock.", "Start your own with `/mock`.")
        if mock.finished_at is not None:
            return await report(conn, svc, identity, mock.id, intro=await _ended_note(conn, svc, identity, mock))
        ended_by = "timeout" if now >= mock.ends_at else "stopped"
        await store.finish_mock(conn, mock.id, now, ended_by)
        return await report(conn, svc, identity, mock.id)


async def _ended_note(conn: AsyncConnection, svc: Services, identity: Identity, mock: store.Mock) -> str:
    """What a press on an ended mock's button is told: when it ended, and that the press changed nothing."""
    assert mock.finished_at is not None
    when = texts.local_time(mock.finished_at, await _zone(conn, svc, identity))
    return f"This mock already ended on {when}; that press changed nothing. "


async def end_expired(svc: Services, now: dt.datetime) -> list[int]:
    """End every mock whose time is up (for a scheduler); returns the ids ended."""
    async with svc.engine.begin() as conn:
        ended = []
        for mock_id in await store.expired_mocks(conn, now):
            if await store.finish_mock(conn, mock_id, now, "timeout"):
                ended.append(mock_id)
    return ended


async def report(conn: AsyncConnection, svc: Services, identity: Identity, mock_id: int, *, intro: str = "") -> Reply:
    """A report shaped like AWS's: share correct, a scaled estimate, each domain, what to review."""
    mock = await store.mock(conn, mock_id)
    assert mock is not None
    items = await store.mock_items(conn, mock_id)
    exam = svc.catalog.exam(mock.exam)
    total = len(items)
    right = sum(1 for i in items if i.correct)
    answered = sum(1 for i in items if i.chosen is not None)
    share = right / total if total else 0.0
    tallies: dict[str, tuple[int, int]] = {}
    for item in items:
        n, c = tallies.get(item.attempt.domain, (0, 0))
        tallies[item.attempt.domain] = (n + 1, c + (1 if item.correct else 0))
    fields = []
    summary = f"{bold(f'{right} of {total} correct ({texts.percent(share)})')}"
    if answered < total:
        summary += f"; {total - answered} left unanswered count as wrong"
    if exam is not None:
        mark = passing_mark(exam)
        score = scaled_estimate(share, mark)
        outlook = "above" if score >= mark else "below"
        summary += (
            f".\nEstimated scaled score: {bold(str(score))} on 100–1000 ({outlook} the passing mark of {mark}). "
            "This is a rough estimate from a short practice set, not how AWS scores."
        )
        lines = []
        for d in domain_scores(exam, tallies):
            if d.answered == 0:
                lines.append(f"{esc(d.name)}: no questions in this mock")
                continue
            verdict = "meets" if d.meets else "needs work"
            lines.append(f"{esc(d.name)}: {bold(verdict)} ({d.correct}/{d.answered})")
        fields.append(Field("Domains", bullets(lines)))
    missed = [i for i in items if not i.correct]
    if missed:
        index = svc.questions
        lines = []
        for item in missed[:15]:
            q = await index.find(conn, place_of(identity), item.attempt.question_id)
            stem = q.stem if q else item.attempt.question_id
            shown = stem if len(stem) <= 90 else stem[:87] + "…"
            status = "unanswered" if item.chosen is None else "wrong"
            lines.append(f"{code(item.attempt.question_id)} ({status}): {esc(shown)}")
        if len(missed) > 15:
            lines.append(f"… and {len(missed) - 15} more")
        fields.append(Field("Questions to review", bullets(lines) + "\nThe ones you got wrong come back in `/review`."))
    ended = {"timeout": "Time ran out.", "stopped": "You ended it early.", "completed": "All questions answered."}
    return Reply(
        title=f"Mock {mock.exam} report",
        text=esc(intro) + summary + "\n" + esc(ended.get(mock.ended_by or "", "")),
        fields=tuple(fields),
        ephemeral=True,
        replace=True,
    )
