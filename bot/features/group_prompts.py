"""Presses on a scheduled group prompt: the member's answer is recorded privately, changeable until the reveal."""

from __future__ import annotations

from bot.actions import ActionId
from bot.commands.registry import Registry
from bot.commands.spec import ActionSpec
from bot.errors import InvalidOption, StaleAction
from bot.replies import Reply
from bot.requests import Action
from bot.schedule import texts
from bot.schedule.prompts import UPDATER_KEY, find_question, record_press
from bot.services import Services
from bot.store.schema import schedule_deliveries


async def pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    assert action.now is not None
    try:
        delivery_id = int(aid.field(0))
    except ValueError:
        raise StaleAction("That answer button is damaged.", None) from None
    letters = (aid.fields[1] if len(aid.fields) > 1 else "") or "".join(action.values)
    from sqlalchemy import select

    async with svc.engine.connect() as conn:
        row = (
            (await conn.execute(select(schedule_deliveries).where(schedule_deliveries.c.id == delivery_id)))
            .mappings()
            .first()
        )
        if row is None:
            raise StaleAction("That question is no longer open.", "Wait for the next one.")
        question = await find_question(conn, svc, row["platform"], row["workspace"], row["question_id"])
    if question is None:
        raise StaleAction("That question no longer exists.", None)
    if not letters:
        raise InvalidOption(
            f"Choose {question.choose} options in the menu first, then press Submit.",
            None,
        )
    positions = {texts.LETTERS.find(letter) for letter in letters.upper()}
    if any(p < 0 or p >= len(question.options) for p in positions):
        raise StaleAction("That answer button is out of date.", None)
    if len(positions) != question.choose:
        raise InvalidOption(f"This question needs exactly {question.choose} options; you chose {len(positions)}.", None)
    chosen = "".join(str(p) for p in sorted(positions))
    changed = await record_press(
        svc, delivery_id, action.identity.user_id, action.identity.user_name, chosen, action.now
    )
    updater = svc.extras.get(UPDATER_KEY)
    if updater is not None:
        updater.touch(delivery_id)
    return texts.recorded_reply(chosen, changed)


def register(registry: Registry) -> None:
    registry.action(ActionSpec(texts.PRESS, pressed))
    registry.action(ActionSpec(texts.PRESS_SELECT, pressed))
