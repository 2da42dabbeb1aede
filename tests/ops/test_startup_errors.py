"""Start-up problems an operator can fix end the real CLI with one line and exit code 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.settings import Settings
from tests.ops.conftest import closed_port


def studybot(*args: str, **env: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def assert_one_friendly_line(result: Result, *phrases: str) -> str:
    """Exit 2, no traceback, and exactly one line from studybot itself (platform mode also logs at INFO)."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("studybot:")]
    assert len(lines) == 1, result.output
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


def test_wrong_database_password(pg_url: str) -> None:
    wrong = pg_url.replace(":devpw@", ":not-the-password@") if ":devpw@" in pg_url else _with_password(pg_url)
    line = assert_one_friendly_line(
        studybot("db", "upgrade", STUDYBOT_DATABASE_URL=wrong), "refused the login", "STUDYBOT_DATABASE_URL"
    )
    assert "not-the-password" not in line


def _with_password(url: str) -> str:
    head, _, tail = url.partition("@")
    user = head.rsplit("//", 1)[1].split(":", 1)[0]
    return f"{head.rsplit('//', 1)[0]}//{user}:not-the-password@{tail}"


def test_plain_postgresql_urls_are_used_with_asyncpg(pg_url: str) -> None:
    plain = pg_url.replace("postgresql+asyncpg://", "postgresql://")
    result = studybot("-v", "db", "upgrade", STUDYBOT_DATABASE_URL=plain)
    assert result.exit_code == 0, result.output
    assert "database at revision" in result.output
    assert "postgresql+asyncpg://" in result.output  # the -v line names the driver actually used
    again = studybot("db", "upgrade", STUDYBOT_DATABASE_URL=pg_url.replace("postgresql+asyncpg://", "postgres://"))
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize("scheme", ["postgresql://", "postgres://", "postgresql+psycopg2://"])
def test_settings_rewrite_plain_postgresql_schemes(scheme: str) -> None:
    settings = Settings.from_env({"STUDYBOT_DATABASE_URL": f"{scheme}u:p@db.internal/studybot"}, env_file=None)
    assert settings.database_url == "postgresql+asyncpg://u:p@db.internal/studybot"


def test_a_plain_sqlite_url_is_used_with_aiosqlite(tmp_path: Path) -> None:
    """SQLAlchemy's docs spell it `sqlite:///file`; studybot ships only the async driver."""
    result = studybot("exec", "/help", STUDYBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'plain.sqlite3'}")
    assert result.exit_code == 0, result.output
    assert "studybot commands" in result.output and (tmp_path / "plain.sqlite3").exists()


@pytest.mark.parametrize("url", ["mysql://u:secret@db/studybot", "studybot.sqlite3"])
def test_a_database_studybot_cannot_use_is_named_without_a_traceback(url: str) -> None:
    result = studybot("exec", "/help", STUDYBOT_DATABASE_URL=url)
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "STUDYBOT_DATABASE_URL" in result.output and "sqlite:///" in result.output
    assert "secret" not in result.output


def test_database_host_that_nothing_listens_on() -> None:
    port = closed_port()
    url = f"postgresql+asyncpg://studybot:secret@127.0.0.1:{port}/studybot"
    line = assert_one_friendly_line(studybot("db", "upgrade", STUDYBOT_DATABASE_URL=url), f"127.0.0.1:{port}")
    assert "nothing answers" in line and "secret" not in line


def test_database_host_whose_name_does_not_resolve(no_internet: list[str]) -> None:
    url = "postgresql+asyncpg://studybot:secret@db.studybot.invalid:5432/studybot"
    assert_one_friendly_line(studybot("exec", "/help", STUDYBOT_DATABASE_URL=url), "db.studybot.invalid", "not known")
    assert "db.studybot.invalid" in no_internet


def test_unwritable_sqlite_location(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    url = f"sqlite+aiosqlite:///{blocker / 'studybot.sqlite3'}"
    assert_one_friendly_line(studybot("db", "upgrade", STUDYBOT_DATABASE_URL=url), "cannot create the folder")


def test_no_network_for_discord(tmp_path: Path, no_internet: list[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    line = assert_one_friendly_line(
        studybot("run", STUDYBOT_DATABASE_URL=url, DISCORD_TOKEN="not-a-real-token"), "Discord", "does not resolve"
    )
    assert "not-a-real-token" not in line
    assert "discord.com" in no_internet


def test_no_network_for_slack(tmp_path: Path, no_internet: list[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    result = studybot("run", STUDYBOT_DATABASE_URL=url, SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1")
    assert_one_friendly_line(result, "Slack", "does not resolve")
    assert "slack.com" in no_internet


def test_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    """The same in a real process: the console script's exit code and stderr, not just click's runner."""
    env = {k: os.environ[k] for k in ("PATH", "LANG", "SYSTEMROOT") if k in os.environ}
    env["HOME"] = str(tmp_path)
    env["STUDYBOT_DATABASE_URL"] = f"postgresql://studybot:secret@127.0.0.1:{closed_port()}/studybot"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "exec", "/help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.startswith("studybot: nothing answers at 127.0.0.1:")
    assert len(done.stderr.strip().splitlines()) == 1
