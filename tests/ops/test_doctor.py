"""`studybot doctor` through the real CLI: each problem with its fix, exit 1 when there is any.

The platform checks run the real discord.py and slack_sdk clients against the fakes on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from bot.cli import main
from bot.store import create_engine
from bot.store import installations as installation_store
from bot.store import schedules as schedule_store
from bot.store.installations import Installation, TokenCipher
from tests.conftest import START
from tests.fakes.discord_server import SEND_MESSAGES, FakeDiscord
from tests.fakes.slack_server import TEAM_ID, FakeSlack, Grant
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


def test_a_database_path_that_is_a_folder_is_a_problem(tmp_path: Path) -> None:
    folder = tmp_path / "studybot.sqlite3"
    folder.mkdir()
    result = doctor(STUDYBOT_DATABASE_URL=f"sqlite+aiosqlite:///{folder}")
    assert result.exit_code == 1, result.output  # it said "does not exist yet" and "No problems found."
    assert f"FAIL  database: SQLite file {folder} is a folder" in result.output


def test_bad_settings_are_listed() -> None:
    result = doctor(STUDYBOT_GRACE_MINUTES="forever")
    assert result.exit_code == 1
    assert "FAIL  settings: STUDYBOT_GRACE_MINUTES" in result.output


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


# -- Slack for many workspaces ("Add to Slack"): no SLACK_BOT_TOKEN, one stored token per workspace ------

CLIENT = ("1111.2222", "oauth-client-secret-for-tests")
KEY = Fernet.generate_key().decode()


def oauth_env(url: str, secret: str = CLIENT[1]) -> dict[str, str]:
    return {
        "STUDYBOT_DATABASE_URL": url,
        "SLACK_SIGNING_SECRET": "signing-secret-for-tests",
        "SLACK_CLIENT_ID": CLIENT[0],
        "SLACK_CLIENT_SECRET": secret,
        "STUDYBOT_TOKEN_KEY": KEY,
    }


def install(url: str, fake: FakeSlack, team: str, scopes: list[str], *, key: str = KEY) -> str:
    """What a finished "Add to Slack" leaves: Slack issued the team a token, and we stored it encrypted."""
    token = f"xoxb-{team}-doctor"
    fake.issued[token] = Grant(team, f"team {team}", "U0INSTALLER", tuple(scopes))

    async def go() -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                row = Installation("slack", "", team, token, tuple(scopes), START, START, bot_user_id="U0BOT")
                await installation_store.save(conn, TokenCipher(key), row)
        finally:
            await engine.dispose()

    asyncio.run(go())
    return token


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
def test_slack_oauth_checks_every_installation_and_each_channel_with_its_workspace_token(
    sqlite_url: str, fake_slack: FakeSlack
) -> None:
    fake_slack.oauth_client = CLIENT
    short = install(sqlite_url, fake_slack, "T0SHORT", [s for s in EVERY_SLACK_SCOPE if s != "usergroups:read"])
    full = install(sqlite_url, fake_slack, "T0FULL", EVERY_SLACK_SCOPE)
    install(sqlite_url, fake_slack, "T0OLDKEY", EVERY_SLACK_SCOPE, key=Fernet.generate_key().decode())
    fake_slack.add_channel("C0OUT", "out", member=False)
    fake_slack.add_channel("C0IN", "in", member=True)
    outside = add_schedule(sqlite_url, "slack", "T0FULL", "C0OUT")
    inside = add_schedule(sqlite_url, "slack", "T0FULL", "C0IN")
    gone = add_schedule(sqlite_url, "slack", "T0GONE", "C0IN")  # a workspace that uninstalled the app
    result = doctor(**oauth_env(sqlite_url))
    out = result.output
    assert result.exit_code == 1, out
    assert "ok    slack: client id and secret accepted" in out
    assert "FAIL  slack: the token of workspace T0SHORT lacks the scope usergroups:read" in out
    assert "then open the install link again in each workspace" in out
    assert "ok    slack: scopes of the token of workspace T0FULL: commands, chat:write" in out
    assert "FAIL  slack: the stored token of workspace T0OLDKEY cannot be decrypted with STUDYBOT_TOKEN_KEY" in out
    assert f"FAIL  schedule: schedule {outside} (slack channel C0OUT): the bot is not a member" in out
    assert f"ok    schedule: schedule {inside} (slack channel C0IN): the bot can post there" in out
    assert f"FAIL  schedule: schedule {gone} (slack channel C0IN): studybot is not installed" in out
    assert "fix: install the app in that workspace again (Add to Slack), or remove the schedule" in out
    assert out.rstrip().endswith("4 problems found.")
    for secret in (short, full, CLIENT[1], KEY):
        assert secret not in out
    # Each channel was checked with the token of its own workspace.
    checked = {call.token for call in fake_slack.calls("api", "conversations.info")}
    assert checked == {full}


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
def test_slack_oauth_with_a_wrong_client_secret_and_no_installs_yet(sqlite_url: str, fake_slack: FakeSlack) -> None:
    fake_slack.oauth_client = CLIENT
    result = doctor(**oauth_env(sqlite_url, secret="not-the-secret"))
    assert result.exit_code == 1, result.output
    assert "FAIL  slack: Slack refused SLACK_CLIENT_ID or SLACK_CLIENT_SECRET (bad_client_secret)" in result.output
    assert "fix: copy Client ID and Client Secret from the app's Basic Information" in result.output
    assert "ok    slack: no workspace has installed the app yet" in result.output
    assert result.output.rstrip().endswith("1 problem found.")
