"""Issue 20 through real discord.py and the fake Discord: an overtaken button says what happened."""

from __future__ import annotations

import dataclasses
import datetime as dt

from adapters.discord.client import DiscordAdapter
from adapters.discord.render import EPHEMERAL
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.paths.context import PathContext
from bot.paths.loader import NAME as PATHS
from bot.requests import Identity
from bot.runtime import Runtime
from bot.store import members
from tests.adapters.discord import screen
from tests.adapters.discord.conftest import close_adapter, open_adapter
from tests.conftest import make_settings
from tests.fakes.discord_server import FakeDiscord

NEW_MESSAGE = 4
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


async def test_a_catalog_page_from_before_a_content_update_says_it_has_changed(
    runtime: Runtime, fake: FakeDiscord, synced: None, sqlite_url: str, clock: FixedClock, catalog: Catalog
) -> None:
    first = await open_adapter(runtime, fake)
    try:
        page = fake.message_of(await fake.wait_for_callback(await fake.slash("cert")))
    finally:
        await close_adapter(fake, first)
    ans = next(label for label in screen.labels(page) if label.startswith("ANS-C01"))
    retired = catalog.exams["ANS-C01"].model_copy(update={"status": "retired", "retired_on": dt.date(2026, 11, 20)})
    rules = PathContext(catalog).rules  # the paths keep the rules they were checked with
    updated = dataclasses.replace(catalog, exams={**catalog.exams, "ANS-C01": retired}, extra={PATHS: rules})

    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=updated) as restarted:
        second = await open_adapter(restarted, fake)
        try:
            press = await fake.press(page["id"], screen.button(page, ans)["custom_id"])
            answer = await fake.wait_for_callback(press)
        finally:
            await close_adapter(fake, second)
    shown = fake.message_of(answer)
    assert answer.json["type"] == NEW_MESSAGE and answer.json["data"]["flags"] & EPHEMERAL
    assert screen.title(shown) == "AWS certifications (11 current)"
    assert "That page has changed: `ANS-C01` is retired now. Here is the current one." in screen.text(shown)
    assert len(screen.labels(shown)) == 11 and not any(label.startswith("ANS-C01") for label in screen.labels(shown))
    assert len(screen.components(fake.messages[int(page["id"])])) == 12  # the channel's page is left as it was
