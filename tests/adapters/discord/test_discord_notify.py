"""`/notify` through real discord.py, the real `DiscordPoster` and the fake Discord (issue 18): a member who
turns the role ping off is taken out of the role prompts mention when the bot has Manage Roles, and is
told plainly when it has not; a snooze shows its end; `/profile export` is a JSON file."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from adapters.discord.client import DiscordAdapter
from adapters.discord.render import EPHEMERAL
from bot.catalog import Catalog
from bot.requests import Action, Identity
from bot.runtime import Runtime
from bot.store.schema import notify_settings
from tests.adapters.discord import screen
from tests.adapters.discord.conftest import close_adapter, open_adapter
from tests.fakes.discord_rest import MANAGE_ROLES
from tests.fakes.discord_server import FakeDiscord
from tests.practice.test_flows import practice_single


@pytest.fixture
async def group(runtime: Runtime, fake: FakeDiscord, synced: None) -> AsyncIterator[tuple[DiscordAdapter, str]]:
    """A server with a "Study Group" role that ada and grace are in, the adapter's poster registered."""
    role = fake.add_role("Study Group")
    fake.users["ada"].roles.add(role)
    fake.users["grace"].roles.add(role)
    adapter = await open_adapter(runtime, fake)
    runtime.services.posters.add(adapter.poster)
    try:
        yield adapter, role
    finally:
        await close_adapter(fake, adapter)


async def ask(fake: FakeDiscord, command: str, options: dict[str, str] | None = None, user: str = "mod") -> dict:  # type: ignore[type-arg]
    return fake.message_of(await fake.wait_for_callback(await fake.slash(command, options, user=user)))


def role_calls(fake: FakeDiscord) -> list[tuple[str, str, int]]:
    return [(r.method, r.path, r.status) for r in fake.requests if "/roles/" in r.path and "/members/" in r.path]


async def test_role_ping_off_leaves_the_role_only_with_manage_roles(
    runtime: Runtime, fake: FakeDiscord, group: tuple[DiscordAdapter, str]
) -> None:
    _adapter, role = group
    await ask(fake, "studyadmin settings", {"mention_role": "Study Group"})
    ada = fake.users["ada"]
    path = f"/guilds/{fake.guild_id}/members/{ada.id}/roles/{role}"

    refused = await ask(fake, "notify", {"role_ping": "off"}, user="ada")
    assert refused["flags"] & EPHEMERAL and screen.title(refused) == "Your notifications"
    assert "could not take you out of the role" in screen.text(refused) and "Ask a moderator" in screen.text(refused)
    assert role in ada.roles and role_calls(fake) == [("DELETE", path, 403)]
    async with runtime.services.engine.connect() as conn:  # the member's choice is stored all the same
        assert (await conn.execute(select(notify_settings.c.role_ping))).scalars().all() == [False]

    bot_role = fake.add_role("Studybot", permissions=MANAGE_ROLES)
    fake.bot_roles[fake.guild_id] = [bot_role]
    done = await ask(fake, "notify", {"role_ping": "off"}, user="ada")
    assert "took you out of the role" in screen.text(done) and "no longer ping you" in screen.text(done)
    assert role not in ada.roles and role in fake.users["grace"].roles
    assert role_calls(fake) == [("DELETE", path, 403), ("DELETE", path, 204)]

    on = await ask(fake, "notify", {"role_ping": "on"}, user="ada")  # turning it on asks nothing of Discord
    assert "took you out" not in screen.text(on) and len(role_calls(fake)) == 2


async def test_snooze_and_export_through_discord(
    runtime: Runtime, fake: FakeDiscord, group: tuple[DiscordAdapter, str], catalog: Catalog
) -> None:
    await ask(fake, "profile", {"timezone": "Europe/Berlin"}, user="ada")
    for exam in catalog.current_exams:  # enough rows that the export takes more than one message
        await ask(fake, "mycerts add", {"exam": exam.code, "passed": "2025-06-01"}, user="ada")
    ada = Identity("discord", str(fake.guild_id), str(fake.channel_id), str(fake.users["ada"].id), "Ada")
    for _ in range(4):  # practice answers, given through the core as the same Discord member
        question = await practice_single(runtime.core, ada)
        await runtime.core.handle(Action(ada, question.buttons[0].action_id))
    snoozed = await ask(fake, "notify", {"snooze": "1w3d"}, user="ada")
    assert snoozed["flags"] & EPHEMERAL and "(Europe/Berlin)" in screen.text(snoozed)
    bad = await ask(fake, "notify", {"snooze": "3 months"}, user="ada")
    assert screen.title(bad) == "That didn't work" and "Write it like" in screen.text(bad)

    interaction = await fake.slash("profile", {"action": "export"}, user="ada")
    callback = await fake.wait_for_callback(interaction)
    first = fake.message_of(callback)
    assert first["flags"] & EPHEMERAL and screen.title(first) == "Everything studybot stores about you"
    # However long, the JSON is one attached file beside one short message, not pages of text.
    assert "As JSON, in the file" in screen.text(first) and not fake.webhook_requests(interaction)
    [sent] = callback.files
    data = json.loads(sent.data)
    assert len(data["stored"]["practice_answers"]) == 4 and data["who"]["user_id"] == str(fake.users["ada"].id)
    assert data["stored"]["notify_settings"][0]["snooze_until"] and not role_calls(fake)
