"""`studybot db restore FILE` and `db backup` from the command line, as an operator runs them (issue 14):
a restore only with the bot stopped and from a studybot backup no newer than the code, keeping the
database it replaces; every refusal is one friendly line, exit code 2, and changes nothing."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ENV_KEEP = ("PATH", "HOME", "LANG", "SYSTEMROOT", "XDG_DATA_HOME", "PYTHONPATH")


def studybot(args: list[str], live: Path, stdin: str = "", url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: os.environ[k] for k in ENV_KEEP if k in os.environ}
    env["STUDYBOT_DATABASE_URL"] = url or f"sqlite+aiosqlite:///{live}"
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


def timezone_of(database: Path, user: str = "ada") -> str | None:
    # Closed at once: an open connection in this process would count as "the bot is running".
    with contextlib.closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT timezone FROM members WHERE user_id = ?", (user,)).fetchone()
    return None if row is None else str(row[0])


def kept_copies(live: Path) -> list[Path]:
    return sorted(live.parent.glob(f"{live.stem}.before-restore-*"))


def refused(out: subprocess.CompletedProcess[str], says: str) -> None:
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert says in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1, out.stderr


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Made once with the CLI: a live database where ada's timezone is UTC, and a backup of it taken
    while her timezone was Europe/Berlin. Each test works on copies."""
    folder = tmp_path_factory.mktemp("made")
    live, backup = folder / "bot.sqlite3", folder / "monday.sqlite3"
    for zone in ("Europe/Berlin", "UTC"):
        assert studybot(["exec", "--user", "ada", f"/profile timezone:{zone}"], live).returncode == 0
        if zone == "Europe/Berlin":
            out = studybot(["db", "backup", str(backup)], live)
            assert out.returncode == 0, out.stderr
    assert not live.with_name(live.name + "-wal").exists()  # closed cleanly: the file alone is the database
    return live, backup


@pytest.fixture
def live(made: tuple[Path, Path], tmp_path: Path) -> Path:
    path = tmp_path / "data" / "bot.sqlite3"
    path.parent.mkdir()
    shutil.copyfile(made[0], path)
    return path


@pytest.fixture
def backup(made: tuple[Path, Path], tmp_path: Path) -> Path:
    path = tmp_path / "backups" / "monday.sqlite3"
    path.parent.mkdir()
    shutil.copyfile(made[1], path)
    return path


def test_a_backup_restores_and_the_replaced_database_is_kept(live: Path, backup: Path) -> None:
    assert timezone_of(live) == "UTC"
    out = studybot(["db", "restore", str(backup), "--yes"], live)
    assert out.returncode == 0, out.stderr
    (kept,) = kept_copies(live)
    assert f"restored {backup} into {live}" in out.stdout and f"kept at {kept}" in out.stdout
    assert "prompts and digests due before now are not posted again" in out.stdout  # said, not hidden
    assert timezone_of(live) == "Europe/Berlin" and timezone_of(kept) == "UTC"
    shown = studybot(["exec", "--user", "ada", "/profile"], live)
    assert "Europe/Berlin" in shown.stdout, shown.stdout + shown.stderr
    assert studybot(["exec", "--user", "bob", "/profile timezone:Asia/Tokyo"], live).returncode == 0  # writable
    assert timezone_of(live, "bob") == "Asia/Tokyo"


def test_it_asks_first_and_no_changes_nothing(live: Path, backup: Path) -> None:
    out = studybot(["db", "restore", str(backup)], live, stdin="n\n")
    assert out.returncode == 1 and "Replace the database" in out.stdout
    assert timezone_of(live) == "UTC" and kept_copies(live) == []
    out = studybot(["db", "restore", str(backup)], live, stdin="y\n")
    assert out.returncode == 0 and timezone_of(live) == "Europe/Berlin"


