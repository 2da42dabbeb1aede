"""The REST `Poster`: posts, edits, DMs, nonces, error outcomes and 429 with Retry-After."""

from __future__ import annotations

import time

import pytest

from adapters.discord.client import DiscordAdapter
from adapters.discord.poster import discord_nonce
from adapters.discord.render import render
from bot.replies import Button, Field, Reply
from bot.runtime import Runtime
from bot.schedule.ports import PostOutcome
from tests.adapters.discord.conftest import close_adapter, discord_settings, open_adapter
from tests.adapters.discord.payloads import sent
from tests.fakes.discord_server import FakeDiscord

MESSAGES = r"^/channels/\d+/messages$"
PROMPT = Reply(title="Question 1", text="Which service stores **objects**?", buttons=(Button("A", "answer:1:q1:a"),))


def _posts(fake: FakeDiscord, after: int = 0) -> list:
    return [r for r in fake.requests[after:] if r.method == "POST" and r.path.startswith("/channels/")]


async def test_post_sends_the_rendered_message_with_a_nonce(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    poster = adapter.poster
    assert poster.platform == "discord"
    result = await poster.post(str(fake.guild_id), str(fake.channel_id), PROMPT, nonce="delivery-17")
    assert result.ok and result.message_id is not None
    (request,) = _posts(fake)
    assert request.path == f"/channels/{fake.channel_id}/messages"
    assert request.headers["Authorization"] == f"Bot {fake.token}"
    assert request.json["nonce"] == "delivery-17" and request.json["enforce_nonce"] is True
    assert sent(request.json) == dict(render(PROMPT)[0].payload())
    assert fake.messages[int(result.message_id)]["components"][0]["components"][0]["custom_id"] == "answer:1:q1:a"


async def test_a_repeated_nonce_returns_the_first_message(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    first = await adapter.poster.post(str(fake.guild_id), str(fake.channel_id), PROMPT, nonce="same")
    again = await adapter.poster.post(str(fake.guild_id), str(fake.channel_id), PROMPT, nonce="same")
    assert first.message_id == again.message_id
    assert len([m for m in fake.messages.values() if m.get("nonce") == "same"]) == 1


def test_long_nonces_become_a_stable_25_character_digest() -> None:
    assert discord_nonce("short") == "short"
    long = "schedule-12345:2026-11-23T09:00:00+01:00"
    assert len(discord_nonce(long)) == 25 and discord_nonce(long) == discord_nonce(long)


async def test_a_long_post_is_several_messages_and_returns_the_last(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    reply = Reply(title="Long", fields=tuple(Field(f"F{i}", "word " * 190) for i in range(8)), buttons=PROMPT.buttons)
    result = await adapter.poster.post(str(fake.guild_id), str(fake.channel_id), reply, nonce="n")
    posts = _posts(fake)
    assert len(posts) == len(render(reply)) > 1
    assert [p.json["nonce"] for p in posts] == [
        discord_nonce("n"),
        *(discord_nonce(f"n#{i}") for i in range(1, len(posts))),
    ]
    assert result.message_id == max(str(i) for i in fake.messages)
    assert posts[-1].json["components"]


async def test_edit_replaces_content_and_components(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    posted = await adapter.poster.post(str(fake.guild_id), str(fake.channel_id), PROMPT)
    assert posted.message_id is not None
    reveal = Reply(title="Answer", text="**S3**")
    result = await adapter.poster.edit(str(fake.guild_id), str(fake.channel_id), posted.message_id, reveal)
    assert result.ok and result.message_id == posted.message_id
    patch = await fake.wait_for(lambda r: r.method == "PATCH")
    assert patch.path == f"/channels/{fake.channel_id}/messages/{posted.message_id}"
    assert patch.json["components"] == [] and patch.json["allowed_mentions"] == {"parse": []}
    assert fake.messages[int(posted.message_id)]["embeds"][0]["title"] == "Answer"


async def test_direct_message_opens_a_dm_channel(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    grace = fake.users["grace"]
    result = await adapter.poster.direct_message(
        str(fake.guild_id), str(grace.id), Reply(text="Your streak is 3 days.")
    )
    assert result.ok
    opened = await fake.wait_for(lambda r: r.path == "/users/@me/channels")
    assert int(opened.json["recipient_id"]) == grace.id
    assert fake.messages[int(result.message_id or 0)]["content"] == "Your streak is 3 days."


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        (403, 50001, PostOutcome.MISSING_ACCESS),
        (403, 50013, PostOutcome.MISSING_ACCESS),
        (404, 10003, PostOutcome.UNKNOWN_CHANNEL),
        (400, 50035, PostOutcome.FAILED),
    ],
)
async def test_platform_errors_become_typed_outcomes(
    fake: FakeDiscord, adapter: DiscordAdapter, status: int, code: int, outcome: PostOutcome
) -> None:
    fake.fail_next("POST", MESSAGES, status, code, "nope")
    result = await adapter.poster.post(str(fake.guild_id), str(fake.channel_id), PROMPT)
    assert result.outcome is outcome
    assert result.permanent == (outcome in (PostOutcome.MISSING_ACCESS, PostOutcome.UNKNOWN_CHANNEL))
    assert f"{status} {code}" in (result.detail or "")


async def test_a_deleted_channel_and_a_deleted_message(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    gone = await adapter.poster.post(str(fake.guild_id), "123456789", PROMPT)
    assert gone.outcome is PostOutcome.UNKNOWN_CHANNEL
    edit = await adapter.poster.edit(str(fake.guild_id), str(fake.channel_id), "987654321", PROMPT)
    assert edit.outcome is PostOutcome.FAILED and "10008" in (edit.detail or "")  # not a reason to pause a channel


async def test_a_short_429_is_waited_out_for_its_retry_after(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    fake.rate_limit_next("POST", MESSAGES, 0.25)
    started = time.perf_counter()
    result = await adapter.poster.post(str(fake.guild_id), str(fake.channel_id), PROMPT)
    assert result.ok
    first, second = _posts(fake)
    assert first.status == 429 and second.status == 200
    assert second.at - first.at >= 0.25
    assert time.perf_counter() - started < 2


async def test_a_long_429_comes_back_as_rate_limited_with_retry_after(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    fake.rate_limit_next("POST", MESSAGES, 120)
    started = time.perf_counter()
    result = await adapter.poster.post(str(fake.guild_id), str(fake.channel_id), PROMPT)
    assert result.outcome is PostOutcome.RATE_LIMITED and result.retry_after == 120
    assert len(_posts(fake)) == 1 and time.perf_counter() - started < 2  # reported, not slept through


async def test_a_sharded_adapter_serves_every_shard(runtime: Runtime, fake: FakeDiscord, synced: None) -> None:
    second_guild = fake.add_guild("Night Owls", index=1)
    settings = discord_settings(runtime, fake, DISCORD_SHARD_COUNT="2")
    adapter = await open_adapter(runtime, fake, settings=settings, identify_delay=0)
    try:
        assert adapter.sharded and adapter.client.shard_count == 2
        identifies = sorted(g.shard_id for g in fake.gates if g.identified.is_set())
        assert identifies == [0, 1]
        assert {g.id for g in adapter.client.guilds} == {fake.guild_id, second_guild}
        for channel in (fake.channel_id, fake.guilds[second_guild]["channels_by_name"]["study"]):
            callback = await fake.wait_for_callback(await fake.slash("profile", channel=channel))
            assert callback.json["type"] == 4
        result = await adapter.poster.post(str(second_guild), str(fake.channel_id), Reply(text="hi"))
        assert result.ok
    finally:
        await close_adapter(fake, adapter)
