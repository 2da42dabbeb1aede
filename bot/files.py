"""Reading a file someone named, without letting the name hurt: only regular files, and never unbounded.

A path typed on a command line or in `file:` may be a FIFO (opening it waits for a writer for ever), a
device (`/dev/zero` never ends), a socket or a folder. Each is refused by `os.stat` before anything
opens it, and a regular file is read only up to a limit, so memory stays bounded whatever it holds.
The one home of that check, for the CLI, the restore and backup commands and the console's `file:`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from bot.errors import StudybotError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class FileRefused(StudybotError):
    """The file was not read (missing, not a regular file, too big, unreadable); `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words ("a FIFO (named pipe)", "a character device")."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def not_regular(path: Path) -> str | None:
    """Why `path`, which exists, is no regular file ("/dev/zero is a character device, not a regular
    file"), or None for a regular file (a symlink counts as what it points at) or a missing path."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISREG(mode):
        return None
    return f"{path} is {kind_of(mode)}, not a regular file"


def read_regular(path: Path, limit: int) -> bytes:
    """All of the regular file at `path`, refused before opening when it is anything else, and
    refused unread when it holds more than `limit` bytes.

    Raises:
        FileRefused: with one sentence naming the path.
    """
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise FileRefused(f"there is no file {path}") from None
    except OSError as exc:
        raise FileRefused(f"cannot read {path} ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        raise FileRefused(f"{path} is {kind_of(mode)}, not a regular file")
    try:
        # O_NONBLOCK: should the path be swapped for a FIFO after the check, opening it still returns.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise FileRefused(f"cannot read {path} ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise FileRefused(f"{path} is not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileRefused(f"{path} is too big (more than {limit:,} bytes)")
    return data
