"""`/review`: serve the member's due cards, most overdue first, then say when the next one is due."""

from __future__ import annotations

import datetime as dt

from bot.catalog.models import Exam
from bot.markup import bold, esc
from bot.practice import texts
from bot.practice.engine import member_zone, place_of, question_reply, serve
from bot.replies import Reply
from bot.requests import Identity
from bot.services import Services
from bot.store import members as member_store
from bot.store import practice as store

# Cards whose question has gone (a workspace bank replaced), was retired or is suspended for its reports
# are skipped; look a little further.
LOOKAHEAD = 20


async def next_review(svc: Services, identity: Identity, now: dt.datetime, exam: Exam | None) -> Reply:
    code = exam.code if exam else None
    async with svc.engine.begin() as conn:
        member = await member_store.ensure(conn, identity, now)
        due = await store.due_card_questions(conn, member.id, now, code, limit=LOOKAHEAD)
        index = svc.questions
        for question_id, exam_code, due_at in due:
            question = await index.servable(conn, place_of(identity), question_id)
            card_exam = svc.catalog.exam(exam_code)
            if question is None or card_exam is None:
                continue
            served = await serve(conn, svc, identity, member.id, card_exam, question, "review", now)
            total, due_now, _next = await store.card_counts(conn, member.id, now, code)
            footer = f"{due_now} due now of {total} cards · {question.id}"
            overdue = (
                "due now" if due_at >= now - dt.timedelta(minutes=1) else f"due since {texts.until(now, due_at)[3:]}"
            )
            return question_reply(
                served, heading=f"Review · {card_exam.code} · {question.domain}", footer=f"{footer} · {overdue}"
            )
        total, due_now, upcoming = await store.card_counts(conn, member.id, now, code)
    scope = f" for {code}" if code else ""
    if total == 0:
        return Reply(
            title="Nothing to review yet",
            text=f"You have no review cards{scope}: every question you answer becomes one. Start with `/practice`.",
            ephemeral=True,
        )
    zone = member_zone(member, svc)
    when = (
        f"The next card is due {texts.until(upcoming, now)}, {esc(texts.local_time(upcoming, zone))}."
        if upcoming
        else ""
    )
    return Reply(
        title="All caught up",
        text=f"{bold('Nothing is due right now')}{esc(scope)}. {when}\nYou have {total} cards. "
        "`/practice` meanwhile adds new ones.",
        ephemeral=True,
    )
