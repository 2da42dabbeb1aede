"""The default database lives in the user's data directory, whatever the working directory; `-v` says which."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.settings import Settings, default_database_url
from bot.store import sqlite_path


def test_default_is_an_absolute_file_in_the_data_directory(isolated: Path, tmp_path: Path) -> None:
    settings = Settings.from_env({}, env_file=None)
    path = sqlite_path(settings.database_url)
    assert path == isolated / "studybot" / "studybot.sqlite3"
    assert path.is_absolute()
    assert settings.database_from_default
    os.chdir(tmp_path)  # another working directory: the same file
    assert Settings.from_env({}, env_file=None).database_url == default_database_url()


def test_the_environment_still_wins(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'mine.sqlite3'}"
    settings = Settings.from_env({"STUDYBOT_DATABASE_URL": url}, env_file=None)
    assert settings.database_url == url and not settings.database_from_default


def _studybot(args: list[str], cwd: Path, data: Path) -> subprocess.CompletedProcess[str]:
    env = {k: os.environ[k] for k in ("PATH", "LANG", "SYSTEMROOT") if k in os.environ}
    env["HOME"] = str(cwd)
    env["XDG_DATA_HOME"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def test_two_working_directories_share_one_database(tmp_path: Path) -> None:
    data = tmp_path / "data-home"
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    saved = _studybot(["-v", "exec", "--user", "ada", "/profile timezone:Europe/Berlin"], first, data)
    assert saved.returncode == 0, saved.stderr
    expected = data / "studybot" / "studybot.sqlite3"
    assert f"database: SQLite file {expected} (the default" in saved.stderr
    assert expected.is_file()
    assert not (first / "data").exists()
    seen = _studybot(["exec", "--user", "ada", "/profile"], second, data)
    assert seen.returncode == 0, seen.stderr
    assert "Europe/Berlin" in seen.stdout
    assert "database:" not in seen.stderr  # only with -v


@pytest.mark.parametrize("verbose", ["-v", "--verbose"])
def test_verbose_names_a_configured_database_without_its_password(verbose: str) -> None:
    url = "postgresql://studybot:hunter2@db.internal:5432/studybot"
    result = CliRunner().invoke(main, [verbose, "content", "report", "--json"], env={"STUDYBOT_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert "database: postgresql+asyncpg://studybot:***@db.internal:5432/studybot (from STUDYBOT_DATABASE_URL)" in (
        result.output
    )
    assert "hunter2" not in result.output
