"""Moving a workspace between databases: one versioned JSON file out, the same rows in, all or nothing.

`export_workspace` writes a workspace's configuration (settings, moderators, schedules, group
targets, its own question banks, the audit log) and, with history, its members with their answers,
attempts, mock exams, review cards and certifications. Surrogate ids are kept in the file only so
rows can point at each other; `import_workspace` inserts every row afresh, maps those ids onto the
new ones, and does it in one transaction, so a failure leaves the target exactly as it was. The
delivery outbox is not moved: it is the running scheduler's state, and the target rebuilds it.
The tables and their queries are `bot.store.transfer`'s; this module owns the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Date, Table
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import StudybotError
from bot.store import practice as practice_store
from bot.store import transfer as transfer_store
from bot.store.transfer import HISTORY_TABLES, REFERENCES, WORKSPACE_TABLES
from bot.store.types import UTCDateTime

FORMAT = "studybot-workspace"
VERSION = 1
IMPORT_LIMIT = 256 * 1024 * 1024  # bytes; a large workspace with history is tens of MB


class TransferRefused(StudybotError):
    """The file cannot be imported here; nothing was changed. `message` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _typed(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """A file row back in Python types, by its table's column types."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        column = table.c[name]
        if value is not None and isinstance(column.type, UTCDateTime):
            value = dt.datetime.fromisoformat(value)
        elif value is not None and isinstance(column.type, Date):
            value = dt.date.fromisoformat(value)
        out[name] = value
    return out


async def export_workspace(
    engine: AsyncEngine, platform: str, workspace: str, *, history: bool, now: dt.datetime
) -> dict[str, Any]:
    """The export document for one workspace."""
    async with engine.connect() as conn:
        tables = await transfer_store.rows_of(conn, platform, workspace, history=history)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now.isoformat(),
        "platform": platform,
        "workspace": workspace,
        "with_history": history,
        "tables": {name: [{k: _plain(v) for k, v in row.items()} for row in rows] for name, rows in tables.items()},
    }


async def platforms_of(engine: AsyncEngine, workspace: str) -> list[str]:
    """The platforms that have anything stored for a workspace id."""
    async with engine.connect() as conn:
        return await transfer_store.platforms_of(conn, workspace)


def _check(document: Any) -> tuple[str, str, dict[str, list[dict[str, Any]]]]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise TransferRefused('this is not a studybot workspace export (no "format": "studybot-workspace")')
    version = document.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise TransferRefused(
            f"the file is format version {version}, newer than this studybot reads ({VERSION}): "
            "upgrade studybot here, or export again with the studybot version of this machine"
        )
    tables = document.get("tables")
    known = {t.name for t in (*WORKSPACE_TABLES, *HISTORY_TABLES)}
    if not isinstance(tables, dict) or not set(tables) <= known:
        raise TransferRefused(f"the file's tables are not studybot's ({sorted(set(tables or ()) - known)})")
    return str(document["platform"]), str(document["workspace"]), tables


async def import_workspace(engine: AsyncEngine, document: Any) -> dict[str, int]:
    """Insert every row of an export in one transaction; the number of rows per table.

    Raises:
        TransferRefused: a file of a newer format, not an export, or a workspace that already has data
            in the target; nothing is changed.
    """
    platform, workspace, tables = _check(document)
    counts: dict[str, int] = {}
    async with engine.begin() as conn:
        taken = await transfer_store.occupied(conn, platform, workspace)
        if taken is not None:
            raise TransferRefused(
                f"{platform} workspace {workspace} already has data in this database ({taken.name}); "
                "import into a database without it"
            )
        new_ids: dict[str, dict[int, int]] = {}
        for table in (*WORKSPACE_TABLES, *HISTORY_TABLES):
            rows: Sequence[Mapping[str, Any]] = tables.get(table.name, [])
            mapping = new_ids.setdefault(table.name, {})
            later: list[tuple[int, str, Any]] = []  # (new id, column, file id of a later row of this table)
            for row in rows:
                values = _typed(table, row)
                if values.get("platform", platform) != platform or values.get("workspace", workspace) != workspace:
                    raise TransferRefused(f"a row of {table.name} belongs to another workspace; the file was edited")
                ahead: list[tuple[str, Any]] = []
                for column, target in REFERENCES.items():
                    if column in values and values[column] is not None:
                        if target is table and values[column] not in mapping:  # a row further down this table
                            ahead.append((column, values.pop(column)))
                        elif values[column] not in new_ids.get(target.name, {}):
                            raise TransferRefused(f"a row of {table.name} points at a missing {target.name} row")
                        else:
                            values[column] = new_ids[target.name][values[column]]
                old_id = values.pop("id", None) if transfer_store.has_surrogate_id(table) else None
                new_id = await transfer_store.insert_row(conn, table, values)
                if old_id is not None and new_id is not None:
                    mapping[int(old_id)] = new_id
                    later.extend((new_id, column, ref) for column, ref in ahead)
            for row_id, column, ref in later:
                if ref not in mapping:
                    raise TransferRefused(f"a row of {table.name} points at a missing {table.name} row")
                await transfer_store.set_reference(conn, table, row_id, column, mapping[ref])
            counts[table.name] = len(rows)
        # The aggregates are not in the file: they are counted from the imported rows, in this transaction.
        await practice_store.recount(conn, list(new_ids.get("members", {}).values()))
    return counts
