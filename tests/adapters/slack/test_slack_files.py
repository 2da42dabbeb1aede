"""Files on Slack through the real Bolt app, slack_sdk's `files_upload_v2` and the fake Slack: Slack's
external upload flow for `/profile export` (issue 18) and the `/stats` picture (issue 17), into the
member's direct messages since Slack cannot attach a file to a private reply (a group's `/stats channel:`
picture too, issue 18); without `files:write`
the reply comes as text, as before."""

from __future__ import annotations

import json

import aiohttp

from bot.requests import Action, Identity
from bot.runtime import Runtime
from tests.adapters.slack.conftest import ADMIN, BOT_TOKEN, CHANNEL, MEMBER, Chat, shown, title
from tests.core.test_stats_picture import png_size
from tests.fakes.observed import ObservedCore
from tests.fakes.slack_server import TEAM_ID, FakeSlack, Record
from tests.ops.test_doctor import EVERY_SLACK_SCOPE
from tests.practice.test_flows import practice_single

DM = f"D{MEMBER}"  # what the fake's conversations.open answers for the member


def api(fake: FakeSlack, name: str, since: int) -> list[Record]:
    return [r for r in fake.records[since:] if r.kind == "api" and r.name == name]


def uploads(fake: FakeSlack, since: int) -> list[Record]:
    return [r for r in fake.records[since:] if r.kind == "upload"]


async def test_profile_export_is_a_json_file_in_the_members_direct_messages(
    chat: Chat, fake_slack: FakeSlack, recording: ObservedCore
) -> None:
    await chat.command("profile timezone:Europe/Berlin")
    before = len(fake_slack.records)
    said = await chat.command("profile export")
    assert said["response_type"] == "ephemeral" and title(said) == "Everything studybot stores about you"
    text = shown(said)
    name = f"studybot-export-{MEMBER}.json"
    assert f"As JSON, in the file `{name}`" in text and "to our direct messages" in text
    assert '"stored"' not in text  # the file instead of pages of JSON

    [opened] = api(fake_slack, "conversations.open", before)
    assert opened.body["users"] == MEMBER
    [asked] = api(fake_slack, "files.getUploadURLExternal", before)
    [upload] = uploads(fake_slack, before)
    [completed] = api(fake_slack, "files.completeUploadExternal", before)
    assert fake_slack.records.index(asked) < fake_slack.records.index(upload) < fake_slack.records.index(completed)
    reply = recording.replies[-1]
    assert reply.attachment is not None and upload.data == reply.attachment.content
    assert asked.body["filename"] == name and int(asked.body["length"]) == len(upload.data)
    assert completed.body["channel_id"] == DM and json.loads(completed.body["files"])[0]["title"] == name
    exported = json.loads(upload.data)
    assert exported["stored"]["members"][0]["timezone"] == "Europe/Berlin"

    [message] = fake_slack.messages[DM]  # the file is shared in the DM, and nowhere else
    [info] = message["files"]
    assert info["name"] == name and info["mimetype"] == "application/json" and info["ims"] == [DM]
    headers = {"Authorization": f"Bearer {BOT_TOKEN}"}
    async with aiohttp.ClientSession() as session, session.get(info["url_private"], headers=headers) as got:
        assert await got.read() == upload.data
    assert not [r for r in fake_slack.records if r.kind == "unknown"]


async def test_stats_picture_is_uploaded_with_its_alt_text(
    chat: Chat, fake_slack: FakeSlack, slack_runtime: Runtime, recording: ObservedCore
) -> None:
    ada = Identity("slack", TEAM_ID, "C0STUDY", MEMBER, "Ada")
    for _ in range(2):  # answers given through the core as the same Slack member
        question = await practice_single(slack_runtime.core, ada)
        await slack_runtime.core.handle(Action(ada, question.buttons[0].action_id))
    before = len(fake_slack.records)
    plain = await chat.command("stats exam:SAA-C03")
    assert not uploads(fake_slack, before) and "direct messages" not in shown(plain)

    said = await chat.command("stats exam:SAA-C03 picture:true")
    assert title(said) == "Stats of Ada" and "By domain" in shown(said)  # the stats stay in the reply
    assert "`stats-SAA-C03.png` to our direct messages" in shown(said)
    reply = recording.replies[-1]
    assert reply.attachment is not None
    [asked] = api(fake_slack, "files.getUploadURLExternal", before)
    assert asked.body["alt_txt"] == reply.attachment.alt_text and "2 answered" in asked.body["alt_txt"]
    [upload] = uploads(fake_slack, before)
    assert upload.data == reply.attachment.content and png_size(upload.data) == (800, 600)
    [info] = fake_slack.messages[DM][-1]["files"]
    assert info["mimetype"] == "image/png" and info["alt_txt"] == reply.attachment.alt_text


async def test_the_group_stats_picture_is_uploaded_with_its_alt_text(
    chat: Chat, fake_slack: FakeSlack, slack_runtime: Runtime, recording: ObservedCore
) -> None:
    """`/study stats channel: picture:true` (issue 18): the group's picture goes to the moderator's direct
    messages with its alt text, as the member's does."""
    ada = Identity("slack", TEAM_ID, "C0STUDY", MEMBER, "Ada")
    for _ in range(2):  # answers given through the core in the study channel
        question = await practice_single(slack_runtime.core, ada)
        await slack_runtime.core.handle(Action(ada, question.buttons[0].action_id))
    before = len(fake_slack.records)
    said = await chat.command(f"stats channel:<#{CHANNEL}|study> picture:true", user=ADMIN)
    assert title(said) == "Group stats" and "2 answers by 1 member" in shown(said)  # the figures stay
    assert "`group-stats-SAA-C03.png` to our direct messages" in shown(said)
    reply = recording.replies[-1]
    assert reply.attachment is not None and reply.attachment.filename == "group-stats-SAA-C03.png"
    [opened] = api(fake_slack, "conversations.open", before)
    assert opened.body["users"] == ADMIN  # the moderator who asked, not the member who answered
    [asked] = api(fake_slack, "files.getUploadURLExternal", before)
    assert asked.body["alt_txt"] == reply.attachment.alt_text and "2 answered" in asked.body["alt_txt"]
    [upload] = uploads(fake_slack, before)
    assert upload.data == reply.attachment.content and png_size(upload.data) == (800, 600)
    [info] = fake_slack.messages[f"D{ADMIN}"][-1]["files"]
    assert info["mimetype"] == "image/png" and info["alt_txt"] == reply.attachment.alt_text


async def test_without_files_write_the_export_comes_as_text(chat: Chat, fake_slack: FakeSlack) -> None:
    fake_slack.scopes = [s for s in EVERY_SLACK_SCOPE if s != "files:write"]  # installed before it was asked for
    before = len(fake_slack.records)
    said = await chat.command("profile export")
    text = shown(said)
    assert "As JSON: copy it from here." in text and '"stored"' in text and "direct messages" not in text
    [refused] = api(fake_slack, "files.getUploadURLExternal", before)
    assert refused.body["filename"].endswith(".json")
    assert not uploads(fake_slack, before) and not api(fake_slack, "files.completeUploadExternal", before)
    assert DM not in fake_slack.messages
