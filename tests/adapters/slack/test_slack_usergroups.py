"""A Slack user group made a moderator counts for each of its members (issue 14: the identities carried
no groups, so a configured group never took effect), through the real Bolt app against the fake Slack."""

from __future__ import annotations

from tests.adapters.slack.conftest import ADMIN, MEMBER, Chat
from tests.fakes.slack_server import FakeSlack

LEAD = "U0LEAD"


async def test_a_member_of_a_moderator_user_group_may_use_moderator_commands(chat: Chat, fake_slack: FakeSlack) -> None:
    fake_slack.add_user(LEAD, "Lea")
    fake_slack.add_usergroup("S0LEADS", "study-leads", [LEAD])

    before = await chat.command("moderators list", command="/studyadmin", user=LEAD)
    assert "Only moderators can use" in before["text"]

    # An admin makes the group a moderator, typed the way Slack delivers `@study-leads`.
    added = await chat.command("moderators add who:<!subteam^S0LEADS|@study-leads>", command="/studyadmin", user=ADMIN)
    assert "Only moderators" not in added["text"], added["text"]

    allowed = await chat.command("moderators list", command="/studyadmin", user=LEAD)
    assert "Only moderators can use" not in allowed["text"]
    assert "S0LEADS" in allowed["text"]
    # A member outside the group is still refused.
    refused = await chat.command("moderators list", command="/studyadmin", user=MEMBER)
    assert "Only moderators can use" in refused["text"]


async def test_without_the_usergroups_scope_nobody_is_in_a_group(chat: Chat, fake_slack: FakeSlack) -> None:
    fake_slack.add_user(LEAD, "Lea")
    fake_slack.add_usergroup("S0LEADS", "study-leads", [LEAD])
    fake_slack.scopes = ["commands", "chat:write", "users:read"]  # installed before usergroups:read was asked for
    await chat.command("moderators add who:<!subteam^S0LEADS|@study-leads>", command="/studyadmin", user=ADMIN)
    refused = await chat.command("moderators list", command="/studyadmin", user=LEAD)
    assert "Only moderators can use" in refused["text"]
