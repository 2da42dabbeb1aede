"""Group prompts as data: building the prompt and reveal messages, recording presses, feeding practice.

A prompt's message is rebuilt from the store whenever it changes (a new "N answered", the close after
the reveal), so nothing about it lives only in memory and an edit after a restart looks the same.
Everything here reads and writes through `bot.store.deliveries`; sending goes through a `Sender`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.catalog.models import Question
from bot.catalog.questions import Place
from bot.errors import StaleAction
from bot.practice.engine import record
from bot.practice.errata import report_button
from bot.practice.questions import grade
from bot.practice.writer import AnswerJob
from bot.replies import Reply
from bot.requests import Identity
from bot.schedule import texts
from bot.schedule.sending import Sender
from bot.services import Services
from bot.store import deliveries as outbox
from bot.store import errata as errata_store
from bot.store import members as member_store
from bot.store import practice as practice_store
from bot.store import schedules as schedule_store
from bot.store import workspaces as workspace_store
from bot.store.claims import claim
from bot.store.db import reading
from bot.store.deliveries import Delivery, GroupAnswer

log = logging.getLogger(__name__)

DEFAULT_REVEAL_MINUTES = 12 * 60


async def delivery(conn: AsyncConnection, delivery_id: int) -> Delivery:
    found = await outbox.get(conn, delivery_id)
    if found is None:
        raise LookupError(f"no delivery {delivery_id}")
    return found


async def question_of(conn: AsyncConnection, svc: Services, row: Delivery) -> Question:
    found = await svc.questions.find(conn, Place(row.platform, row.workspace), row.question_id)
    if found is None:
        raise LookupError(f"question {row.question_id} is gone")
    return found


def domain_name(svc: Services, exam_code: str, question: Question) -> str:
    """The domain as the exam guide spells it (a workspace's own question may differ in case)."""
    exam = svc.catalog.exam(exam_code)
    found = exam.domain(question.domain) if exam is not None else None
    return found.name if found is not None else question.domain


async def _view(
    conn: AsyncConnection, svc: Services, row: Delivery, now: dt.datetime, *, closed: bool
) -> texts.PromptView:
    question = await question_of(conn, svc, row)
    schedule = await schedule_store.get(conn, row.schedule_id) if row.schedule_id else None
    zone = schedule.timezone if schedule else svc.settings.default_timezone
    target = await workspace_store.get_target(conn, row.platform, row.workspace, row.channel)
    countdown = None
    if target is not None:
        countdown = texts.countdown(target.exam, target.exam_date, now.astimezone(ZoneInfo(zone)).date())
    reveal_at = row.reveal_at
    if reveal_at is None and row.state == "claimed":
        minutes = schedule.reveal_minutes if schedule else DEFAULT_REVEAL_MINUTES
        reveal_at = now + dt.timedelta(minutes=minutes)
    return texts.PromptView(
        row.id,
        row.exam,
        domain_name(svc, row.exam, question),
        question,
        await outbox.answer_count(conn, row.id),
        reveal_at,
        zone,
        countdown=countdown,
        closed=closed,
    )


async def build_prompt(svc: Services, delivery_id: int, now: dt.datetime, *, closed: bool = False) -> Reply:
    async with reading(svc.engine) as conn:
        row = await delivery(conn, delivery_id)
        reply = texts.prompt_reply(await _view(conn, svc, row, now, closed=closed))
        if closed:
            return reply
        settings = await workspace_store.get_settings(conn, row.platform, row.workspace)
        return dataclasses.replace(reply, mention=settings.mention_role)


async def build_reveal(svc: Services, reveal_id: int) -> tuple[Reply, list[GroupAnswer]]:
    async with reading(svc.engine) as conn:
        reveal = await delivery(conn, reveal_id)
        question = await question_of(conn, svc, reveal)
        assert reveal.prompt_id is not None
        answers = await outbox.answers(conn, reveal.prompt_id)
        prompt = await outbox.get(conn, reveal.prompt_id)
        corrections = await errata_store.channel_notices(conn, reveal.platform, reveal.workspace, reveal.channel)
    note = prompt.focus_note if prompt is not None else None
    reply = texts.reveal_reply(reveal.exam, question, [(a.user_name, a.chosen) for a in answers], note)
    if corrections:
        # Said once: `close_prompt`, which runs only once the reveal is posted, marks them shown.
        reply = dataclasses.replace(reply, text=reply.text + "\n\n" + "\n".join(text for _id, text in corrections))
    return dataclasses.replace(reply, buttons=(*reply.buttons, report_button(question.id))), answers


async def close_prompt(svc: Services, sender: Sender, reveal_id: int) -> None:
    """After the reveal, the prompt loses its buttons and shows its final count; the corrections the
    reveal carried (errata notices older than its claim) have now been said in the channel."""
    async with svc.engine.begin() as conn:
        reveal = await delivery(conn, reveal_id)
        assert reveal.prompt_id is not None
        prompt = await delivery(conn, reveal.prompt_id)
        said = await errata_store.channel_notices(
            conn, reveal.platform, reveal.workspace, reveal.channel, made_by=reveal.claimed_at
        )
        await errata_store.mark_shown(conn, [i for i, _t in said], reveal.claimed_at)
    message_id = prompt.message_id
    if not message_id:
        return
    reply = await build_prompt(svc, prompt.id, svc.clock.now(), closed=True)
    result = await sender.send(
        prompt.platform, prompt.channel, lambda poster: poster.edit(prompt.workspace, prompt.channel, message_id, reply)
    )
    if not result.ok:
        log.info("could not close prompt %s: %s", prompt.id, result)


async def feed_practice(svc: Services, reveal_id: int, answers: list[GroupAnswer], now: dt.datetime) -> int:
    """Each member's final answer becomes a practice answer: their /review cards and /stats see it.

    Runs once per reveal: a claim key guards it, so a reveal re-posted after a failure adds nothing.
    It goes through the practice engine's own recording path (an attempt with source "group", then
    the group-commit writer), so review cards are graded exactly as for `/practice`. A crash between
    the attempts' commit and the writer's loses those answers' cards (at most once, never twice).
    """
    if not answers:
        return 0
    async with svc.engine.begin() as conn:
        # A reveal retried after a failed post must not add the answers a second time.
        if not await claim(conn, f"group-feed:{reveal_id}", now):
            return 0
        reveal = await delivery(conn, reveal_id)
        question = await svc.questions.find(conn, Place(reveal.platform, reveal.workspace), reveal.question_id)
        if question is None:
            return 0
        domain = domain_name(svc, reveal.exam, question)
        order = "".join(str(i) for i in range(len(question.options)))
        # The answers count from the reveal's due time (when they were graded for the group; a pass runs
        # due reveals before due digests), or, when a digest of the channel has gone out since, from that
        # digest: each answer is in exactly one digest, even for a reveal posted late.
        at = min(reveal.due_at, now)
        digested = await outbox.last_digest_due(conn, reveal.platform, reveal.workspace, reveal.channel, now)
        if digested is not None and digested > at:
            at = digested
        jobs = []
        for answer in answers:
            identity = Identity(reveal.platform, reveal.workspace, reveal.channel, answer.user_id, answer.user_name)  # type: ignore[arg-type]
            member = await member_store.ensure(conn, identity, now)
            attempt_id = await practice_store.create_attempt(
                conn,
                member_id=member.id,
                question_id=question.id,
                exam=reveal.exam,
                domain=domain,
                source="group",
                option_order=order,
                channel=reveal.channel,
                now=now,
            )
            jobs.append(
                AnswerJob(
                    attempt_id=attempt_id,
                    platform=reveal.platform,
                    workspace=reveal.workspace,
                    user_id=answer.user_id,
                    question_id=question.id,
                    option_order=order,
                    chosen=answer.chosen,
                    correct=grade(question, answer.chosen),
                    at=at,
                )
            )
    recorded = 0
    for job in jobs:
        outcome = await record(svc, job)
        recorded += outcome.status == "recorded"
    return recorded


async def record_press(
    svc: Services, identity: Identity, delivery_id: int, chosen: str, now: dt.datetime
) -> outbox.AnswerChange:
    """Store or change a member's answer: new, changed, or the same as before.

    Raises:
        StaleAction: the prompt does not exist in the member's workspace, was never posted, or has
            been revealed.
    """
    async with svc.engine.begin() as conn:
        row = await outbox.get(conn, delivery_id)
        if (
            row is None
            or row.kind != "prompt"
            or row.state not in ("posted", "claimed")
            or (row.platform, row.workspace) != (identity.platform, identity.workspace)
        ):
            raise StaleAction("That question is no longer open.", "Wait for the next one.")
        if await outbox.is_revealed(conn, delivery_id) or (row.reveal_at is not None and now >= row.reveal_at):
            raise StaleAction(
                "The answer to that question has been revealed; answers are closed.", "Wait for the next one."
            )
        return await outbox.put_answer(conn, delivery_id, identity.user_id, identity.user_name, chosen, now)
