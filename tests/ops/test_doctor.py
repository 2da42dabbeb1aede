"""`studybot doctor` through the real CLI: each problem with its fix, exit 1 when there is any.

The platform checks run the real discord.py and slack_sdk clients against the fakes on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import discord
import pytest
from click.testing import CliRunner, Result
from slack_sdk.web.async_client import AsyncWebClient

from bot.cli import main
from bot.store import create_engine
from bot.store import schedules as schedule_store
from tests.conftest import START
from tests.fakes.discord_server import SEND_MESSAGES, FakeDiscord
from tests.fakes.slack_server import TEAM_ID, FakeSlack
from tests.ops.conftest import closed_port

T = TypeVar("T")
EVERY_SLACK_SCOPE = [
    "commands",
    "chat:write",
    "users:read",
    "im:write",
    "channels:read",
    "channels:history",
    "groups:history",
    "files:read",
    "files:write",
    "usergroups:read",
]


def doctor(**env: str) -> Result:
    result = CliRunner().invoke(main, ["doctor"], env=env)
    assert "Traceback" not in result.output, result.output
    return result


def add_schedule(url: str, platform: str, workspace: str, channel: str) -> int:
    async def go() -> int:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                made = await schedule_store.create(
                    conn,
                    START,
                    platform=platform,
                    workspace=workspace,
                    channel=channel,
                    exam="SAA-C03",
                    cron="0 9 * * 1-5",
                    timezone="UTC",
                    reveal_minutes=720,
                    created_by="mo",
                )
            return made.id
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_a_healthy_console_setup(sqlite_url: str) -> None:
    result = doctor(STUDYBOT_DATABASE_URL=sqlite_url)
    assert result.exit_code == 0, result.output
    assert "ok    database: SQLite file" in result.output and "schema at the newest revision" in result.output
    assert "timezone data present" in result.output
    assert result.output.rstrip().endswith("No problems found.")


def test_an_unreachable_database_is_a_problem_with_its_fix() -> None:
    url = f"postgresql+asyncpg://studybot:secret@127.0.0.1:{closed_port()}/studybot"
    result = doctor(STUDYBOT_DATABASE_URL=url)
    assert result.exit_code == 1
    assert "FAIL  database:" in result.output and "fix: check that PostgreSQL is running there" in result.output
    assert "secret" not in result.output


def test_bad_settings_are_listed() -> None:
    result = doctor(STUDYBOT_GRACE_MINUTES="forever")
    assert result.exit_code == 1
    assert "FAIL  settings: STUDYBOT_GRACE_MINUTES" in result.output


class Background:
    """An event loop in a thread of its own, for fakes that must outlive the CLI's own `asyncio.run`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def fake_slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    background = Background()
    slack = background.run(FakeSlack().start())
    monkeypatch.setattr(AsyncWebClient, "BASE_URL", slack.base_url)
    try:
        yield slack
    finally:
        background.run(slack.stop())
        background.close()


def test_slack_missing_scope_and_a_channel_the_bot_is_not_in(sqlite_url: str, fake_slack: FakeSlack) -> None:
    fake_slack.scopes = [s for s in EVERY_SLACK_SCOPE if s != "users:read"]
    fake_slack.add_channel("C0STUDY", "study", member=False)
    fake_slack.add_channel("C0OPEN", "open", member=True)
    blocked = add_schedule(sqlite_url, "slack", TEAM_ID, "C0STUDY")
    fine = add_schedule(sqlite_url, "slack", TEAM_ID, "C0OPEN")
    result = doctor(STUDYBOT_DATABASE_URL=sqlite_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN="xapp-test")
    assert result.exit_code == 1, result.output
    out = result.output
    assert "FAIL  slack: the bot token lacks the scope users:read" in out
    assert "fix: add users:read under OAuth & Permissions" in out
    assert f"FAIL  schedule: schedule {blocked} (slack channel C0STUDY): the bot is not a member" in out
    assert "fix: type /invite @studybot in the channel" in out
    assert f"ok    schedule: schedule {fine} (slack channel C0OPEN): the bot can post there" in out
    assert "app token accepted" in out
    assert "xoxb-test" not in out
    assert out.rstrip().endswith("2 problems found.")


def test_slack_with_every_scope_and_no_schedules_is_fine(sqlite_url: str, fake_slack: FakeSlack) -> None:
    fake_slack.scopes = EVERY_SLACK_SCOPE
    result = doctor(STUDYBOT_DATABASE_URL=sqlite_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN="xapp-test")
    assert result.exit_code == 0, result.output
    scopes = (
        "commands, chat:write, users:read, im:write, channels:read, channels:history, groups:history, files:read, "
        "files:write, usergroups:read"
    )
    assert f"ok    slack: scopes: {scopes}" in result.output


@pytest.fixture
def fake_discord(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDiscord]:
    background = Background()
    server = background.run(FakeDiscord().__aenter__())
    monkeypatch.setattr(discord.http.Route, "BASE", server.base_url)
    try:
        yield server
    finally:
        background.run(server.__aexit__(None, None, None))
        background.close()
    assert server.unexpected == [], "requests the fake does not know"
    assert server.errors == [], "the fake itself failed"


def test_discord_channel_the_bot_cannot_post_in(sqlite_url: str, fake_discord: FakeDiscord) -> None:
    fake = fake_discord
    closed = fake.add_channel("announcements")
    fake.overwrite(closed, fake.guild_id, deny=SEND_MESSAGES)
    blocked = add_schedule(sqlite_url, "discord", str(fake.guild_id), str(closed))
    fine = add_schedule(sqlite_url, "discord", str(fake.guild_id), str(fake.channel_id))
    result = doctor(STUDYBOT_DATABASE_URL=sqlite_url, DISCORD_TOKEN=fake.token)
    assert result.exit_code == 1, result.output
    out = result.output
    assert "ok    discord: token accepted" in out
    assert f"FAIL  schedule: schedule {blocked} (discord channel {closed}): the bot lacks Send Messages" in out
    assert "fix: in the channel's settings (Permissions), allow the bot's role" in out
    assert f"ok    schedule: schedule {fine} (discord channel {fake.channel_id}): the bot can post there" in out
    assert out.rstrip().endswith("1 problem found.")


def test_a_refused_discord_token(sqlite_url: str, fake_discord: FakeDiscord) -> None:
    result = doctor(STUDYBOT_DATABASE_URL=sqlite_url, DISCORD_TOKEN="wrong-token")
    assert result.exit_code == 1, result.output
    assert "FAIL  discord: Discord refused DISCORD_TOKEN" in result.output
    assert "wrong-token" not in result.output
