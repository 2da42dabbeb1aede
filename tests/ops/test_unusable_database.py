"""A SQLite file studybot cannot use (issue 19): not a database, on a full disk, or read-only. Start-up
and every command end with one friendly paragraph naming the file and the fix, never a traceback, and
`studybot doctor` says what is wrong instead of "No problems found"."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main

ENV_KEEP = ("PATH", "HOME", "LANG", "SYSTEMROOT", "XDG_DATA_HOME", "PYTHONPATH")


def studybot(url_file: Path, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"STUDYBOT_DATABASE_URL": f"sqlite+aiosqlite:///{url_file}"})


def friendly(result: Result, *phrases: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit), result.output
    lines = [line for line in result.output.splitlines() if line.startswith("studybot:")]
    assert len(lines) == 1, result.output
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


@pytest.fixture(params=["text", "random bytes"])
def not_a_database(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / "studybot.sqlite3"
    if request.param == "text":
        path.write_text("these are my notes, not a database\n" * 200)
    else:
        path.write_bytes(bytes((i * 7919 + 13) % 251 for i in range(8192)))
    return path


@pytest.mark.parametrize("command", [("exec", "/help"), ("db", "upgrade"), ("export", "--workspace", "w", "out.json")])
def test_a_file_that_is_not_a_database_is_named_with_its_fix(not_a_database: Path, command: tuple[str, ...]) -> None:
    before = not_a_database.read_bytes()
    friendly(studybot(not_a_database, *command), str(not_a_database), "is not a SQLite database", "db restore")
    assert not_a_database.read_bytes() == before


def test_doctor_says_the_file_is_not_a_database(not_a_database: Path) -> None:
    result = studybot(not_a_database, "doctor")
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert f"FAIL  database: {not_a_database} is not a SQLite database" in result.output
    assert "No problems found" not in result.output


@pytest.fixture
def made(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "studybot.sqlite3"
    path.parent.mkdir()
    assert studybot(path, "db", "upgrade").exit_code == 0
    return path


@pytest.fixture
def read_only(made: Path) -> Iterator[Path]:
    """The database made immutable (chattr +i: as root, a mode of 444 does not stop writes) or, for a
    user who may not, read-only by its mode: either way the kernel refuses to open it for writing."""
    immutable = shutil.which("chattr") is not None and subprocess.run(["chattr", "+i", str(made)]).returncode == 0
    if not immutable:
        made.chmod(0o444)
    assert not os.access(made, os.W_OK), "this test needs a file the kernel refuses to write"
    try:
        yield made
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(made)], check=True)
        made.chmod(0o644)


def test_a_read_only_database_is_refused_at_start_up(read_only: Path) -> None:
    friendly(studybot(read_only, "exec", "/profile timezone:UTC"), str(read_only), "is read-only", "chmod u+w")


def test_doctor_says_the_database_cannot_be_written(read_only: Path) -> None:
    result = studybot(read_only, "doctor")
    assert result.exit_code == 1, result.output
    assert f"FAIL  database: SQLite file {read_only} cannot be written" in result.output
    assert "No problems found" not in result.output


def test_a_full_disk_at_start_up_is_one_friendly_paragraph(tmp_path: Path) -> None:
    """A full disk for one real process: writes past 20 KiB fail (RLIMIT_FSIZE), as on a full disk,
    while the first migration writes the schema."""
    import resource

    path = tmp_path / "studybot.sqlite3"
    env = {k: os.environ[k] for k in ENV_KEEP if k in os.environ}
    env["STUDYBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{path}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # under the file size limit a .pyc would be written truncated

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20 * 1024, 20 * 1024))

    done = subprocess.run(
        [sys.executable, "-m", "bot", "exec", "/help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        preexec_fn=full_disk,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith(f"studybot: cannot write the SQLite file {path}")
    assert "the disk is probably full" in done.stderr
