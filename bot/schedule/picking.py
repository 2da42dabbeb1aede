"""Which question a scheduled prompt asks: one from the domain its focus draws (`bot.schedule.focus`), that
the channel has not seen lately, and the sentence its reveal shows about why that domain."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.catalog.exams import find_domain
from bot.catalog.models import Question
from bot.catalog.questions import Place
from bot.practice.scoring import domain_scores
from bot.schedule import focus
from bot.services import Services
from bot.store import deliveries as outbox
from bot.store import practice as practice_store
from bot.store.schedules import Schedule

Pools = dict[tuple[str, str, str], list[Question]]
"""Servable questions by (platform, workspace, exam), kept for one delivery pass: thousands of schedules of
one exam due in the same minute read the workspace's bank once, not once each."""

RECENT = 200  # how many past prompts of a channel count as "recent" when picking a question


@dataclass(frozen=True, slots=True)
class Pick:
    """The question a prompt asks, and why its domain (None when the schedule names no exam we know)."""

    question: Question
    note: str | None


async def pick_question(
    conn: AsyncConnection,
    svc: Services,
    schedule: Schedule,
    seed: str,
    due: dt.datetime,
    pools: Pools | None = None,
) -> Pick | None:
    """A question honouring exam, domain, focus and difficulty; the least recently asked when all were seen.

    Deterministic for a given `seed` (the prompt's claim key) and stored state: the focus draws the
    domain from the channel's answers before `due`, then the question within it.
    """
    where = (schedule.platform, schedule.workspace, schedule.exam)
    questions = None if pools is None else pools.get(where)
    if questions is None:
        found = await svc.questions.pool(conn, Place(schedule.platform, schedule.workspace), schedule.exam)
        questions = [q for q in found if q.type in SERVABLE]
        if pools is not None:
            pools[where] = questions
    exam = svc.catalog.exam(schedule.exam)
    domain = find_domain(exam, schedule.domain) if schedule.domain and exam is not None else None
    if schedule.domain and exam is not None:
        wanted = domain.name.casefold() if domain else None
        questions = [q for q in questions if q.domain.casefold() == wanted]
    if schedule.difficulty:
        questions = [q for q in questions if q.difficulty == schedule.difficulty]
    if not questions:
        return None
    rng = random.Random(seed)
    note = None
    if domain is not None:
        note = f"From {domain.name}: this schedule's focus."
    elif exam is not None and not schedule.domain:
        names = {q.domain.casefold() for q in questions}
        tallies: dict[str, tuple[int, int]] = {}
        if schedule.focus == focus.WEAKEST:
            tallies = await practice_store.channel_domains(
                conn, schedule.platform, schedule.workspace, schedule.channel, exam.code, due - focus.WINDOW, due
            )
        scores = [s for s in domain_scores(exam, tallies) if s.name.casefold() in names]
        if scores:
            drawn = focus.draw(rng, schedule.focus, exam, scores)
            questions = [q for q in questions if q.domain.casefold() == drawn.domain.casefold()]
            note = drawn.note
    recent = await outbox.recent_questions(conn, schedule.platform, schedule.workspace, schedule.channel, RECENT)
    seen = set(recent)
    fresh = [q for q in questions if q.id not in seen]
    if fresh:
        return Pick(rng.choice(fresh), note)
    age = {qid: pos for pos, qid in reversed(list(enumerate(recent)))}
    return Pick(max(questions, key=lambda q: age.get(q.id, RECENT)), note)


SERVABLE = ("single", "multiple")
"""Group prompts are answered with buttons in one message; ordering and matching need a member's own
menus, so they are asked in private practice and mocks only."""
