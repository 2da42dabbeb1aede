"""Seasons repository: start one (storing every member's totals at that moment) and find the current one.

A season's standings are each member's all-time totals now less their totals when it started, so
starting a season deletes and resets nothing, and the board reads a handful of rows per member
whatever the history holds (see `practice.leaderboard`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import member_totals, members, season_baselines, seasons


@dataclass(frozen=True, slots=True)
class Season:
    id: int
    name: str
    started_at: dt.datetime
    started_by: str


async def start(
    conn: AsyncConnection, platform: str, workspace: str, name: str, started_by: str, now: dt.datetime
) -> Season:
    """A new current season from `now`, in the caller's transaction (so the answers committed before it
    count before it, and the ones after in it, with no answer in both or neither)."""
    season_id = (
        await conn.execute(
            insert(seasons)
            .values(platform=platform, workspace=workspace, name=name, started_at=now, started_by=started_by)
            .returning(seasons.c.id)
        )
    ).scalar_one()
    t = member_totals.c
    here = (members.c.platform == platform) & (members.c.workspace == workspace) & (t.exam != "")
    totals = (
        select(literal(season_id), t.member_id, t.exam, func.sum(t.answered), func.sum(t.correct))
        .select_from(members.join(member_totals, t.member_id == members.c.id))
        .where(here)
        .group_by(t.member_id, t.exam)
    )
    columns = ["season_id", "member_id", "exam", "answered", "correct"]
    await conn.execute(insert(season_baselines).from_select(columns, totals))
    return Season(int(season_id), name, now, started_by)


async def current(conn: AsyncConnection, platform: str, workspace: str) -> Season | None:
    """The workspace's newest season, or None when none was ever started."""
    found = await earlier(conn, platform, workspace, limit=1)
    return found[0] if found else None


async def earlier(conn: AsyncConnection, platform: str, workspace: str, limit: int = 10) -> list[Season]:
    """The workspace's seasons, newest first."""
    rows = await conn.execute(
        select(seasons.c.id, seasons.c.name, seasons.c.started_at, seasons.c.started_by)
        .where((seasons.c.platform == platform) & (seasons.c.workspace == workspace))
        .order_by(seasons.c.id.desc())
        .limit(limit)
    )
    return [Season(int(i), n, at, by) for i, n, at, by in rows.all()]
