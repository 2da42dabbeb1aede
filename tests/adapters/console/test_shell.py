"""The console as a new user meets it: `studybot shell` and `studybot exec` as real processes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.runtime import Runtime

ENV_KEEP = ("PATH", "HOME", "LANG", "SYSTEMROOT")


def studybot(args: list[str], tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: os.environ[k] for k in ENV_KEEP if k in os.environ}
    env["STUDYBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # works from any working directory
        timeout=120,
    )


def test_state_survives_a_restart_and_bad_input_changes_nothing(tmp_path: Path) -> None:
    first = studybot(["shell", "--user", "ada"], tmp_path, "/profile timezone:Europe/Berlin\n")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("> /profile timezone:Europe/Berlin\n")
    assert "Saved." in first.stdout

    garbage = "ä€\x07" * 1700
    bad_lines = [
        "/nosuchcommand",
        "/profile tz:UTC",
        "/profile timezone:",
        '/profile timezone:"Europe/Paris',
        "/profile timezone:Not/AZone",
        "/",
        "profile",
        garbage,
        "/" + garbage,
        "/press 1",
        "/press 99",
        "/choose 1",
    ]
    second = studybot(["shell", "--user", "ada"], tmp_path, "\n".join([*bad_lines, "/profile"]) + "\n")
    assert second.returncode == 0, second.stderr
    transcript = second.stdout
    for line in bad_lines:
        assert f"> {line}\n" in transcript
    assert transcript.count("== That didn't work ==") + transcript.count("There is no") >= len(bad_lines) - 1
    assert "Traceback" not in transcript + second.stderr
    assert transcript.rstrip().endswith("Europe/Berlin")


def test_buttons_are_pressed_by_number(tmp_path: Path) -> None:
    out = studybot(
        ["shell"],
        tmp_path,
        "/profile timezone:UTC\n/profile delete\n/press 2\n/press 1\n/profile delete\n/press 1\n/profile\n",
    )
    assert out.returncode == 0, out.stderr
    assert "[1] Delete everything  [2] Keep my data" in out.stdout
    assert "Nothing was deleted" in out.stdout
    assert "You chose to keep your data on" in out.stdout  # an old button of an answered question
    assert "Everything studybot stored about you is deleted" in out.stdout  # after asking again
    assert out.stdout.rstrip().endswith("not set (using UTC)")


def test_exec_runs_one_command_and_members_do_not_see_moderator_help(tmp_path: Path) -> None:
    out = studybot(["exec", "/help"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "/profile" in out.stdout and "/help" in out.stdout
    member = studybot(["exec", "--member", "/help"], tmp_path)
    assert "Moderator commands" not in member.stdout


@pytest.mark.parametrize("args", [["--help"], ["content", "check"]])
def test_cli_basics(tmp_path: Path, args: list[str]) -> None:
    out = studybot(args, tmp_path)
    assert out.returncode == 0, out.stderr + out.stdout


def test_db_upgrade_and_backup_from_the_command_line(tmp_path: Path) -> None:
    assert studybot(["exec", "/profile timezone:UTC"], tmp_path).returncode == 0
    upgraded = studybot(["db", "upgrade"], tmp_path)
    assert upgraded.returncode == 0 and "database at revision" in upgraded.stdout
    backup = studybot(["db", "backup", str(tmp_path / "copy.sqlite3")], tmp_path)
    assert backup.returncode == 0, backup.stderr
    assert (tmp_path / "copy.sqlite3").stat().st_size > 0


def test_help_explains_one_command_with_examples(tmp_path: Path) -> None:
    out = studybot(["exec", "/help profile"], tmp_path)
    assert "/profile timezone:Europe/Berlin" in out.stdout and "timezone (string)" in out.stdout


def test_a_backup_never_hurts_the_live_database(tmp_path: Path) -> None:
    assert studybot(["exec", "/profile timezone:UTC"], tmp_path).returncode == 0
    live = tmp_path / "bot.sqlite3"
    assert live.is_file()
    before = live.read_bytes()
    for target in (live, live.with_name(live.name + "-wal"), live.with_name(live.name + "-shm")):
        refused = studybot(["db", "backup", str(target)], tmp_path)
        assert refused.returncode == 2 and "live database" in refused.stderr and "Traceback" not in refused.stderr
    assert live.read_bytes() == before
    copy = tmp_path / "copy.sqlite3"
    assert studybot(["db", "backup", str(copy)], tmp_path).returncode == 0
    again = studybot(["db", "backup", str(copy)], tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    assert studybot(["db", "backup", str(copy), "--force"], tmp_path).returncode == 0
    (tmp_path / "locked").mkdir(mode=0o500)
    if os.geteuid() != 0:  # root may write anywhere; the friendly error is for everyone else
        denied = studybot(["db", "backup", str(tmp_path / "locked" / "x.sqlite3")], tmp_path)
        assert denied.returncode == 2 and "cannot write" in denied.stderr


def test_quit_and_exit_end_a_transcript_too(tmp_path: Path) -> None:
    for word in ("/quit", "/exit"):
        out = studybot(["shell"], tmp_path, f"/profile timezone:UTC\n{word}\n/profile timezone:Europe/Paris\n")
        assert out.returncode == 0 and f"> {word}\n" in out.stdout and "Europe/Paris" not in out.stdout


async def test_the_welcome_line_names_the_database_in_use(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.console import ConsoleSession, run_shell
    from bot.store.db import describe
    from tests.conftest import person

    monkeypatch.setattr("builtins.input", lambda prompt="": "/quit")  # a terminal where the member types /quit
    out = io.StringIO()
    where = describe(runtime.settings.database_url)
    code = await run_shell(ConsoleSession(runtime.core, person()), io.StringIO(), out, interactive=True, database=where)
    first, second = out.getvalue().splitlines()[:2]
    assert code == 0 and first.startswith("studybot console.")
    assert second == f"Data: {where} (set STUDYBOT_DATABASE_URL to use another)."
    assert where.startswith("SQLite file /") and where.endswith(".sqlite3")


def test_exec_exits_1_when_the_command_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A script or cron job running one command can tell a refusal from a success: the reply is printed
    either way, and the exit status says which it was."""
    from click.testing import CliRunner

    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STUDYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    runner = CliRunner()
    refused = runner.invoke(main, ["exec", "/practice exam:NOPE-C99"])
    assert refused.exit_code == 1 and "That didn't work" in refused.output, refused.output
    member = runner.invoke(main, ["exec", "--member", "/studyadmin audit"])
    assert member.exit_code == 1 and "Only moderators" in member.output, member.output
    fine = runner.invoke(main, ["exec", "/practice exam:SAA-C03"])
    assert fine.exit_code == 0, fine.output
