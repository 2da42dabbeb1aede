"""Scheduled prompt definitions: create, change, pause after failures. Bound parameters only."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import schedules


@dataclass(frozen=True, slots=True)
class Schedule:
    id: int
    platform: str
    workspace: str
    channel: str
    exam: str
    cron: str
    timezone: str
    reveal_minutes: int
    domain: str | None
    difficulty: str | None
    paused: bool
    pause_reason: str | None
    failures: int
    active_from: dt.datetime
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    focus: str = "weighted"  # weakest | weighted | even, when `domain` is not set (bot/schedule/focus.py)
    kind: str = "prompt"
    """`prompt` (a practice question) or `digest` (the group's week, issue 18)."""

    def public(self) -> dict[str, object]:
        """What the audit log keeps of a schedule: its configuration, not its counters."""
        if self.kind == "digest":
            keep: tuple[str, ...] = ("kind", "channel", "cron", "timezone", "paused")
        else:
            keep = ("channel", "exam", "cron", "timezone", "reveal_minutes", "domain", "difficulty", "focus", "paused")
        return {k: v for k, v in asdict(self).items() if k in keep}


# The table's columns in the dataclass's field order, so rows build schedules positionally: a delivery
# pass reads every active schedule, and building each from a mapping was half of an idle pass.
_COLUMNS = select(*(schedules.c[f.name] for f in fields(Schedule)))


async def get(conn: AsyncConnection, schedule_id: int) -> Schedule | None:
    row = (await conn.execute(select(schedules).where(schedules.c.id == schedule_id))).mappings().first()
    return Schedule(**row) if row else None


async def in_workspace(conn: AsyncConnection, platform: str, workspace: str, kind: str = "prompt") -> list[Schedule]:
    """A workspace's schedules of one kind (prompt schedules unless told), oldest first."""
    rows = await conn.execute(
        select(schedules)
        .where((schedules.c.platform == platform) & (schedules.c.workspace == workspace) & (schedules.c.kind == kind))
        .order_by(schedules.c.id)
    )
    return [Schedule(**r) for r in rows.mappings()]


async def active(conn: AsyncConnection) -> list[Schedule]:
    """Every schedule not paused, of either kind: the scheduler wakes for both."""
    rows = await conn.execute(_COLUMNS.where(schedules.c.paused.is_(False)).order_by(schedules.c.id))
    return [Schedule(*row) for row in rows]


async def create(conn: AsyncConnection, now: dt.datetime, **values: object) -> Schedule:
    result = await conn.execute(
        insert(schedules)
        .values(paused=False, failures=0, active_from=now, created_at=now, updated_at=now, **values)
        .returning(schedules.c.id)
    )
    found = await get(conn, int(result.scalar_one()))
    assert found is not None
    return found


async def change(conn: AsyncConnection, schedule_id: int, now: dt.datetime, **values: object) -> Schedule:
    await conn.execute(update(schedules).where(schedules.c.id == schedule_id).values(updated_at=now, **values))
    found = await get(conn, schedule_id)
    assert found is not None
    return found


async def remove(conn: AsyncConnection, schedule_id: int) -> None:
    await conn.execute(delete(schedules).where(schedules.c.id == schedule_id))


async def record_failure(conn: AsyncConnection, schedule_id: int, pause_after: int, reason: str) -> bool:
    """Count a permanent failure; True when this one paused the schedule."""
    current = await get(conn, schedule_id)
    if current is None or current.paused:
        return False
    failures = current.failures + 1
    pause = failures >= pause_after
    await conn.execute(
        update(schedules)
        .where(schedules.c.id == schedule_id)
        .values(failures=failures, paused=pause, pause_reason=reason if pause else current.pause_reason)
    )
    return pause


async def record_success(conn: AsyncConnection, schedule_id: int) -> None:
    await conn.execute(
        update(schedules).where((schedules.c.id == schedule_id) & (schedules.c.failures != 0)).values(failures=0)
    )
