"""`/study notify` through the real Bolt app and the fake Slack (issue 18): a bot cannot take a member out
of a user group, so turning the role ping off says so and asks Slack for nothing; a snooze shows its end
in the member's timezone; bad durations are refused."""

from __future__ import annotations

from bot.runtime import Runtime
from tests.adapters.slack.conftest import ADMIN, Chat, shown, title
from tests.fakes.slack_server import FakeSlack

GROUP = "S0STUDY"


async def test_notify_on_slack(chat: Chat, slack_runtime: Runtime, fake_slack: FakeSlack) -> None:
    await chat.command(f"settings mention_role:<!subteam^{GROUP}|@study-group>", command="/studyadmin", user=ADMIN)
    before = len(fake_slack.records)
    off = await chat.command("notify role_ping:off")
    assert title(off) == "Your notifications" and off["response_type"] == "ephemeral"
    assert f"Prompts here ping the role `{GROUP}`" in shown(off) and "cannot take you out of it" in shown(off)
    assert not [r for r in fake_slack.records[before:] if r.kind == "api" and r.name.startswith("usergroups.users")]

    await chat.command("profile timezone:America/New_York")
    snoozed = await chat.command("notify snooze:2w")
    assert "(America/New_York)" in shown(snoozed) and "Snoozed until" in shown(snoozed)
    refused = await chat.command("notify snooze:0d")
    assert title(refused) == "That didn't work" and "between 1 hour and 84 days" in shown(refused)
    assert "Snoozed until" in shown(await chat.command("notify"))  # the refusal changed nothing
