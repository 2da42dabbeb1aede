"""STUDYBOT_DATABASE_URL that would lose or misplace data (issue 19): an in-memory SQLite database
(everything gone at exit) and a SQLite file in a folder that does not exist (a typo that would start
on a new, empty database) are refused at start-up, naming the variable; the default data directory is
still made when it is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.settings import Settings


def studybot(*args: str, **env: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


@pytest.mark.parametrize(
    "url", ["sqlite+aiosqlite://", "sqlite://", "sqlite+aiosqlite:///:memory:", "sqlite:///file:x?mode=memory&uri=true"]
)
def test_an_in_memory_database_is_refused(url: str) -> None:
    problem = Settings.from_env({"STUDYBOT_DATABASE_URL": url}, env_file=None).database_problem()
    assert problem is not None and problem.startswith("STUDYBOT_DATABASE_URL:") and "in-memory" in problem, problem
    result = studybot("exec", "/help", STUDYBOT_DATABASE_URL=url)
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "in-memory SQLite database loses everything" in result.output


def test_a_configured_file_in_a_missing_folder_is_refused_and_nothing_is_made(tmp_path: Path) -> None:
    folder = tmp_path / "typo" / "data"
    result = studybot("exec", "/help", STUDYBOT_DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'studybot.sqlite3'}")
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert f"there is no folder {folder}" in result.output and "create the folder first" in result.output
    assert not (tmp_path / "typo").exists()
    doctor = studybot("doctor", STUDYBOT_DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'studybot.sqlite3'}")
    assert doctor.exit_code == 1 and f"FAIL  database: there is no folder {folder}" in doctor.output, doctor.output


def test_a_configured_file_in_an_existing_folder_and_the_default_still_work(isolated: Path, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'here.sqlite3'}"
    assert studybot("exec", "/help", STUDYBOT_DATABASE_URL=url).exit_code == 0
    assert (tmp_path / "here.sqlite3").is_file()
    assert not isolated.exists()
    assert studybot("exec", "/help").exit_code == 0  # the default data directory is made
    assert (isolated / "studybot" / "studybot.sqlite3").is_file()
