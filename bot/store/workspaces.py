"""Per-workspace settings and each channel's group target (the exam a study group aims at)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import group_targets, workspace_settings


@dataclass(frozen=True, slots=True)
class WorkspaceSettings:
    timezone: str | None = None
    reveal_minutes: int | None = None
    mention_role: str | None = None
    group_stats_members: bool = False  # members, not only moderators, may see `/stats channel:`


@dataclass(frozen=True, slots=True)
class GroupTarget:
    exam: str
    exam_date: dt.date


async def get_settings(conn: AsyncConnection, platform: str, workspace: str) -> WorkspaceSettings:
    row = (
        (
            await conn.execute(
                select(
                    workspace_settings.c.timezone,
                    workspace_settings.c.reveal_minutes,
                    workspace_settings.c.mention_role,
                    workspace_settings.c.group_stats_members,
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
