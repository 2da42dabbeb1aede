"""`studybot schedule deliver-due` with platform tokens posts where the running bot would: Discord and
Slack schedules to their channels (REST and Web API alone, no gateway or socket), console ones printed;
a second run posts nothing twice; a token the platform refuses ends the run before anything is claimed.

The real CLI, discord.py and slack_sdk clients against the fakes on 127.0.0.1."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result
from sqlalchemy import create_engine as sync_engine
from sqlalchemy import func, select

from bot.cli import main
from bot.store.schema import schedule_deliveries
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_server import TEAM_ID, FakeSlack
from tests.ops.test_doctor import add_schedule

NINE = "2026-11-23T09:00Z"  # a Monday, when each schedule's first prompt is due


def deliver(url: str, **env: str) -> Result:
    result = CliRunner().invoke(
        main, ["schedule", "deliver-due", "--now", NINE, "--json"], env={"STUDYBOT_DATABASE_URL": url, **env}
    )
    assert "Traceback" not in result.output, result.output
    return result


def outbox(url: str) -> list[tuple[str, str, str | None]]:
    engine = sync_engine(url.replace("+aiosqlite", ""))
    try:
        with engine.connect() as conn:
            t = schedule_deliveries.c
            return [tuple(r) for r in conn.execute(select(t.kind, t.state, t.message_id).order_by(t.id)).all()]
    finally:
        engine.dispose()


def test_each_platform_s_schedules_go_to_that_platform_once(
    sqlite_url: str, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    channel = fake_discord.add_channel("daily")
    add_schedule(sqlite_url, "discord", str(fake_discord.guild_id), str(channel))
    add_schedule(sqlite_url, "slack", TEAM_ID, "C0DAILY")
    add_schedule(sqlite_url, "console", "w1", "c1")
    env = {"DISCORD_TOKEN": fake_discord.token, "SLACK_BOT_TOKEN": "xoxb-1-cron", "SLACK_SIGNING_SECRET": "s3cret"}
    first = deliver(sqlite_url, **env)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output.splitlines()[-1]) == {
        "prompts": 3,
        "reveals": 0,
        "digests": 0,
        "reminders": 0,
        "skipped": 0,
    }
    discord_posts = [m for m in fake_discord.messages.values() if m["channel_id"] == str(channel)]
    slack_posts = fake_slack.messages.get("C0DAILY", [])
    assert len(discord_posts) == 1 and discord_posts[0].get("nonce")
    assert len(slack_posts) == 1 and slack_posts[0]["metadata"]["event_type"] == "studybot_delivery"
    assert "Question of the day" in first.output  # the console schedule, printed
    states = outbox(sqlite_url)
    assert [s for _k, s, _m in states] == ["posted", "posted", "posted"]
    assert {m for _k, _s, m in states} >= {str(discord_posts[0]["id"]), str(slack_posts[0]["ts"])}

    again = deliver(sqlite_url, **env)
    assert again.exit_code == 0, again.output
    assert json.loads(again.output.splitlines()[-1])["prompts"] == 0
    assert len([m for m in fake_discord.messages.values() if m["channel_id"] == str(channel)]) == 1
    assert len(fake_slack.messages.get("C0DAILY", [])) == 1


def test_a_refused_discord_token_ends_the_run_before_anything_is_claimed(
    sqlite_url: str, fake_discord: FakeDiscord
) -> None:
    add_schedule(sqlite_url, "discord", str(fake_discord.guild_id), str(fake_discord.add_channel("daily")))
    result = deliver(sqlite_url, DISCORD_TOKEN="not-the-token")
    assert result.exit_code == 2, result.output
    assert "DISCORD_TOKEN: Discord refused it" in result.output
    assert "not-the-token" not in result.output
    engine = sync_engine(sqlite_url.replace("+aiosqlite", ""))
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(schedule_deliveries)).scalar_one() == 0
    finally:
        engine.dispose()


def test_a_refused_slack_token_ends_the_run_before_anything_is_claimed(sqlite_url: str, fake_slack: FakeSlack) -> None:
    add_schedule(sqlite_url, "slack", TEAM_ID, "C0DAILY")
    result = deliver(sqlite_url, SLACK_BOT_TOKEN="junk", SLACK_SIGNING_SECRET="s3cret")
    assert result.exit_code == 2, result.output
    assert "SLACK_BOT_TOKEN: Slack refused it (invalid_auth)" in result.output and "junk" not in result.output
    assert outbox(sqlite_url) == []


def test_a_post_that_fails_is_listed_and_the_run_exits_1(sqlite_url: str, fake_slack: FakeSlack) -> None:
    fake_slack.add_channel("C0OUT", "out", member=False)  # Slack answers not_in_channel
    add_schedule(sqlite_url, "slack", TEAM_ID, "C0OUT")
    result = deliver(sqlite_url, SLACK_BOT_TOKEN="xoxb-1-cron", SLACK_SIGNING_SECRET="s3cret")
    assert result.exit_code == 1, result.output  # for a cron job: something was not posted
    assert "not posted: prompt in #C0OUT: not_in_channel" in result.output
    assert json.loads(result.output.splitlines()[-1])["prompts"] == 0
