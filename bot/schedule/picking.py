"""Which question a scheduled prompt asks: one matching the schedule that the channel has not seen lately."""

from __future__ import annotations

import random

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.catalog.exams import find_domain
from bot.catalog.models import Question
from bot.catalog.questions import Place
from bot.services import Services
from bot.store import deliveries as outbox
from bot.store.schedules import Schedule

Pools = dict[tuple[str, str, str], list[Question]]
"""Servable questions by (platform, workspace, exam), kept for one delivery pass: thousands of schedules of
one exam due in the same minute read the workspace's bank once, not once each."""

RECENT = 200  # how many past prompts of a channel count as "recent" when picking a question


async def pick_question(
    conn: AsyncConnection, svc: Services, schedule: Schedule, seed: str, pools: Pools | None = None
) -> Question | None:
    """A question honouring exam, domain and difficulty; the least recently asked when all were seen."""
    where = (schedule.platform, schedule.workspace, schedule.exam)
    questions = None if pools is None else pools.get(where)
    if questions is None:
        found = await svc.questions.pool(conn, Place(schedule.platform, schedule.workspace), schedule.exam)
        questions = [q for q in found if q.type in SERVABLE]
        if pools is not None:
            pools[where] = questions
    exam = svc.catalog.exam(schedule.exam)
    if schedule.domain and exam is not None:
        domain = find_domain(exam, schedule.domain)
        wanted = domain.name.casefold() if domain else None
        questions = [q for q in questions if q.domain.casefold() == wanted]
    if schedule.difficulty:
        questions = [q for q in questions if q.difficulty == schedule.difficulty]
    if not questions:
        return None
    recent = await outbox.recent_questions(conn, schedule.platform, schedule.workspace, schedule.channel, RECENT)
    seen = set(recent)
    fresh = [q for q in questions if q.id not in seen]
    if fresh:
        return random.Random(seed).choice(fresh)
    age = {qid: pos for pos, qid in reversed(list(enumerate(recent)))}
    return max(questions, key=lambda q: age.get(q.id, RECENT))


SERVABLE = ("single", "multiple")
"""Group prompts are answered with buttons in one message; ordering and matching need a member's own
menus, so they are asked in private practice and mocks only."""
