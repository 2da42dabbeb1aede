"""`studybot db restore FILE`: put a backup back, only when that cannot hurt.

Refused, with nothing changed, when FILE is the live database (or its `-wal`/`-shm`), is missing,
unreadable, not a SQLite database, damaged, not a studybot database, or was migrated by a newer
studybot than this one; and when any other process has the live database open, which is how "the
bot is stopped" is checked: every SQLite connection studybot opens holds a lock on the database's
`-shm` file for as long as it lives, so a running bot, scheduler or CLI command is seen whether or
not it is writing at the moment (`bot.store.sqlite_in_use`). Otherwise the current database is first
copied next to it (`<name>.before-restore-<UTC time>.sqlite3`), then replaced through SQLite's backup
API. A backup older than this code is upgraded by the next start, or by `studybot db upgrade`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.errors import StudybotError
from bot.files import not_regular
from bot.store import BackupSourceError, backup_sqlite, head_revision, inspect_sqlite, restore_sqlite, sqlite_in_use
from bot.store.claims import mark_restored

STUDYBOT_TABLES = frozenset({"alembic_version", "members"})  # present at every revision since the first


class RestoreRefused(StudybotError):
    """The restore did not happen and nothing was changed; `message` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Restored:
    pages: int
    kept: Path | None
    """The copy of the database that was replaced (None when there was none)."""
    revision: str | None
    current: bool
    """Whether the restored schema is this code's newest (else the next start upgrades it)."""


def kept_copy(live: Path, now: dt.datetime) -> Path:
    """Where the current database is kept before a restore replaces it: beside it, named by the time."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return live.with_name(f"{live.stem}.before-restore-{stamp}{live.suffix or '.sqlite3'}")


def check_restorable(live: Path, source: Path) -> str | None:
    """The schema revision of `source`, or RestoreRefused when it must not replace `live`."""
    aimed = source.resolve()
    journal = {live.resolve(), *(live.resolve().with_name(live.name + tail) for tail in ("-wal", "-shm"))}
    if aimed in journal or (live.exists() and source.exists() and live.samefile(source)):
        raise RestoreRefused(f"{source} is the live database (or its journal); restore from a backup file.")
    odd = not_regular(source)  # a FIFO would hang the read below, a device would never end
    if odd is not None and not source.is_dir():  # a folder: inspect_sqlite says so
        raise RestoreRefused(f"{odd}; restore from a backup file. Nothing was changed.")
    found = inspect_sqlite(source)
    if found.problem is not None:
        raise RestoreRefused(f"{found.problem}; nothing was changed.")
    if not STUDYBOT_TABLES <= found.tables:
        raise RestoreRefused(
            f"{source} is a SQLite database, but not a studybot one (it has no studybot tables); nothing was changed."
        )
    if not found.known:
        raise RestoreRefused(
            f"{source} is at schema revision {found.revision}, which this studybot does not know (its newest is "
            f"{head_revision()}): a newer studybot made it. Upgrade studybot here first; nothing was changed."
        )
    return found.revision


def restore(live: Path, source: Path, *, now: dt.datetime) -> Restored:
    """Replace the SQLite database at `live` with the backup `source`, keeping a copy of `live` first.

    Raises:
        RestoreRefused: nothing was changed; says why.
    """
    revision = check_restorable(live, source)
    if sqlite_in_use(live):
        raise RestoreRefused(
            f"another process has {live} open (a running bot, `studybot schedule deliver-due` or another "
            "command): stop it, then restore. Nothing was changed."
        )
    kept = None
    if live.exists():
        kept = kept_copy(live, now)
        try:
            backup_sqlite(live, kept)
        except OSError as exc:
            raise RestoreRefused(
                f"cannot keep a copy of the current database at {kept}: {exc}; nothing was changed."
            ) from None
        except (sqlite3.Error, BackupSourceError) as exc:
            raise RestoreRefused(
                f"cannot copy the current database {live} before replacing it ({exc}); if it is damaged, move "
                "it away by hand, then restore. Nothing was changed."
            ) from None
    try:
        pages = restore_sqlite(source, live)
        mark_restored(live, now, source.name)  # runs due before now may have gone out after the backup
    except (OSError, sqlite3.Error) as exc:
        where = f"a copy of it is at {kept}" if kept else "there was none before"
        raise RestoreRefused(f"cannot write {live} ({exc}); {where}.") from None
    return Restored(pages, kept, revision, revision == head_revision())
