"""HTTP mode end to end: signed requests to the running Bolt app, answers read back from the fake Slack."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from adapters.slack import SlackAdapter
from adapters.slack.files import beside_file
from adapters.slack.render import render
from bot.commands.spec import CommandSpec, GroupSpec, Options, Permission
from bot.replies import Reply
from bot.requests import Request
from bot.services import Services
from tests.adapters.slack.conftest import ADMIN, CHANNEL, MEMBER, SECRET, ObservedCore, SlackDeliveries, mention_event
from tests.fakes.slack_server import TEAM_ID, FakeSlack

ERROR_TITLES = {"That didn't work", "Something went wrong"}


def valid_blocks(blocks: list[dict[str, Any]]) -> None:
    """Let slack_sdk's own Block Kit models check every limit they know about."""
    assert 1 <= len(blocks) <= 50
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.to_dict()  # raises SlackObjectFormationError on any violated limit


def elements(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def slash(example: str, admin_command: str = "/studyadmin") -> tuple[str, str]:
    """A typed example line as the Slack command that carries it."""
    words = example.lstrip("/")
    if words.split(" ", 1)[0] == "studyadmin":
        return admin_command, words.partition(" ")[2]
    return "/study", words


async def test_every_example_of_every_command_answers_with_its_block_kit(
    deliveries: SlackDeliveries, fake_slack: FakeSlack, recording: ObservedCore
) -> None:
    examples = [example for spec in recording.registry for example in spec.examples]
    assert examples, "the registry declares examples"
    for example in examples:
        command, text = slash(example)
        before = len(recording.replies)
        sent, key = await deliveries.command(text, command=command, user=ADMIN)
        assert sent.status == 200 and sent.text == "", example  # an empty ack: the answer comes separately
        answer = await fake_slack.wait_response(key)
        identity, line = recording.lines[-1]
        assert line == example
        assert (identity.platform, identity.workspace, identity.channel) == ("slack", TEAM_ID, CHANNEL)
        assert identity.user_id == ADMIN and identity.is_moderator and identity.user_name == "Boss"
        reply = recording.replies[before]
        assert reply.title not in ERROR_TITLES, (example, reply)
        # A reply's file goes to the member's DMs first (the fake's uploads work); the reply then says so.
        expected = render(beside_file(reply, elsewhere=reply.ephemeral) if reply.attachment else reply)
        assert answer.body["blocks"] == expected["blocks"], example
        assert answer.body["text"] == expected["text"]
        assert answer.body["response_type"] == ("ephemeral" if reply.ephemeral else "in_channel")
        assert "replace_original" not in answer.body
        valid_blocks(answer.body["blocks"])
    assert fake_slack.calls("unknown") == []


async def test_help_renders_header_fields_and_sections(deliveries: SlackDeliveries, fake_slack: FakeSlack) -> None:
    _, key = await deliveries.command("help")
    answer = await fake_slack.wait_response(key)
    blocks = answer.body["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "studybot commands", "emoji": True}}
    commands = next(
        b for b in blocks if b["type"] == "section" and b.get("text", {}).get("text", "").startswith("*Commands*")
    )
    assert "• `/help`: " in commands["text"]["text"] and "• `/profile`: " in commands["text"]["text"]
    assert answer.body["response_type"] == "ephemeral"


async def test_empty_command_is_help_and_typed_slash_is_tolerated(
    deliveries: SlackDeliveries, fake_slack: FakeSlack, recording: ObservedCore
) -> None:
    _, key = await deliveries.command("")
    await fake_slack.wait_response(key)
    _, key = await deliveries.command("/profile")
    await fake_slack.wait_response(key)
    assert [line for _, line in recording.lines] == ["/help", "/profile"]


async def test_command_is_acknowledged_before_the_work_and_answered_after(
    deliveries: SlackDeliveries, fake_slack: FakeSlack, recording: ObservedCore
) -> None:
    held = fake_slack.hold("users.info")  # a lookup that has not answered must not hold up the ack
    sent, key = await asyncio.wait_for(deliveries.command("profile timezone:Europe/Berlin"), 5)
    assert sent.status == 200 and sent.text == ""
    assert not held.is_set() and fake_slack.responses_for(key) == []  # acked while the work still waits
    fake_slack.release("users.info")
    answer = await fake_slack.wait_response(key)
    assert "Saved." in json.dumps(answer.body)
    # users.info was asked once and cached: a second command by the same member asks nothing more.
    _, key = await deliveries.command("profile")
    await fake_slack.wait_response(key)
    assert len(fake_slack.calls("api", "users.info")) == 1


async def test_a_button_press_round_trips(
    deliveries: SlackDeliveries, fake_slack: FakeSlack, recording: ObservedCore
) -> None:
    _, key = await deliveries.command("profile delete")
    answer = await fake_slack.wait_response(key)
    buttons = {e["text"]["text"]: e for e in elements(answer.body["blocks"])}
    assert set(buttons) == {"Delete everything", "Keep my data"}
    keep = buttons["Keep my data"]
    assert keep["action_id"] == keep["value"] and keep["action_id"].startswith("profile-keep:2:")
    assert buttons["Delete everything"]["style"] == "danger"

    sent, key = await deliveries.press(keep)
    assert sent.status == 200
    pressed = await fake_slack.wait_response(key)
    assert pressed.body["replace_original"] is True
    assert "response_type" not in pressed.body
    assert pressed.body["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Nothing was deleted.* Your data is as it was."}}
    ]
    action = recording.actions[-1]
    assert action.action_id == keep["value"] and action.identity.user_id == MEMBER
    assert action.message_id == "1700000000.000001" and action.delivery_id