def test_into_a_database_that_does_not_exist_yet(backup: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "new" / "bot.sqlite3"
    out = studybot(["db", "restore", str(backup), "--yes"], fresh)
    assert out.returncode == 0 and "kept" not in out.stdout
    assert timezone_of(fresh) == "Europe/Berlin"


@pytest.fixture
def running_bot(live: Path) -> Iterator[subprocess.Popen[str]]:
    """A real `studybot shell` on the live database that has answered once and waits for more input."""
    env = {k: os.environ[k] for k in ENV_KEEP if k in os.environ}
    env |= {"STUDYBOT_DATABASE_URL": f"sqlite+aiosqlite:///{live}", "PYTHONUNBUFFERED": "1"}
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "shell", "--user", "ada"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert bot.stdin is not None and bot.stdout is not None
    bot.stdin.write("/profile timezone:Asia/Tokyo\n")
    bot.stdin.flush()
    for line in bot.stdout:  # ends at EOF if it dies; the assertion below then says so
        if "Saved." in line:
            break
    assert bot.poll() is None and timezone_of(live) == "Asia/Tokyo"
    try:
        yield bot
    finally:
        if bot.poll() is None:
            bot.kill()
        bot.wait(timeout=60)
        bot.stdout.close()
        if not bot.stdin.closed:
            bot.stdin.close()


def test_refused_while_the_bot_has_the_database_open(
    live: Path, backup: Path, running_bot: subprocess.Popen[str]
) -> None:
    out = studybot(["db", "restore", str(backup), "--yes"], live)
    refused(out, f"another process has {live} open")
    assert timezone_of(live) == "Asia/Tokyo" and kept_copies(live) == []
    assert running_bot.stdin is not None
    running_bot.stdin.close()  # the end of its transcript: the shell stops and closes the database
    assert running_bot.wait(timeout=60) == 0
    out = studybot(["db", "restore", str(backup), "--yes"], live)
    assert out.returncode == 0, out.stderr
    assert timezone_of(live) == "Europe/Berlin"


def test_refused_while_any_process_holds_a_connection(live: Path, backup: Path) -> None:
    """An idle connection, not in a transaction, is enough: that is what a bot between commands is."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from bot.store.db import connect_sqlite; c = connect_sqlite(sys.argv[1]); "
            "c.execute('SELECT 1').fetchone(); print('open', flush=True); sys.stdin.read()",
            str(live),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline() == "open\n"
        refused(studybot(["db", "restore", str(backup), "--yes"], live), "another process has")
        assert timezone_of(live) == "UTC"
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
        holder.stdout.close()
    assert studybot(["db", "restore", str(backup), "--yes"], live).returncode == 0


def _not_studybot(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")


def _from_the_future(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999_from_a_newer_studybot'")


def _damaged(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 2 : page * 6] = b"\xa5" * (page * 4)  # tables' pages overwritten, the header intact
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "says"),
    [
        ("missing", "there is no file"),
        ("folder", "is a folder, not a database file"),
        ("text", "is not a SQLite database"),
        ("empty", "is not a SQLite database"),
        ("damaged", "damaged"),
        ("not studybot", "not a studybot one"),
        ("future", "which this studybot does not know"),
        ("live", "is the live database"),
        ("-wal", "is the live database"),
        ("-shm", "is the live database"),
        ("symlink", "is the live database"),
    ],
)
def test_a_file_that_cannot_be_restored_is_refused_and_nothing_changes(
    live: Path, backup: Path, tmp_path: Path, make: str, says: str
) -> None:
    candidate = tmp_path / "candidate.sqlite3"
    if make == "folder":
        candidate.mkdir()
    elif make == "text":
        candidate.write_text("exam: SAA-C03\n")
    elif make == "empty":
        candidate.write_bytes(b"")
    elif make in ("damaged", "future"):
        candidate.write_bytes(backup.read_bytes())
        (_damaged if make == "damaged" else _from_the_future)(candidate)
    elif make == "not studybot":
        _not_studybot(candidate)
    elif make == "live":
        candidate = live
    elif make in ("-wal", "-shm"):
        candidate = live.with_name(live.name + make)
    elif make == "symlink":
        candidate.symlink_to(live)
    before = live.read_bytes()
    refused(studybot(["db", "restore", str(candidate), "--yes"], live), says)
    assert live.read_bytes() == before and kept_copies(live) == []
    assert timezone_of(live) == "UTC"


def test_an_unreadable_file_is_refused(live: Path, backup: Path) -> None:
    backup.chmod(0)
    try:
        if os.geteuid() != 0:  # root reads anything; the friendly error is for everyone else
            refused(studybot(["db", "restore", str(backup), "--yes"], live), "cannot be read (permission denied)")
            assert timezone_of(live) == "UTC"
    finally:
        backup.chmod(0o600)


def test_postgresql_is_pointed_at_its_own_tools(live: Path, backup: Path) -> None:
    out = studybot(["db", "restore", str(backup), "--yes"], live, url="postgresql://u:p@127.0.0.1:1/studybot")
    refused(out, "for PostgreSQL use pg_restore")


def test_a_backup_into_a_folder_that_is_a_file_is_a_friendly_error(live: Path, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder")
    out = studybot(["db", "backup", str(tmp_path / "afile" / "copy.sqlite3")], live)
    refused(out, "cannot write the backup to")


def test_a_run_posted_after_the_backup_is_not_posted_again_after_the_restore(tmp_path: Path) -> None:
    """A prompt posted after the backup was taken is not in the restored database, and the restored
    database cannot tell whether it went out: the pass after the restore reports the run as skipped, with
    why, instead of posting it a second time (found by the second outside tester)."""
    live, backup = tmp_path / "bot.sqlite3", tmp_path / "before.sqlite3"
    add = "/studyadmin schedule add channel:#study exam:SAA-C03 preset:weekdays-9am timezone:UTC"
    assert studybot(["exec", "--user", "mo", "--channel", "study", add], live).returncode == 0
    assert studybot(["db", "backup", str(backup)], live).returncode == 0
    first = studybot(["schedule", "deliver-due", "--now", "2030-01-07T09:00:10Z"], live)
    assert first.returncode == 0 and "posted in #study" in first.stdout, first.stdout + first.stderr
    restored = studybot(["db", "restore", str(backup), "--yes", "--now", "2030-01-07T09:00:30Z"], live)
    assert restored.returncode == 0, restored.stderr
    again = studybot(["schedule", "deliver-due", "--now", "2030-01-07T09:00:40Z"], live)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "posted in #study" not in again.stdout, again.stdout
    assert "due before the database was restored from a backup" in again.stdout, again.stdout
    later = studybot(["schedule", "deliver-due", "--now", "2030-01-08T09:00:10Z"], live)
    assert "posted in #study" in later.stdout, later.stdout  # the next run posts as usual
