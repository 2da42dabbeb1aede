"""Schedules, moderators, workspace settings, group targets and the audit log. Bound parameters only."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import audit_log, group_targets, moderators, schedules, workspace_settings


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

    def public(self) -> dict[str, object]:
        """What the audit log keeps of a schedule: its configuration, not its counters."""
        keep = ("channel", "exam", "cron", "timezone", "reveal_minutes", "domain", "difficulty", "paused")
        return {k: v for k, v in asdict(self).items() if k in keep}


@dataclass(frozen=True, slots=True)
class WorkspaceSettings:
    timezone: str | None = None
    reveal_minutes: int | None = None
    mention_role: str | None = None


@dataclass(frozen=True, slots=True)
class GroupTarget:
    exam: str
    exam_date: dt.date


@dataclass(frozen=True, slots=True)
class AuditEntry:
    actor_name: str
    action: str
    target: str
    before: str | None
    after: str | None
    at: dt.datetime


async def get(conn: AsyncConnection, schedule_id: int) -> Schedule | None:
    row = (await conn.execute(select(schedules).where(schedules.c.id == schedule_id))).mappings().first()
    return Schedule(**row) if row else None


async def in_workspace(conn: AsyncConnection, platform: str, workspace: str) -> list[Schedule]:
    rows = await conn.execute(
        select(schedules)
        .where((schedules.c.platform == platform) & (schedules.c.workspace == workspace))
        .order_by(schedules.c.id)
    )
    return [Schedule(**r) for r in rows.mappings()]


async def active(conn: AsyncConnection) -> list[Schedule]:
    rows = await conn.execute(select(schedules).where(schedules.c.paused.is_(False)).order_by(schedules.c.id))
    return [Schedule(**r) for r in rows.mappings()]


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


# -- moderators ------------------------------------------------------------------------------------


async def moderator_subjects(conn: AsyncConnection, platform: str, workspace: str) -> list[str]:
    rows = await conn.execute(
        select(moderators.c.subject)
        .where((moderators.c.platform == platform) & (moderators.c.workspace == workspace))
        .order_by(moderators.c.subject)
    )
    return list(rows.scalars())


async def add_moderator(
    conn: AsyncConnection, platform: str, workspace: str, subject: str, by: str, now: dt.datetime
) -> bool:
    if subject in await moderator_subjects(conn, platform, workspace):
        return False
    await conn.execute(
        insert(moderators).values(platform=platform, workspace=workspace, subject=subject, added_by=by, added_at=now)
    )
    return True


async def remove_moderator(conn: AsyncConnection, platform: str, workspace: str, subject: str) -> bool:
    result = await conn.execute(
        delete(moderators).where(
            (moderators.c.platform == platform)
            & (moderators.c.workspace == workspace)
            & (moderators.c.subject == subject)
        )
    )
    return bool(result.rowcount)


# -- workspace settings and group targets -----------------------------------------------------------


async def get_settings(conn: AsyncConnection, platform: str, workspace: str) -> WorkspaceSettings:
    row = (
        (
            await conn.execute(
                select(
                    workspace_settings.c.timezone,
                    workspace_settings.c.reveal_minutes,
                    workspace_settings.c.mention_role,
                ).where((workspace_settings.c.platform == platform) & (workspace_settings.c.workspace == workspace))
            )
        )
        .mappings()
        .first()
    )
    return WorkspaceSettings(**row) if row else WorkspaceSettings()


async def put_settings(
    conn: AsyncConnection, platform: str, workspace: str, values: WorkspaceSettings, now: dt.datetime
) -> None:
    where = (workspace_settings.c.platform == platform) & (workspace_settings.c.workspace == workspace)
    result = await conn.execute(update(workspace_settings).where(where).values(updated_at=now, **asdict(values)))
    if not result.rowcount:
        await conn.execute(
            insert(workspace_settings).values(platform=platform, workspace=workspace, updated_at=now, **asdict(values))
        )


def _target_where(platform: str, workspace: str, channel: str):  # type: ignore[no-untyped-def]
    return (
        (group_targets.c.platform == platform)
        & (group_targets.c.workspace == workspace)
        & (group_targets.c.channel == channel)
    )


async def get_target(conn: AsyncConnection, platform: str, workspace: str, channel: str) -> GroupTarget | None:
    row = (
        (
            await conn.execute(
                select(group_targets.c.exam, group_targets.c.exam_date).where(
                    _target_where(platform, workspace, channel)
                )
            )
        )
        .mappings()
        .first()
    )
    return GroupTarget(**row) if row else None


async def put_target(
    conn: AsyncConnection, platform: str, workspace: str, channel: str, target: GroupTarget, by: str, now: dt.datetime
) -> None:
    await conn.execute(delete(group_targets).where(_target_where(platform, workspace, channel)))
    await conn.execute(
        insert(group_targets).values(
            platform=platform,
            workspace=workspace,
            channel=channel,
            exam=target.exam,
            exam_date=target.exam_date,
            set_by=by,
            set_at=now,
        )
    )


# -- audit -----------------------------------------------------------------------------------------


def _dump(value: object) -> str | None:
    return None if value is None else json.dumps(value, default=str, sort_keys=True)


async def audit(
    conn: AsyncConnection,
    *,
    platform: str,
    workspace: str,
    actor_id: str,
    actor_name: str,
    action: str,
    target: str,
    before: object,
    after: object,
    now: dt.datetime,
) -> None:
    """Written in the same transaction as the change, so a change is never unaudited."""
    await conn.execute(
        insert(audit_log).values(
            platform=platform,
            workspace=workspace,
            actor_id=actor_id,
            actor_name=actor_name[:200],
            action=action,
            target=target[:200],
            before=_dump(before),
            after=_dump(after),
            at=now,
        )
    )


async def audit_entries(conn: AsyncConnection, platform: str, workspace: str, limit: int) -> list[AuditEntry]:
    rows = await conn.execute(
        select(
            audit_log.c.actor_name,
            audit_log.c.action,
            audit_log.c.target,
            audit_log.c.before,
            audit_log.c.after,
            audit_log.c.at,
        )
        .where((audit_log.c.platform == platform) & (audit_log.c.workspace == workspace))
        .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
        .limit(limit)
    )
    return [AuditEntry(**r) for r in rows.mappings()]
