"""Issue 20 through real discord.py and the fake Discord: an overtaken button says what happened."""

from __future__ import annotations

import datetime as dt

from adapters.discord.client import DiscordAdapter
from bot.clock import FixedClock
from bot.requests import Identity
from bot.runtime import Runtime
from bot.store import members
from tests.adapters.discord import screen
from tests.fakes.discord_server import FakeDiscord

UPDATE_MESSAGE = 7


async def test_an_older_delete_question_deletes_nothing_stored_since_and_says_why(
    fake: FakeDiscord, adapter: DiscordAdapter, clock: FixedClock, runtime: Runtime
) -> None:
    await fake.wait_for_callback(await fake.slash("profile", {"timezone": "Asia/Tokyo"}))
    older = fake.message_of(await fake.wait_for_callback(await fake.slash("profile", {"action": "delete"})))
    clock.advance(dt.timedelta(minutes=5))
    newer = fake.message_of(await fake.wait_for_callback(await fake.slash("profile", {"action": "delete"})))
    first = await fake.wait_for_callback(
        await fake.press(newer["id"], screen.button(newer, "Delete everything")["custom_id"])
    )
    assert first.json["type"] == UPDATE_MESSAGE and first.json["data"]["embeds"][0]["title"] == "Deleted"
    clock.advance(dt.timedelta(minutes=5))
    await fake.wait_for_callback(await fake.slash("profile", {"timezone": "Europe/Berlin"}))  # stored since

    late = await fake.wait_for_callback(
        await fake.press(older["id"], screen.button(older, "Delete everything")["custom_id"])
    )
    data = late.json["data"]
    assert late.json["type"] == UPDATE_MESSAGE  # edits the ephemeral question in place
    assert data["embeds"][0]["title"] == "This question is out of date"
    assert "already deleted on Mon 23 Nov 09:05 (Europe/Berlin)" in data["embeds"][0]["description"]
    assert "Nothing was deleted" not in data["embeds"][0]["description"]
    assert data["components"] == []  # the overtaken buttons go away
    ada = Identity("discord", str(fake.guild_id), str(fake.channel_id), str(fake.users["ada"].id), "Ada")
    async with runtime.services.engine.connect() as conn:
        kept = await members.find(conn, ada)
    assert kept is not None and kept.timezone == "Europe/Berlin"
