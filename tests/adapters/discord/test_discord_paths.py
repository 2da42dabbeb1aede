"""Issue 7's done-when through real discord.py and the fake Discord: `/path` buttons and `/mycerts`."""

from __future__ import annotations

import json
from typing import Any

from adapters.discord.client import DiscordAdapter
from tests.fakes.discord_server import FakeDiscord


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    return next(c for row in message["components"] for c in row["components"] if c.get("label") == label)


async def test_path_by_buttons_then_mycerts_marks_saa_done(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    asked = fake.message_of(await fake.wait_for_callback(await fake.slash("path")))
    press = await fake.press(asked["id"], button(asked, "Developer")["custom_id"])
    assert (await fake.wait_for_callback(press)).json["type"] == 7  # the question is replaced in place
    band = fake.messages[int(asked["id"])]
    press = await fake.press(band["id"], button(band, "About a year")["custom_id"])
    await fake.wait_for_callback(press)
    plan = json.dumps(fake.messages[int(asked["id"])])
    assert "SAA-C03" in plan and "DVA-C02" in plan and "study hours" in plan and "(done" not in plan

    added = await fake.wait_for_callback(await fake.slash("mycerts add", {"exam": "SAA-C03", "passed": "2025-06-01"}))
    assert "1 June 2028" in json.dumps(added.json)
    again = json.dumps((await fake.wait_for_callback(await fake.slash("path"))).json)
    assert "2 exams to go" in again and "(done)" in again and "SAA-C03" in again
