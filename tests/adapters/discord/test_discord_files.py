"""Files on Discord through real discord.py and the fake Discord: `/profile export` as a JSON attachment
(issue 18) and `/stats picture:true` as a PNG with its alt text as the description (issue 17; a group's
with `channel:`, issue 18), sent as multipart interaction responses, answered directly and after a
deferral."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from adapters.discord.client import DiscordAdapter
from adapters.discord.render import EPHEMERAL
from bot.catalog import Catalog
from bot.runtime import Runtime
from tests.adapters.discord import lab as lab_features
from tests.adapters.discord import screen
from tests.adapters.discord.conftest import close_adapter, open_adapter
from tests.adapters.discord.test_discord_practice import answer, served
from tests.core.test_stats_picture import png_size
from tests.fakes import discord_transport
from tests.fakes.discord_server import FakeDiscord, Recorded
from tests.fakes.discord_transport import message_attachments
from tests.fakes.observed import ObservedCore

NEW_MESSAGE, DEFERRED = 4, 5


async def download(url: str) -> bytes:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        return await response.read()


async def answered(fake: FakeDiscord, interaction: dict[str, Any]) -> Recorded:
    """The request that gave the member the reply: the callback, or after a deferral (the first picture
    can take longer than the adapter waits: matplotlib loads) the edit of the deferred response."""
    callback = await fake.wait_for_callback(interaction)
    if callback.json["type"] == DEFERRED:
        return await fake.wait_for_webhook(interaction, "PATCH")
    return callback


def only_file(recorded: Recorded) -> Any:
    assert recorded.headers["Content-Type"].startswith("multipart/form-data")
    assert [f.field for f in recorded.files] == ["files[0]"]
    return recorded.files[0]


async def test_profile_export_is_a_json_file_beside_a_short_private_message(
    fake: FakeDiscord, adapter: DiscordAdapter, spy: ObservedCore
) -> None:
    await fake.wait_for_callback(await fake.slash("profile", {"timezone": "Europe/Berlin"}))
    callback = await fake.wait_for_callback(await fake.slash("profile", {"action": "export"}))
    assert callback.json["type"] == NEW_MESSAGE and callback.status == 200
    sent = only_file(callback)
    ada = fake.users["ada"].id
    assert sent.filename == f"studybot-export-{ada}.json"
    exported = json.loads(sent.data)
    assert exported["who"]["user_id"] == str(ada) and exported["stored"]["members"][0]["timezone"] == "Europe/Berlin"
    reply = spy.replies[-1]
    assert reply.attachment is not None and sent.data == reply.attachment.content  # the core's bytes, as they were
    assert callback.json["data"]["attachments"] == [{"id": 0, "filename": sent.filename}]

    message = fake.message_of(callback)
    assert message["flags"] & EPHEMERAL  # a member's data is for the member alone
    shown = screen.text(message)
    assert "As JSON, in the file" in shown and '"stored"' not in shown  # the file, not the paged text
    [attached] = message["attachments"]
    assert attached["content_type"] == "application/json" and attached["size"] == len(sent.data)
    assert await download(attached["url"]) == sent.data


async def test_stats_picture_is_a_png_described_by_its_alt_text(
    fake: FakeDiscord, adapter: DiscordAdapter, spy: ObservedCore, catalog: Catalog
) -> None:
    for right in (True, False, True):
        await answer(fake, catalog, await served(fake, multiple=False), right=right)
    plain = await fake.wait_for_callback(await fake.slash("stats", {"exam": "SAA-C03"}))
    assert plain.files == [] and fake.message_of(plain)["attachments"] == []

    interaction = await fake.slash("stats", {"exam": "SAA-C03", "picture": True})
    request = await answered(fake, interaction)
    sent = only_file(request)
    reply = spy.replies[-1]
    assert reply.attachment is not None and sent.data == reply.attachment.content
    assert png_size(sent.data) == (800, 600)
    [entry] = message_attachments(request.json)
    assert entry["description"] == reply.attachment.alt_text and "3 answered, 67% correct" in entry["description"]

    message = fake.message_of(await fake.wait_for_callback(interaction))
    assert message["flags"] & EPHEMERAL and screen.title(message).startswith("Stats of")
    assert "By domain" in screen.text(message)  # the stats stay beside the picture
    [attached] = message["attachments"]
    assert attached["content_type"] == "image/png" and (attached["width"], attached["height"]) == (800, 600)
    assert attached["description"] == reply.attachment.alt_text


async def test_the_group_stats_picture_is_a_png_described_by_its_alt_text(
    fake: FakeDiscord, adapter: DiscordAdapter, spy: ObservedCore, catalog: Catalog
) -> None:
    """`/stats channel: picture:true` (issue 18): the group's picture arrives as the member's does, for the
    moderator who asked alone."""
    for right in (True, True, False):  # ada practises in the study channel
        await answer(fake, catalog, await served(fake, multiple=False), right=right)
    interaction = await fake.slash("stats", {"channel": "study", "picture": True}, user="mod")
    request = await answered(fake, interaction)
    sent = only_file(request)
    reply = spy.replies[-1]
    assert reply.title == "Group stats" and reply.attachment is not None and sent.data == reply.attachment.content
    assert sent.filename == "group-stats-SAA-C03.png" and png_size(sent.data) == (800, 600)
    [entry] = message_attachments(request.json)
    assert entry["description"] == reply.attachment.alt_text and "3 answered, 67% correct" in entry["description"]

    message = fake.message_of(await fake.wait_for_callback(interaction))
    assert message["flags"] & EPHEMERAL and screen.title(message) == "Group stats"
    assert "3 answers by 1 member, 67% correct" in screen.text(message)  # the figures stay beside the picture
    [attached] = message["attachments"]
    assert attached["content_type"] == "image/png" and (attached["width"], attached["height"]) == (800, 600)
    assert attached["description"] == reply.attachment.alt_text


async def test_a_deferred_export_brings_its_file_with_the_edit(
    runtime: Runtime, fake: FakeDiscord, synced: None
) -> None:
    state = lab_features.Lab()
    state.deadline.pass_now()  # the defer timer runs out at once: every command is deferred
    adapter = await open_adapter(runtime, fake, defer_after=0.3, defer_sleep=state.deadline)
    try:
        interaction = await fake.slash("profile", {"action": "export"})
        callback = await fake.wait_for_callback(interaction)
        assert callback.json["type"] == DEFERRED and callback.files == []
        edit = await fake.wait_for_webhook(interaction, "PATCH")
        assert edit.path.endswith("/messages/@original")
        sent = only_file(edit)
        assert json.loads(sent.data)["studybot_export"] == 1
        message = fake.message_of(callback)
        assert message["flags"] & EPHEMERAL and [a["filename"] for a in message["attachments"]] == [sent.filename]
    finally:
        await close_adapter(fake, adapter)


async def test_a_file_discord_refuses_as_too_large_comes_as_text(
    fake: FakeDiscord, adapter: DiscordAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord_transport, "FILE_LIMIT", 100)  # any export is larger
    interaction = await fake.slash("profile", {"action": "export"})
    refused, answered_ = await callbacks(fake, interaction, 2)
    assert refused.status == 413 and refused.files and answered_.status == 200 and answered_.files == []
    message = fake.message_of(answered_)
    assert message["attachments"] == [] and message["flags"] & EPHEMERAL
    assert "As JSON: copy it from here." in screen.text(message) and '"studybot_export": 1' in screen.text(message)


async def callbacks(fake: FakeDiscord, interaction: dict[str, Any], count: int) -> list[Recorded]:
    """The first `count` callback requests of `interaction`, waiting for them if need be."""
    path = f"/interactions/{interaction['id']}/{interaction['token']}/callback"
    found: list[Recorded] = []
    while len(found) < count:
        after = fake.requests.index(found[-1]) + 1 if found else 0
        found.append(await fake.wait_for(lambda r: r.path == path, after=after))
    return found