async def test_an_expired_response_url_falls_back_to_the_web_api(
    deliveries: SlackDeliveries, fake_slack: FakeSlack
) -> None:
    body, key = deliveries.command_body("help")
    fake_slack.expire(key)
    await deliveries.send(body)
    posted = await fake_slack.wait_for(lambda r: r.kind == "api" and r.name == "chat.postEphemeral")
    assert posted.body["channel"] == CHANNEL and posted.body["user"] == MEMBER
    assert posted.body["blocks"][0]["text"]["text"] == "studybot commands"


async def test_someone_elses_button_is_refused(deliveries: SlackDeliveries, fake_slack: FakeSlack) -> None:
    _, key = await deliveries.command("profile delete", user=MEMBER)
    answer = await fake_slack.wait_response(key)
    delete = next(e for e in elements(answer.body["blocks"]) if e["text"]["text"] == "Delete everything")
    _, key = await deliveries.press(delete, user=ADMIN)
    pressed = await fake_slack.wait_response(key)
    assert "belongs to someone else" in json.dumps(pressed.body)
    assert pressed.body["replace_original"] is False and pressed.body["response_type"] == "ephemeral"


@pytest.mark.parametrize("case", ["forged", "stale", "replayed"])
async def test_bad_requests_get_401_and_change_nothing(
    case: str, deliveries: SlackDeliveries, fake_slack: FakeSlack, recording: ObservedCore
) -> None:
    body, key = deliveries.command_body("profile timezone:Asia/Tokyo")
    if case == "replayed":
        first = await deliveries.send(body)
        assert first.status == 200
        await fake_slack.wait_response(key)
        baseline = (recording.calls, len(fake_slack.records))
        refused = await deliveries.send(body, headers=first.headers)  # byte for byte, 2 s later at most
    else:
        baseline = (recording.calls, len(fake_slack.records))
        if case == "forged":
            refused = await deliveries.send(body, secret="not-the-signing-secret")
        else:
            refused = await deliveries.send(body, timestamp=int(time.time()) - 6 * 60)
    assert refused.status == 401
    # Refusals happen in middleware, before any listener task exists; a later request is the barrier.
    _, barrier = await deliveries.command("help")
    await fake_slack.wait_response(barrier)
    assert recording.calls == baseline[0] + 1
    assert [r.name for r in fake_slack.records[baseline[1] :] if r.kind == "response"] == [barrier]
    assert len(fake_slack.calls("response", key)) == (1 if case == "replayed" else 0)


