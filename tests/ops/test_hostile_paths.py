"""What an outside tester typed at the CLI (issue 14, issue 19): a FIFO, a device, a socket, a missing
folder or a full disk as a backup target, restore or import source. Each is refused with one friendly
line before anything opens it (a FIFO would hang, /dev/zero would never end) and changes nothing."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ENV_KEEP = ("PATH", "HOME", "LANG", "SYSTEMROOT", "XDG_DATA_HOME", "PYTHONPATH")
TIMEOUT = 60  # a hang is the bug: the process must end well before this


def studybot(args: list[str], live: Path, *, file_size_limit: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: os.environ[k] for k in ENV_KEEP if k in os.environ}
    env["STUDYBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{live}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # under the file size limit a .pyc would be written truncated

    def limit() -> None:  # a full disk, for this process only: writes past the limit fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        assert file_size_limit is not None
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        preexec_fn=limit if file_size_limit is not None else None,
    )


def refused(out: subprocess.CompletedProcess[str], *says: str) -> None:
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1, out.stderr
    for phrase in says:
        assert phrase in out.stderr, out.stderr


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    live = tmp_path_factory.mktemp("made") / "bot.sqlite3"
    assert studybot(["exec", "--user", "ada", "/profile timezone:Europe/Berlin"], live).returncode == 0
    return live


@pytest.fixture
def live(made: Path, tmp_path: Path) -> Path:
    path = tmp_path / "data" / "bot.sqlite3"
    path.parent.mkdir()
    shutil.copyfile(made, path)
    return path


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def test_backup_does_not_replace_a_fifo_even_with_force(live: Path, fifo: Path) -> None:
    refused(studybot(["db", "backup", str(fifo), "--force"], live), str(fifo), "FIFO", "not a regular file")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert not fifo.with_name("pipe.partial").exists()


def test_backup_does_not_replace_a_socket_even_with_force(live: Path, tmp_path: Path) -> None:
    path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        refused(studybot(["db", "backup", str(path), "--force"], live), "socket", "not a regular file")
    assert stat.S_ISSOCK(os.stat(path).st_mode)


def test_backup_does_not_replace_a_device_even_with_force(live: Path, tmp_path: Path) -> None:
    """A character device like /dev/full or /dev/null, made here (as root) so no real one is at risk."""
    path = tmp_path / "null"
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        path = Path(os.devnull)  # not root: it cannot replace /dev/null either way, but must say why
    refused(studybot(["db", "backup", str(path), "--force"], live), "character device", "not a regular file")
    assert stat.S_ISCHR(os.stat(path).st_mode)


def test_backup_into_a_missing_folder_is_refused_and_creates_nothing(live: Path, tmp_path: Path) -> None:
    target = tmp_path / "nonexist" / "x.sqlite3"
    refused(studybot(["db", "backup", str(target)], live), "create the folder first")
    assert not target.parent.exists()


def test_backup_replaces_a_regular_file_with_force(live: Path, tmp_path: Path) -> None:
    target = tmp_path / "old.sqlite3"
    target.write_text("yesterday")
    out = studybot(["db", "backup", str(target), "--force"], live)
    assert out.returncode == 0, out.stderr
    assert target.read_bytes().startswith(b"SQLite format 3\x00")


def test_a_backup_onto_a_full_disk_leaves_no_partial_file(live: Path, tmp_path: Path) -> None:
    target = tmp_path / "backups" / "full.sqlite3"
    target.parent.mkdir()
    # Writes past 40 KiB fail in the CLI's process only; the database is larger than that, so the
    # backup runs out of room part-way, as on a full disk. The source is only read (its 32 KiB -shm fits).
    assert live.stat().st_size > 64 * 1024
    out = studybot(["db", "backup", str(target)], live, file_size_limit=40 * 1024)
    refused(out, f"cannot write the backup to {target}")
    assert sorted(p.name for p in target.parent.iterdir()) == []


def test_restore_from_a_fifo_is_refused_without_hanging(live: Path, fifo: Path) -> None:
    before = live.read_bytes()
    refused(studybot(["db", "restore", str(fifo), "--yes"], live), "FIFO", "not a regular file", "Nothing was changed")
    assert live.read_bytes() == before


def test_import_from_a_fifo_is_refused_without_hanging(live: Path, fifo: Path) -> None:
    refused(studybot(["import", str(fifo)], live), str(fifo), "FIFO", "nothing was imported")


def test_import_from_an_endless_device_is_refused_before_reading(live: Path) -> None:
    """/dev/zero never ends: the tester's import grew to 2.9 GB. Refused by kind, before it is opened."""
    refused(studybot(["import", "/dev/zero"], live), "/dev/zero is a character device", "nothing was imported")


def test_import_of_a_file_over_the_limit_is_refused_unread(live: Path, tmp_path: Path) -> None:
    from bot.files import FileRefused, read_regular

    big = tmp_path / "big.json"
    big.write_bytes(b"{" + b" " * 2048 + b"}")
    with pytest.raises(FileRefused, match="too big"):
        read_regular(big, 1024)
    assert read_regular(big, 4096) == big.read_bytes()


@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_the_console_refuses_a_bank_file_that_is_not_a_regular_file(live: Path, fifo: Path, special: str) -> None:
    """`file:<fifo>` hung the shell; `file:/dev/zero` was read as a 1 MB file called "zero"."""
    path = str(fifo) if special == "fifo" else special
    env = {k: os.environ[k] for k in ENV_KEEP if k in os.environ}
    env["STUDYBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{live}"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "shell"],
        input=f"/studyadmin bank import file:{path}\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    assert path in done.stdout and "is not a regular file" in done.stdout, done.stdout
    assert "MB" not in done.stdout, done.stdout
