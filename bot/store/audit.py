"""The audit log: who changed what, with the value before and after, for `/studyadmin audit`."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import audit_log


@dataclass(frozen=True, slots=True)
class AuditEntry:
    actor_name: str
    action: str
    target: str
    before: str | None
    after: str | None
    at: dt.datetime


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


async def entries_about(conn: AsyncConnection, platform: str, workspace: str, user_id: str) -> list[dict[str, object]]:
    """The entries a member made or that name them as their target (made a moderator, …), oldest first;
    what `/profile export` shows. They are the workspace's history, so `/profile delete` keeps them."""
    place = (audit_log.c.platform == platform) & (audit_log.c.workspace == workspace)
    about = (audit_log.c.actor_id == user_id) | (audit_log.c.target == user_id)
    rows = await conn.execute(select(audit_log).where(place & about).order_by(audit_log.c.at, audit_log.c.id))
    return [dict(row) for row in rows.mappings()]
