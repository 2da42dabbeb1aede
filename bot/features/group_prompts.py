"""Presses on a scheduled group prompt: the member's answer is recorded privately, changeable until the reveal."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.actions import ActionId
from bot.catalog.questions import Place
from bot.commands.registry import Registry
from bot.commands.spec import ActionSpec, DeletionStep
from bot.errors import InvalidOption, StaleAction
from bot.practice import texts as practice_texts
from bot.replies import Reply
from bot.requests import Action, Identity
from bot.schedule import texts
from bot.schedule.prompts import record_press
from bot.services import Services
from bot.store import deliveries as outbox
from bot.store.db import reading
from bot.store.schema import prompt_answers, schedule_deliveries


async def pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    try:
        delivery_id = int(aid.field(0))
    except ValueError:
        raise StaleAction("That answer button is damaged.", None) from None
    letters = (aid.fields[1] if len(aid.fields) > 1 else "") or "".join(action.values)
    identity = action.identity
    async with reading(svc.engine) as conn:
        row = await outbox.get(conn, delivery_id)
        if row is None or (row.platform, row.workspace) != (identity.platform, identity.workspace):
            raise StaleAction("That question is no longer open.", "Wait for the next one.")
        question = await svc.questions.find(conn, Place(row.platform, row.workspace), row.question_id)
    if question is None:
        raise StaleAction("That question no longer exists.", None)
    if not letters:
        raise InvalidOption(practice_texts.choose_first(question, identity.platform, posted=True), None)
    positions = {texts.LETTERS.find(letter) for letter in letters.upper()}
    if any(p < 0 or p >= len(question.options) for p in positions):
        raise StaleAction("That answer button is out of date.", None)
    if len(positions) != question.choose:
        raise InvalidOption(f"This question needs exactly {question.choose} options; you chose {len(positions)}.", None)
    chosen = "".join(str(p) for p in sorted(positions))
    changed = await record_press(svc, identity, delivery_id, chosen, action.at)
    svc.schedule.touch(delivery_id)
    return texts.recorded_reply(chosen, changed)


def _own_group_answers(identity: Identity):  # type: ignore[no-untyped-def]
    """A member's answers to group prompts are keyed by user id, not by member row, so the cascade
    from the member does not reach them: this is where they are."""
    prompts = select(schedule_deliveries.c.id).where(
        (schedule_deliveries.c.platform == identity.platform) & (schedule_deliveries.c.workspace == identity.workspace)
    )
    return (prompt_answers.c.user_id == identity.user_id) & prompt_answers.c.delivery_id.in_(prompts)


async def forget_group_answers(conn: AsyncConnection, identity: Identity) -> int:
    """`/profile delete`."""
    result = await conn.execute(delete(prompt_answers).where(_own_group_answers(identity)))
    return int(result.rowcount or 0)


async def export_group_answers(conn: AsyncConnection, identity: Identity) -> list[dict[str, object]]:
    """`/profile export`: the rows `forget_group_answers` deletes."""
    rows = await conn.execute(select(prompt_answers).where(_own_group_answers(identity)).order_by(prompt_answers.c.id))
    return [dict(row) for row in rows.mappings()]


def register(registry: Registry) -> None:
    registry.action(ActionSpec(texts.PRESS, pressed))
    registry.action(ActionSpec(texts.PRESS_SELECT, pressed))
    registry.deletion_step(DeletionStep("group prompt answers", forget_group_answers, export_group_answers))
