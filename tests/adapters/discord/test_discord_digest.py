"""The weekly digest through real discord.py, the real `DiscordPoster` and the fake Discord.

A moderator adds a Monday 9:00 digest with the slash command; two members practise during the week,
one with digest mentions off and one snoozed; the delivery posts the digest once, naming both and
pinging nobody (not even the role prompts mention); a member presses "Try it" and gets the week's
most-missed question privately.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.discord.client import DiscordAdapter
from adapters.discord.render import EPHEMERAL
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.runtime import Runtime
from tests.adapters.discord import screen
from tests.adapters.discord.conftest import close_adapter, open_adapter
from tests.fakes.discord_server import FakeDiscord, Recorded

SUNDAY = dt.datetime.fromisoformat("2026-11-22T12:00:00+01:00")
MONDAY_9 = dt.datetime.fromisoformat("2026-11-23T09:00:00+01:00")
DIGEST = {"channel": "study", "day": "monday", "time": "09:00", "timezone": "Europe/Berlin"}


@pytest.fixture
async def adapter(runtime: Runtime, fake: FakeDiscord, synced: None) -> AsyncIterator[DiscordAdapter]:
    fake.add_role("Study Group")
    adapter = await open_adapter(runtime, fake)
    runtime.services.posters.add(adapter.poster)
    try:
        yield adapter
    finally:
        await close_adapter(fake, adapter)


async def ask(fake: FakeDiscord, command: str, options: dict[str, Any] | None = None, user: str = "mod") -> dict:
    return fake.message_of(await fake.wait_for_callback(await fake.slash(command, options, user=user)))


async def practise(fake: FakeDiscord, catalog: Catalog, user: str, right: bool) -> None:
    """One /practice question answered with its buttons, right or wrong."""
    for _ in range(30):
        message = await ask(fake, "practice", {"exam": "SAA-C03"}, user=user)
        if screen.select(message) is None:
            break
    letter = screen.right_letters(catalog, screen.components(message)[0]["custom_id"])
    if not right:
        letter = next(label for label in screen.labels(message) if len(label) == 1 and label != letter)
    callback = await fake.wait_for_callback(
        await fake.press(message["id"], screen.button(message, letter)["custom_id"], user=user)
    )
    assert ("Correct" if right else "Not quite") in screen.text(callback.json["data"])


def posts(fake: FakeDiscord, channel: int, after: int) -> list[Recorded]:
    path = f"/channels/{channel}/messages"
    return [r for r in fake.requests[after:] if r.method == "POST" and r.path == path and r.status == 200]


async def test_a_weekly_digest_names_members_and_pings_nobody(
    runtime: Runtime, fake: FakeDiscord, adapter: DiscordAdapter, clock: FixedClock, catalog: Catalog
) -> None:
    clock.set(SUNDAY - dt.timedelta(days=6))
    assert screen.title(await ask(fake, "studyadmin settings", {"mention_role": "Study Group"})) == "Workspace settings"
    added = await ask(fake, "studyadmin digest add", DIGEST)
    assert screen.title(added) == "Digest added" and "Mon 23 Nov 2026 09:00 CET" in screen.text(added)
    refused = await ask(fake, "studyadmin digest add", DIGEST, user="ada")
    assert refused["flags"] & EPHEMERAL and "Only moderators" in screen.text(refused)
    again = await ask(fake, "studyadmin digest add", DIGEST)
    assert screen.title(again) == "That didn't work" and "already has a weekly digest." in screen.text(again)
    assert "1 digest here" in screen.text(await ask(fake, "studyadmin digest list"))

    muted = screen.text(await ask(fake, "notify", {"digest_mentions": "off"}, user="ada"))
    assert "Saved" in muted and "The weekly digest never pings anyone" in muted  # what /notify says of digests
    assert "Snoozed until" in screen.text(await ask(fake, "notify", {"snooze": "7d"}, user="grace"))
    for user, right in (("ada", True), ("ada", True), ("grace", True), ("grace", False)):
        clock.set(clock.now() + dt.timedelta(hours=5))
        await practise(fake, catalog, user, right)

    clock.set(MONDAY_9)
    mark = len(fake.requests)
    assert (await runtime.schedule.deliver_due()).digests == 1
    (post,) = posts(fake, fake.channel_id, mark)
    assert post.json["allowed_mentions"] == {"parse": []} and not post.json.get("content")  # no role, no member
    message = fake.messages[max(fake.messages)]
    assert message["mentions"] == [] and message["mention_roles"] == [] and not message["mention_everyone"]
    shown = screen.text(message).replace("*", "")
    assert screen.title(message) == "Weekly digest"
    assert "1. Ada: 2 correct of 2\n2. Grace: 1 correct of 2" in shown, shown
    assert "2 members answered 4 questions, 75% correct." in shown
    assert "missed 1 of 1 time." in shown and screen.labels(message) == ["Try it"]

    mark = len(fake.requests)
    assert (await runtime.schedule.deliver_due()).digests == 0
    assert posts(fake, fake.channel_id, mark) == []

    tried = await fake.wait_for_callback(
        await fake.press(message["id"], screen.button(message, "Try it")["custom_id"], user="grace")
    )
    data = tried.json["data"]
    assert tried.json["type"] == 4 and data["flags"] & EPHEMERAL
    missed_id = shown.split("Most missed\n", 1)[1].split(" ", 1)[0].strip("`")
    assert missed_id in screen.footer(data) and screen.labels(data)[0] == "A"
