"""Pressing a button of a message the console poster printed (`studybot schedule press`).

In a chat the prompt's buttons are under the message; in a terminal the message was printed by another
command, so the press names the message id and the button number instead.
"""

from __future__ import annotations

from adapters.console.render import which_button
from bot.commands.dispatch import Core
from bot.errors import NotFound
from bot.replies import Reply, error_reply
from bot.requests import Action, Identity
from bot.schedule.digest import build_digest
from bot.schedule.prompts import build_prompt
from bot.store import deliveries as outbox
from bot.store.db import reading


async def press_posted(core: Core, user: str, message_id: str, number: int, choose: tuple[int, ...] = ()) -> Reply:
    """Press button `number` (from 1) of posted message `message_id` as console member `user`."""
    svc = core.services
    async with reading(svc.engine) as conn:
        row = await outbox.by_message(conn, "console", message_id)
    if row is None:
        exc = NotFound(f"There is no posted message {message_id}.", "Copy the id from the `posted in` line.")
        return error_reply(exc.message, exc.hint)
    if row.kind == "digest":  # its one button, "Try it"
        prompt = await build_digest(svc, row.id)
    else:
        prompt = await build_prompt(svc, row.id, svc.clock.now())
    if not 1 <= number <= len(prompt.buttons):
        return error_reply(which_button(len(prompt.buttons)), None)
    values: tuple[str, ...] = ()
    if prompt.select is not None:
        values = tuple(prompt.select.options[i - 1].value for i in choose if 1 <= i <= len(prompt.select.options))
    identity = Identity("console", row.workspace, row.channel, user, user)
    return await core.handle(
        Action(identity, prompt.buttons[number - 1].action_id, values=values, message_id=message_id)
    )
