"""The REST `Poster`: posts, edits, DMs, nonces, errors, 429s, the role mention and `check_channel`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.discord.access import (
    EMBED_LINKS,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    channel_permissions,
    missing,
)
from adapters.discord.client import DiscordAdapter
from adapters.discord.poster import discord_nonce
from adapters.discord.render import render
from bot.markup import esc
from bot.replies import Button, Field, Reply
from bot.runtime import Runtime
from bot.schedule.ports import PostOutcome
from tests.adapters.discord.conftest import close_adapter, discord_settings, open_adapter
from tests.adapters.discord.lab import Lab
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
    result = await adapter.poster.post(str(fake.guild_id), str(fake.channel_id), PROMPT)
    assert result.ok
    first, second = _posts(fake)
    assert first.status == 429 and second.status == 200
    assert second.at - first.at >= 0.25  # discord.py sleeps the retry-after out, then posts once more


async def test_a_long_429_comes_back_as_rate_limited_with_retry_after(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    fake.rate_limit_next("POST", MESSAGES, 120)
    result = await adapter.poster.post(str(fake.guild_id), str(fake.channel_id), PROMPT)
    assert result.outcome is PostOutcome.RATE_LIMITED and result.retry_after == 120
    assert len(_posts(fake)) == 1  # reported, not slept through (sleeping would post a second time)


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


# -- the role mention --------------------------------------------------------------------------------


async def test_a_post_pings_only_its_role(runtime: Runtime, fake: FakeDiscord, synced: None) -> None:
    role = fake.add_role("Study Group")  # before connecting: the client's guild cache knows the role
    adapter = await open_adapter(runtime, fake)
    try:
        grace = fake.users["grace"]
        reply = Reply(title="Question of the day", text=esc(f"@everyone @here <@{grace.id}>"), mention=role)
        posted = await adapter.poster.post(str(fake.guild_id), str(fake.channel_id), reply, nonce="p1")
        assert posted.ok and posted.message_id is not None
        (request,) = _posts(fake)
        assert request.json["content"] == f"<@&{role}>"
        assert request.json["allowed_mentions"] == {"parse": [], "roles": [int(role)]}
        message = fake.messages[int(posted.message_id)]
        assert (message["mention_roles"], message["mentions"], message["mention_everyone"]) == ([role], [], False)

        edited = await adapter.poster.edit(str(fake.guild_id), str(fake.channel_id), posted.message_id, reply)
        assert edited.ok
        patch = await fake.wait_for(lambda r: r.method == "PATCH")
        assert patch.json["content"] == f"<@&{role}>" and patch.json["allowed_mentions"] == {"parse": []}

        dm = await adapter.poster.direct_message(str(fake.guild_id), str(grace.id), Reply(text="hi", mention=role))
        assert fake.messages[int(dm.message_id or 0)]["content"] == "hi"  # a DM never mentions a role

        # A setting that names a member, or the @everyone role (the guild id), pings nobody.
        for not_a_role in (str(grace.id), str(fake.guild_id)):
            before = len(fake.requests)
            result = await adapter.poster.post(
                str(fake.guild_id), str(fake.channel_id), replace(reply, mention=not_a_role)
            )
            (sent_body,) = _posts(fake, before)
            assert result.ok and not sent_body.json.get("content")
            assert sent_body.json["allowed_mentions"] == {"parse": []}
    finally:
        await close_adapter(fake, adapter)


async def test_an_interaction_reply_never_pings_the_mention(lab: tuple[DiscordAdapter, Lab], fake: FakeDiscord) -> None:
    _, state = lab
    state.mention = fake.moderator_role
    callback = await fake.wait_for_callback(await fake.slash("labping"))
    assert callback.json["data"]["content"] == "Heads up, @everyone!"
    assert callback.json["data"]["allowed_mentions"] == {"parse": []}
    message = fake.message_of(callback)
    assert (message["mention_roles"], message["mention_everyone"]) == ([], False)


# -- can the bot post there? ----------------------------------------------------------------------------

ADMINISTRATOR = 1 << 3


async def test_check_channel_reads_the_server_as_it_is_now(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    guild, check = str(fake.guild_id), adapter.poster.check_channel
    ok = await check(guild, str(fake.channel_id))
    assert ok.ok
    reads = [r.path for r in fake.requests if r.method == "GET" and not r.path.endswith("/commands")][-3:]
    assert reads == [
        f"/channels/{fake.channel_id}",
        f"/guilds/{fake.guild_id}/roles",
        f"/guilds/{fake.guild_id}/members/{fake.bot['id']}",
    ]

    quiet = fake.add_channel("quiet")
    for bits, lacking in (
        (SEND_MESSAGES, "Send Messages"),
        (EMBED_LINKS, "Embed Links"),
        (VIEW_CHANNEL, "View Channel"),
    ):
        fake.overwrite(quiet, fake.guild_id, deny=bits)
        result = await check(guild, str(quiet))
        assert result.outcome is PostOutcome.MISSING_ACCESS and result.detail == f"the bot lacks {lacking} in #quiet"

    # The bot's own role may write there after all; its member overwrite then takes it away again.
    fake.overwrite(quiet, fake.guild_id, deny=SEND_MESSAGES)
    bot_role = fake.add_role("Studybot")
    fake.bot_roles[fake.guild_id] = [bot_role]
    fake.overwrite(quiet, bot_role, allow=SEND_MESSAGES)
    assert (await check(guild, str(quiet))).ok
    fake.overwrite(quiet, str(fake.bot["id"]), deny=SEND_MESSAGES | EMBED_LINKS, member=True)
    denied = await check(guild, str(quiet))
    assert denied.detail == "the bot lacks Send Messages and Embed Links in #quiet"
    fake.guilds[fake.guild_id]["roles"][-1]["permissions"] = str(ADMINISTRATOR)  # Administrator overrides it all
    assert (await check(guild, str(quiet))).ok


async def test_check_channel_threads_take_their_parents_overwrites(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    thread = fake.add_channel("weekly-thread")
    fake.channels[thread].update(type=11, parent_id=str(fake.channel_id), permission_overwrites=[])
    result = await adapter.poster.check_channel(str(fake.guild_id), str(thread))
    assert result.detail == "the bot lacks Send Messages in Threads in #weekly-thread"  # the fake's @everyone lacks it
    fake.overwrite(fake.channel_id, fake.guild_id, allow=SEND_MESSAGES_IN_THREADS, deny=SEND_MESSAGES)
    assert (await adapter.poster.check_channel(str(fake.guild_id), str(thread))).ok  # the parent's overwrite counts


async def test_check_channel_outcomes_for_channels_it_cannot_use(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    guild, check = str(fake.guild_id), adapter.poster.check_channel
    hidden = fake.add_channel("staff")
    fake.forbidden_channels.add(hidden)
    category = fake.add_channel("Study rooms")
    fake.channels[category]["type"] = 4
    elsewhere = fake.guilds[fake.add_guild("Night Owls", index=1)]["channels_by_name"]["study"]
    cases = [
        (str(hidden), PostOutcome.MISSING_ACCESS, "the bot cannot see that channel"),
        ("123456789", PostOutcome.UNKNOWN_CHANNEL, "that channel does not exist"),
        ("study", PostOutcome.UNKNOWN_CHANNEL, "that is not a channel of this Discord server"),
        (str(elsewhere), PostOutcome.UNKNOWN_CHANNEL, "#study is not a channel of this server"),
        (str(category), PostOutcome.FAILED, "#Study rooms is not a channel messages can be posted in"),
    ]
    for channel, outcome, detail in cases:
        result = await check(guild, channel)
        assert (result.outcome, result.detail) == (outcome, detail), channel
    fake.rate_limit_next("GET", rf"^/channels/{fake.channel_id}$", 120)
    limited = await check(guild, str(fake.channel_id))
    assert limited.outcome is PostOutcome.RATE_LIMITED and limited.retry_after == 120
    assert (limited.detail or "").startswith("Discord did not answer the check")


def test_permission_arithmetic_follows_discords_order() -> None:
    guild, me, mods, helpers = 1, 9, "2", "3"
    roles = [
        {"id": "1", "permissions": str(VIEW_CHANNEL | SEND_MESSAGES)},
        {"id": mods, "permissions": str(EMBED_LINKS)},
        {"id": helpers, "permissions": "0"},
    ]

    def bits(member_roles: list[str], overwrites: list[dict]) -> int:  # type: ignore[type-arg]
        return channel_permissions(guild, roles, member_roles, me, overwrites)

    def ow(target: object, allow: int = 0, deny: int = 0, kind: int = 0) -> dict:  # type: ignore[type-arg]
        return {"id": str(target), "type": kind, "allow": str(allow), "deny": str(deny)}

    assert missing(bits([], []), (VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS)) == ["Embed Links"]
    assert missing(bits([mods], []), (VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS)) == []
    # Among the member's roles an allow beats a deny; @everyone's overwrite comes first.
    mixed = [ow(guild, deny=SEND_MESSAGES), ow(mods, deny=SEND_MESSAGES), ow(helpers, allow=SEND_MESSAGES)]
    assert bits([mods, helpers], mixed) & SEND_MESSAGES
    assert not bits([mods], mixed) & SEND_MESSAGES
    # The member's own overwrite is applied last; a role overwrite with a member's id does not count.
    assert not bits([helpers], [*mixed, ow(me, deny=SEND_MESSAGES, kind=1)]) & SEND_MESSAGES
    assert bits([], [ow(guild, deny=SEND_MESSAGES), ow(me, allow=SEND_MESSAGES, kind=1)]) & SEND_MESSAGES
    assert not bits([], [ow(guild, deny=SEND_MESSAGES), ow(me, allow=SEND_MESSAGES, kind=0)]) & SEND_MESSAGES
    # Without View Channel nothing else matters.
    assert missing(bits([mods], [ow(guild, deny=VIEW_CHANNEL)]), (VIEW_CHANNEL, SEND_MESSAGES)) == ["View Channel"]
