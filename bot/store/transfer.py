"""The rows a workspace export holds, read and written table by table (for `bot.ops.transfer`).

Which tables move, in which order, and which columns point at other moved rows is storage knowledge,
so it lives here with the queries; the file format, its checks and the id mapping stay in
`bot.ops.transfer`. Every function takes a connection, so an import runs in the caller's one
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import (
    audit_log,
    errata_notices,
    errata_settings,
    group_targets,
    held_certifications,
    members,
    mock_exams,
    moderators,
    notify_settings,
    notify_skips,
    practice_answers,
    practice_attempts,
    question_decisions,
    question_overlays,
    question_reports,
    review_cards,
    review_plans,
    schedules,
    season_baselines,
    seasons,
    workspace_questions,
    workspace_settings,
)

# In insert order. Workspace tables carry platform and workspace columns; member tables hang off members.
WORKSPACE_TABLES: tuple[Table, ...] = (
    workspace_settings,
    moderators,
    schedules,
    group_targets,
    workspace_questions,
    question_overlays,  # the errata overlay: the questions as this workspace fixed them
    errata_settings,
    question_decisions,  # every decision and its reversal: the overlay's history
    question_reports,  # members' reports, open or closed by a decision
    seasons,
    audit_log,
)
HISTORY_TABLES: tuple[Table, ...] = (
    members,
    held_certifications,
    mock_exams,
    practice_attempts,
    practice_answers,
    review_cards,
    season_baselines,
    review_plans,
    notify_settings,
    notify_skips,
    errata_notices,  # what a decision changed for a member or a channel, and whether it was said yet
)
# Foreign keys inside the file: column -> the table whose file ids it holds. A decision points at the
# decision it reversed and at the one that reversed it: the latter is a later row of the same table,
# so an import fills it in once the whole table is in (`set_reference`).
REFERENCES: dict[str, Table] = {
    "member_id": members,
    "mock_id": mock_exams,
    "attempt_id": practice_attempts,
    "season_id": seasons,
    "decision_id": question_decisions,
    "reverses": question_decisions,
    "reversed_by": question_decisions,
}


async def rows_of(conn: AsyncConnection, platform: str, workspace: str, *, history: bool) -> dict[str, list[dict]]:
    """Every row the export holds for one workspace, by table, in id (or key) order."""
    found: dict[str, list[dict[str, Any]]] = {}
    for table in WORKSPACE_TABLES:
        query = select(table).where(table.c.platform == platform, table.c.workspace == workspace)
        found[table.name] = [dict(r) for r in (await conn.execute(query.order_by(*table.primary_key))).mappings()]
    if history:
        ids = select(members.c.id).where(members.c.platform == platform, members.c.workspace == workspace)
        for table in HISTORY_TABLES:
            where: ColumnElement[bool]
            if "workspace" in table.c:  # members, and notices, some of which are a channel's (no member)
                where = and_(table.c.platform == platform, table.c.workspace == workspace)
            else:
                where = table.c.member_id.in_(ids)
            query = select(table).where(where).order_by(*table.primary_key)
            found[table.name] = [dict(r) for r in (await conn.execute(query)).mappings()]
    return found


async def platforms_of(conn: AsyncConnection, workspace: str) -> list[str]:
    """The platforms that have anything stored for a workspace id."""
    found: set[str] = set()
    for table in (*WORKSPACE_TABLES, members):
        query = select(table.c.platform).where(table.c.workspace == workspace).distinct()
        found.update(str(p) for p in (await conn.execute(query)).scalars())
    return sorted(found)


async def occupied(conn: AsyncConnection, platform: str, workspace: str) -> Table | None:
    """The first exported table that already holds rows of this workspace, or None when none does."""
    for table in (*WORKSPACE_TABLES, members):
        query = select(func.count()).select_from(table)
        query = query.where(table.c.platform == platform, table.c.workspace == workspace)
        if (await conn.execute(query)).scalar_one():
            return table
    return None


def has_surrogate_id(table: Table) -> bool:
    """Whether the database numbers this table's rows itself (so an imported row gets a new id)."""
    return "id" in table.c and bool(table.c.id.autoincrement)


async def set_reference(conn: AsyncConnection, table: Table, row_id: int, column: str, value: int) -> None:
    """Fill in a reference to a row inserted after this one (a decision's `reversed_by`)."""
    await conn.execute(update(table).where(table.c.id == row_id).values({column: value}))


async def insert_row(conn: AsyncConnection, table: Table, values: Mapping[str, Any]) -> int | None:
    """Insert one row; the id the database gave it when it numbers the table's rows, else None."""
    if not has_surrogate_id(table):
        await conn.execute(insert(table).values(**values))
        return None
    result = await conn.execute(insert(table).values(**values).returning(table.c.id))
    return int(result.scalar_one())