async def test_a_member_cannot_use_a_moderator_command(
    deliveries: SlackDeliveries, fake_slack: FakeSlack, recording: ObservedCore
) -> None:
    registry = recording.registry
    if not registry.is_group(("studyadmin",)):
        registry.group(GroupSpec(("studyadmin",), "Moderator tools", Permission.MODERATOR))
    ran: list[str] = []

    async def ping(req: Request, opts: Options, svc: Services) -> Reply:
        ran.append(req.identity.user_id)
        return Reply(text="pong", ephemeral=True)

    registry.command(CommandSpec(("studyadmin", "slack-test-ping"), "Test only", ping, permission=Permission.MODERATOR))

    _, key = await deliveries.command("slack-test-ping", command="/studyadmin", user=MEMBER)
    refused = await fake_slack.wait_response(key)
    assert recording.lines[-1][1] == "/studyadmin slack-test-ping"
    assert "Only moderators can use" in refused.body["text"]
    assert refused.body["response_type"] == "ephemeral"
    assert ran == []

    _, key = await deliveries.command("slack-test-ping", command="/studyadmin", user=ADMIN)
    allowed = await fake_slack.wait_response(key)
    assert allowed.body["text"] == "pong" and ran == [ADMIN]


async def test_hostile_text_cannot_mention_anyone(
    deliveries: SlackDeliveries, fake_slack: FakeSlack, recording: ObservedCore
) -> None:
    fake_slack.add_user("U0EVIL", "<!channel> & <@U0BOSS> <!here|here>")
    _, key = await deliveries.command("profile", user="U0EVIL")
    shown = await fake_slack.wait_response(key)
    header = shown.body["blocks"][0]
    assert header["text"]["text"] == "Profile of &lt;!channel&gt; &amp; &lt;@U0BOSS&gt; &lt;!here|here&gt;"
    # Slack sends typed `<`, `>` and `&` escaped; they reach the core as typed and leave escaped again.
    _, key = await deliveries.command("profile timezone:&lt;!channel&gt;&lt;@U0BOSS&gt;", user="U0EVIL")
    refused = await fake_slack.wait_response(key)
    assert recording.lines[-1][1] == "/profile timezone:<!channel><@U0BOSS>"
    for answer in (shown, refused):
        dumped = json.dumps(answer.body)
        for mention in ("<!channel>", "<!here", "<@U0BOSS>"):
            assert mention not in dumped
    assert "&lt;!channel&gt;&lt;@U0BOSS&gt;" in refused.body["blocks"][1]["text"]["text"]


async def test_events_api_retries_are_deduplicated_on_event_id(
    http_slack: SlackAdapter, deliveries: SlackDeliveries
) -> None:
    seen: list[str] = []
    arrived = asyncio.Condition()

    async def on_mention(body: dict[str, Any]) -> None:  # test-only listener; studybot subscribes to no events
        async with arrived:
            seen.append(body["event_id"])
            arrived.notify_all()

    http_slack.app.event("app_mention")(on_mention)

    async def delivered(count: int) -> None:
        async with arrived:
            await asyncio.wait_for(arrived.wait_for(lambda: len(seen) >= count), 5)

    first = await deliveries.send(mention_event("Ev1"), content_type="application/json")
    assert first.status == 200
    await delivered(1)
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    # Slack signs each retry afresh (the first one comes 3 s later at the soonest), so: a new timestamp.
    later = int(time.time()) + 3
    again = await deliveries.send(
        mention_event("Ev1"), content_type="application/json", extra_headers=retry, timestamp=later
    )
    assert again.status == 200  # acknowledged, so Slack stops retrying; but not processed again
    # A retry whose first delivery never arrived is a first delivery for us.
    lost = await deliveries.send(mention_event("Ev2"), content_type="application/json", extra_headers=retry)
    assert lost.status == 200
    await delivered(2)
    assert seen == ["Ev1", "Ev2"]


async def test_url_verification_is_answered(deliveries: SlackDeliveries) -> None:
    body = json.dumps({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
    sent = await deliveries.send(body, content_type="application/json")
    assert sent.status == 200 and json.loads(sent.text) == {"challenge": "c-123"}


def test_http_mode_needs_the_signing_secret(tmp_path: Any, recording: ObservedCore) -> None:
    from bot.errors import ConfigurationError
    from bot.settings import Settings

    settings = Settings.from_env(
        {"STUDYBOT_DATABASE_URL": "sqlite+aiosqlite:///x.db", "SLACK_BOT_TOKEN": "xoxb-1"}, env_file=None
    )
    with pytest.raises(ConfigurationError) as failure:
        SlackAdapter(recording, settings, http=True)  # type: ignore[arg-type]
    assert any("SLACK_SIGNING_SECRET" in p for p in failure.value.problems)
    assert SECRET not in str(failure.value)
