"""Moving a workspace between databases: one versioned JSON file out, the same rows in, all or nothing.

`export_workspace` writes a workspace's configuration (settings, moderators, schedules, group
targets, its own question banks, the audit log) and, with history, its members with their answers,
attempts, mock exams, review cards and certifications. Surrogate ids are kept in the file only so
rows can point at each other; `import_workspace` inserts every row afresh, maps those ids onto the
new ones, and does it in one transaction, so a failure leaves the target exactly as it was. The
delivery outbox is not moved: it is the running scheduler's state, and the target rebuilds it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Date, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.errors import StudybotError
from bot.store.schema import (
    audit_log,
    group_targets,
    held_certifications,
    members,
    mock_exams,
    moderators,
    practice_answers,
    practice_attempts,
    review_cards,
    schedules,
    workspace_questions,
    workspace_settings,
)
from bot.store.types import UTCDateTime

FORMAT = "studybot-workspace"
VERSION = 1

# In insert order. Workspace tables carry platform and workspace columns; member tables hang off members.
WORKSPACE_TABLES: tuple[Table, ...] = (
    workspace_settings,
    moderators,
    schedules,
    group_targets,
    workspace_questions,
    audit_log,
)
HISTORY_TABLES: tuple[Table, ...] = (
    members,
    held_certifications,
    mock_exams,
    practice_attempts,
    practice_answers,
    review_cards,
)
# Foreign keys inside the file: column -> the table whose file ids it holds.
REFERENCES: dict[str, Table] = {"member_id": members, "mock_id": mock_exams, "attempt_id": practice_attempts}


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


async def rows_of(conn: AsyncConnection, platform: str, workspace: str, *, history: bool) -> dict[str, list[dict]]:
    """Every row the export holds for one workspace, by table, in id (or key) order."""
    found: dict[str, list[dict[str, Any]]] = {}
    for table in WORKSPACE_TABLES:
        query = select(table).where(table.c.platform == platform, table.c.workspace == workspace)
        found[table.name] = [dict(r) for r in (await conn.execute(query.order_by(*table.primary_key))).mappings()]
    if history:
        ids = select(members.c.id).where(members.c.platform == platform, members.c.workspace == workspace)
        for table in HISTORY_TABLES:
            where = table.c.id.in_(ids) if table is members else table.c.member_id.in_(ids)
            query = select(table).where(where).order_by(table.c.id)
            found[table.name] = [dict(r) for r in (await conn.execute(query)).mappings()]
    return found


async def export_workspace(
    engine: AsyncEngine, platform: str, workspace: str, *, history: bool, now: dt.datetime
) -> dict[str, Any]:
    """The export document for one workspace."""
    async with engine.connect() as conn:
        tables = await rows_of(conn, platform, workspace, history=history)
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
    found: set[str] = set()
    async with engine.connect() as conn:
        for table in (*WORKSPACE_TABLES, members):
            query = select(table.c.platform).where(table.c.workspace == workspace).distinct()
            found.update(str(p) for p in (await conn.execute(query)).scalars())
    return sorted(found)


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
        for table in (*WORKSPACE_TABLES, members):
            query = select(func.count()).select_from(table)
            query = query.where(table.c.platform == platform, table.c.workspace == workspace)
            if (await conn.execute(query)).scalar_one():
                raise TransferRefused(
                    f"{platform} workspace {workspace} already has data in this database ({table.name}); "
                    "import into a database without it"
                )
        new_ids: dict[str, dict[int, int]] = {}
        for table in (*WORKSPACE_TABLES, *HISTORY_TABLES):
            rows: Sequence[Mapping[str, Any]] = tables.get(table.name, [])
            mapping = new_ids.setdefault(table.name, {})
            for row in rows:
                values = _typed(table, row)
                if values.get("platform", platform) != platform or values.get("workspace", workspace) != workspace:
                    raise TransferRefused(f"a row of {table.name} belongs to another workspace; the file was edited")
                for column, target in REFERENCES.items():
                    if column in values and values[column] is not None:
                        if values[column] not in new_ids.get(target.name, {}):
                            raise TransferRefused(f"a row of {table.name} points at a missing {target.name} row")
                        values[column] = new_ids[target.name][values[column]]
                old_id = values.pop("id", None) if "id" in table.c and table.c.id.autoincrement else None
                if old_id is None:
                    await conn.execute(insert(table).values(**values))
                else:
                    result = await conn.execute(insert(table).values(**values).returning(table.c.id))
                    mapping[int(old_id)] = int(result.scalar_one())
            counts[table.name] = len(rows)
    return counts
