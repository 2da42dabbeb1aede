"""A press on a group prompt counts only in the workspace and platform of the prompt's message."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.requests import Action
from bot.store.schema import prompt_answers
from tests.conftest import person
from tests.schedule.conftest import FakePoster, at, open_runtime

MOD = person("mo", moderator=True)
ADD = "/studyadmin schedule add channel:#study exam:SAA-C03 preset:weekdays-9am timezone:Europe/Berlin"


async def test_a_press_naming_another_workspaces_prompt_changes_nothing(sqlite_url: str, catalog: Catalog) -> None:
    clock = FixedClock(at("2026-11-29T12:00:00+01:00"))
    poster = FakePoster()
    async with open_runtime(sqlite_url, clock, catalog, poster) as rt:
        assert (await rt.core.handle_line(MOD, ADD)).title != "That didn't work"
        clock.set(at("2026-11-30T09:00:30+01:00"))
        await rt.schedule.deliver_due()
        (_channel, _message, prompt, _nonce) = poster.posts[0]
        button = prompt.buttons[0].action_id if prompt.buttons else ""
        values = (prompt.select.options[0].value, prompt.select.options[1].value) if prompt.select else ()
        stranger = dataclasses.replace(person("eve"), workspace="other-workspace")
        refused = await rt.core.handle(Action(stranger, button, values=values))
        assert refused.title == "That didn't work" and "no longer open" in refused.text
        other_platform = dataclasses.replace(person("eve"), platform="discord")
        assert (await rt.core.handle(Action(other_platform, button, values=values))).title == "That didn't work"
        async with rt.services.engine.connect() as conn:
            stored = (await conn.execute(select(func.count()).select_from(prompt_answers))).scalar_one()
        assert stored == 0
        member = await rt.core.handle(Action(person("ada"), button, values=values))
        assert member.title != "That didn't work", member.text
        again = await rt.core.handle(Action(person("ada"), button, values=values))
        assert "still" in again.text and "Changed" not in again.text
