"""The weekly digest through the real Bolt app, the real Slack Poster and the fake Slack: added with
`/studyadmin digest add`, posted once at its run, names and no mention syntax anywhere (not even the
user group prompts ping), and its "Try it" answered privately."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from adapters.slack import SlackAdapter
from bot.clock import FixedClock
from bot.requests import Identity
from bot.runtime import Runtime
from bot.store.schema import schedule_deliveries
from tests.adapters.slack.conftest import ADMIN, CHANNEL, MEMBER, Chat, buttons, shown, title
from tests.fakes.slack_server import TEAM_ID, FakeSlack
from tests.schedule.test_digest import _answer

ADD = "digest add channel:<#{channel}|study> day:monday time:09:00 timezone:Europe/Berlin"
MONDAY_9 = dt.datetime.fromisoformat("2026-11-30T09:00:00+01:00")


async def test_a_weekly_digest_on_slack(
    chat: Chat, slack_runtime: Runtime, http_slack: SlackAdapter, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    slack_runtime.services.posters.add(http_slack.poster)
    fake_slack.add_user("U0CY", "Cy")
    clock.set(MONDAY_9 - dt.timedelta(days=4))
    saved = await chat.command("settings mention_role:<!subteam^S0STUDY|@study>", command="/studyadmin", user=ADMIN)
    assert "Saved." in shown(saved)
    added = await chat.command(ADD.format(channel=CHANNEL), command="/studyadmin", user=ADMIN)
    assert title(added) == "Digest added" and added["response_type"] == "ephemeral"
    assert "Mon 30 Nov 2026 09:00 CET" in shown(added)

    muted = await chat.command("notify digest_mentions:off", user=MEMBER)
    assert "never pings anyone" in shown(muted)
    ada = Identity("slack", TEAM_ID, CHANNEL, MEMBER, "Ada")
    cy = Identity("slack", TEAM_ID, CHANNEL, "U0CY", "<!channel> Cy")  # a display name that looks like a ping
    for who, right in ((ada, True), (cy, False), (cy, True)):
        clock.set(clock.now() + dt.timedelta(hours=3))
        await _answer(slack_runtime.core, who, right)

    clock.set(MONDAY_9)
    assert (await slack_runtime.schedule.deliver_due()).digests == 1
    assert (await slack_runtime.schedule.deliver_due()).digests == 0
    (posted,) = fake_slack.calls("api", "chat.postMessage")
    digest = dict(posted.body)
    assert digest["channel"] == CHANNEL and title(digest) == "Weekly digest"
    text = shown(digest)
    assert "1. *Ada*: 1 correct of 1" in text and "2 members answered 3 questions, 67% correct." in text, text
    assert "&lt;!channel&gt; Cy" in text  # shown as text, not a ping
    assert "<!" not in json.dumps(digest) and "<@" not in json.dumps(digest)
    assert list(buttons(digest)) == ["Try it"]

    async with slack_runtime.services.engine.connect() as conn:
        ts = (await conn.execute(select(schedule_deliveries.c.message_id))).scalar_one()
    tried = await chat.press(buttons(digest)["Try it"], user="U0CY", message_ts=ts, ephemeral=False)
    assert tried["response_type"] == "ephemeral" and set(buttons(tried)) >= {"A", "B", "C"}
    assert fake_slack.calls("unknown") == []
