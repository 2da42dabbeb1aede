"""`/review`: serve the member's due cards, most overdue first, then say when the next one is due.

A review shows the options in a fresh order each time (seeded by the member's served count, so the
order is fixed for that attempt and travels in its buttons), so a member cannot answer by position.
Questions held out for the final mock are never reviewed. The daily cap and a break come from the
member's review plan (`bot.practice.plans`).
"""

from __future__ import annotations

import datetime as dt

from bot.catalog.models import Exam
from bot.markup import bold, esc
from bot.practice import plans, texts
from bot.practice.engine import member_zone, place_of, question_reply, serve
from bot.replies import Reply
from bot.requests import Identity
from bot.services import Services
from bot.store import members as member_store
from bot.store import practice as store
from bot.store import reviews as plan_store
from bot.words import plural

# Cards whose question has gone (a workspace bank replaced), was retired or is suspended for its reports
# are skipped; look a little further.
LOOKAHEAD = 20


async def next_review(svc: Services, identity: Identity, now: dt.datetime, exam: Exam | None) -> Reply:
    code = exam.code if exam else None
    async with svc.engine.begin() as conn:
        member = await member_store.ensure(conn, identity, now)
        zone = member_zone(member, svc)
        today = plans.local_day(now, zone)
        plan = await plans.settle(conn, member.id, await plan_store.get(conn, member.id), today, now, zone)
        if plan.on_break(today):
            assert plan.break_to is not None
            _total, due_now, _next = await store.card_counts(conn, member.id, now, code)
            return Reply(
                title="On a break",
                text=f"Your reviews are paused until {bold(f'{plan.break_to:%a %d %b}')} (the last day of your "
                f"break); {plural(due_now, 'card')} waiting come back a few a day after it. "
                "End it early with `/review resume`.",
                ephemeral=True,
            )
        done = await plans.reviewed_today(conn, member.id, now, zone)
        if done >= plan.cap:
            _total, due_now, _next = await store.card_counts(conn, member.id, now, code)
            return Reply(
                title="Done for today",
                text=f"{bold('You answered ' + plural(done, 'review') + ' today')}, your daily cap. "
                f"{plural(due_now, 'card')} still due carry over to tomorrow, oldest first. "
                "Change the cap with `/review settings cap:80`.",
                ephemeral=True,
            )
        due = await store.due_card_questions(conn, member.id, now, code, limit=LOOKAHEAD)
        index = svc.questions
        for question_id, exam_code, due_at in due:
            question = await index.servable(conn, place_of(identity), question_id)
            card_exam = svc.catalog.exam(exam_code)
            if question is None or card_exam is None:
                continue
            salt = f"|review|{await store.served_count(conn, member.id)}"
            served = await serve(conn, svc, identity, member.id, card_exam, question, "review", now, salt=salt)
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
