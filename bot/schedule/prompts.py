"""Group prompts as data: building the prompt and reveal messages, recording presses, the live count.

A prompt's message is rebuilt from the store whenever it changes (a new "N answered", the close after
the reveal), so nothing about it lives only in memory and an edit after a restart looks the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.catalog.models import Question
from bot.errors import StaleAction
from bot.replies import Reply
from bot.schedule import texts
from bot.schedule.ports import PostResult
from bot.services import Services
from bot.store import schedules as schedule_store
from bot.store.claims import claim
from bot.store.schema import prompt_answers, schedule_deliveries

if TYPE_CHECKING:
    from bot.schedule.deliveries import Deliverer

log = logging.getLogger(__name__)

UPDATER_KEY = "prompt_counts"


async def find_question(
    conn: AsyncConnection, svc: Services, platform: str, workspace: str, question_id: str
) -> Question | None:
    for bank in svc.catalog.questions.values():
        for question in bank:
            if question.id == question_id:
                return question
    try:
        from bot.practice.questions import Place, QuestionIndex
        from bot.practice.questions import find_question as find_own
    except ImportError:
        return None
    index = svc.extras.get("question_index") or QuestionIndex(svc.catalog)
    return await find_own(conn, index, Place(platform, workspace), question_id)


async def _delivery(conn: AsyncConnection, delivery_id: int) -> Any:
    row = (
        (await conn.execute(select(schedule_deliveries).where(schedule_deliveries.c.id == delivery_id)))
        .mappings()
        .first()
    )
    if row is None:
        raise LookupError(f"no delivery {delivery_id}")
    return row


async def _view(
    conn: AsyncConnection, svc: Services, row: Any, now: dt.datetime, *, closed: bool = False
) -> texts.PromptView:
    question = await find_question(conn, svc, row["platform"], row["workspace"], row["question_id"])
    if question is None:
        raise LookupError(f"question {row['question_id']} is gone")
    schedule = await schedule_store.get(conn, row["schedule_id"]) if row["schedule_id"] else None
    zone = schedule.timezone if schedule else svc.settings.default_timezone
    target = await schedule_store.get_target(conn, row["platform"], row["workspace"], row["channel"])
    countdown = None
    if target is not None:
        from zoneinfo import ZoneInfo

        countdown = texts.countdown(target.exam, target.exam_date, now.astimezone(ZoneInfo(zone)).date())
    answered = (
        await conn.execute(
            select(func.count()).select_from(prompt_answers).where(prompt_answers.c.delivery_id == row["id"])
        )
    ).scalar_one()
    reveal_at = row["reveal_at"]
    if reveal_at is None and row["state"] == "claimed":
        minutes = schedule.reveal_minutes if schedule else 12 * 60
        reveal_at = now + dt.timedelta(minutes=minutes)
    exam = svc.catalog.exam(row["exam"])
    domain = question.domain
    if exam is not None:
        found = next((d.name for d in exam.domains if d.name.casefold() == question.domain.casefold()), None)
        domain = found or domain
    return texts.PromptView(
        row["id"], row["exam"], domain, question, int(answered), reveal_at, zone, countdown=countdown, closed=closed
    )


async def build_prompt(svc: Services, delivery_id: int, now: dt.datetime, *, closed: bool = False) -> Reply:
    async with svc.engine.connect() as conn:
        row = await _delivery(conn, delivery_id)
        reply = texts.prompt_reply(await _view(conn, svc, row, now, closed=closed))
        if closed:
            return reply
        settings = await schedule_store.get_settings(conn, row["platform"], row["workspace"])
        return dataclasses.replace(reply, mention=settings.mention_role)


async def final_answers(conn: AsyncConnection, prompt_id: int) -> list[tuple[str, str, str]]:
    """(user id, display name, chosen) of everyone who answered, as they stand now."""
    rows = await conn.execute(
        select(prompt_answers.c.user_id, prompt_answers.c.user_name, prompt_answers.c.chosen)
        .where(prompt_answers.c.delivery_id == prompt_id)
        .order_by(prompt_answers.c.id)
    )
    return [(r.user_id, r.user_name, r.chosen) for r in rows]


async def build_reveal(svc: Services, reveal_id: int) -> tuple[Reply, list[tuple[str, str, str]]]:
    async with svc.engine.connect() as conn:
        reveal = await _delivery(conn, reveal_id)
        question = await find_question(conn, svc, reveal["platform"], reveal["workspace"], reveal["question_id"])
        if question is None:
            raise LookupError(f"question {reveal['question_id']} is gone")
        answers = await final_answers(conn, reveal["prompt_id"])
    return texts.reveal_reply(reveal["exam"], question, [(name, chosen) for _uid, name, chosen in answers]), answers


async def close_prompt(deliverer: Deliverer, reveal_id: int) -> None:
    """After the reveal, the prompt loses its buttons and shows its final count."""
    svc = deliverer.svc
    async with svc.engine.connect() as conn:
        reveal = await _delivery(conn, reveal_id)
        prompt = await _delivery(conn, reveal["prompt_id"])
    if not prompt["message_id"]:
        return
    reply = await build_prompt(svc, prompt["id"], svc.clock.now(), closed=True)
    result = await deliverer.send(
        prompt["platform"],
        prompt["channel"],
        lambda poster: poster.edit(prompt["workspace"], prompt["channel"], prompt["message_id"], reply),
    )
    if not result.ok:
        log.info("could not close prompt %s: %s", prompt["id"], result)


async def feed_practice(svc: Services, reveal_id: int, answers: list[tuple[str, str, str]], now: dt.datetime) -> int:
    """Each member's final answer becomes a practice answer: their /review cards and /stats see it.

    Runs once per reveal: a claim key guards it, so a reveal re-posted after a failure adds nothing.
    It goes through the practice engine's own recording path (an attempt with source "group", then
    the group-commit writer), so review cards are graded exactly as for `/practice`. A crash between
    the attempts' commit and the writer's loses those answers' cards (at most once, never twice).
    """
    if not answers:
        return 0
    try:
        from bot.practice.engine import record
        from bot.practice.writer import AnswerJob
        from bot.store import practice as practice_store
    except ImportError:
        log.warning("the practice engine is not installed; group answers stay in prompt_answers only")
        return 0
    from bot.requests import Identity
    from bot.store import members as member_store

    async with svc.engine.begin() as conn:
        # A reveal retried after a failed post must not add the answers a second time.
        if not await claim(conn, f"group-feed:{reveal_id}", now):
            return 0
        reveal = await _delivery(conn, reveal_id)
        question = await find_question(conn, svc, reveal["platform"], reveal["workspace"], reveal["question_id"])
        if question is None:
            return 0
        exam = svc.catalog.exam(reveal["exam"])
        domain = question.domain
        if exam is not None:
            domain = next((d.name for d in exam.domains if d.name.casefold() == question.domain.casefold()), domain)
        order = "".join(str(i) for i in range(len(question.options)))
        jobs = []
        for user_id, name, chosen in answers:
            identity = Identity(reveal["platform"], reveal["workspace"], reveal["channel"], user_id, name)
            member = await member_store.ensure(conn, identity, now)
            attempt_id = await practice_store.create_attempt(
                conn,
                member_id=member.id,
                question_id=question.id,
                exam=reveal["exam"],
                domain=domain,
                source="group",
                option_order=order,
                channel=reveal["channel"],
                now=now,
            )
            jobs.append(
                AnswerJob(
                    attempt_id=attempt_id,
                    platform=reveal["platform"],
                    workspace=reveal["workspace"],
                    user_id=user_id,
                    question_id=question.id,
                    option_order=order,
                    chosen=chosen,
                    correct=tuple(int(c) for c in chosen) == question.correct_indexes,
                    at=now,
                )
            )
    recorded = 0
    for job in jobs:
        outcome = await record(svc, job)
        recorded += outcome.status == "recorded"
    return recorded


# -- presses -------------------------------------------------------------------------------------


async def record_press(
    svc: Services, delivery_id: int, user_id: str, user_name: str, chosen: str, now: dt.datetime
) -> bool:
    """Store or change a member's answer; True when it changed an earlier one.

    Raises:
        StaleAction: the prompt does not exist, was never posted, or has been revealed.
    """
    async with svc.engine.begin() as conn:
        row = (
            (await conn.execute(select(schedule_deliveries).where(schedule_deliveries.c.id == delivery_id)))
            .mappings()
            .first()
        )
        if row is None or row["kind"] != "prompt" or row["state"] not in ("posted", "claimed"):
            raise StaleAction("That question is no longer open.", "Wait for the next one.")
        revealed = (
            await conn.execute(select(schedule_deliveries.c.id).where(schedule_deliveries.c.prompt_id == delivery_id))
        ).first()
        if revealed is not None or (row["reveal_at"] is not None and now >= row["reveal_at"]):
            raise StaleAction(
                "The answer to that question has been revealed; answers are closed.", "Wait for the next one."
            )
        where = (prompt_answers.c.delivery_id == delivery_id) & (prompt_answers.c.user_id == user_id)
        changed = await conn.execute(
            update(prompt_answers).where(where).values(chosen=chosen, answered_at=now, user_name=user_name[:200])
        )
        if changed.rowcount:
            return True
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(prompt_answers).values(
            delivery_id=delivery_id, user_id=user_id, user_name=user_name[:200], chosen=chosen, answered_at=now
        )
        # Two presses racing for a first answer: the later one wins, as a change would.
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["delivery_id", "user_id"], set_={"chosen": chosen, "answered_at": now}
            )
        )
        return False


class CountUpdater:
    """Keeps each prompt's "N answered" current without an edit per press.

    One edit per message is in flight at a time; presses that arrive meanwhile are folded into one
    more edit after it. `flush` waits for all of them (the runtime calls it before closing).
    """

    def __init__(self, deliverer: Deliverer) -> None:
        self.deliverer = deliverer
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._dirty: set[int] = set()

    def touch(self, delivery_id: int) -> None:
        self._dirty.add(delivery_id)
        if delivery_id not in self._tasks:
            self._tasks[delivery_id] = asyncio.create_task(self._run(delivery_id), name=f"prompt-count-{delivery_id}")

    async def _run(self, delivery_id: int) -> None:
        try:
            while delivery_id in self._dirty:
                self._dirty.discard(delivery_id)
                await self._edit(delivery_id)
        except Exception:
            log.exception("updating the answer count of prompt %s failed", delivery_id)
        finally:
            self._tasks.pop(delivery_id, None)

    async def _edit(self, delivery_id: int) -> PostResult | None:
        svc = self.deliverer.svc
        async with svc.engine.connect() as conn:
            row = await _delivery(conn, delivery_id)
        if not row["message_id"]:
            return None
        reply = await build_prompt(svc, delivery_id, svc.clock.now())
        return await self.deliverer.send(
            row["platform"],
            row["channel"],
            lambda poster: poster.edit(row["workspace"], row["channel"], row["message_id"], reply),
        )

    async def flush(self) -> None:
        while self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.gather(*list(self._tasks.values()))
