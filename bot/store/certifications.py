"""Held certifications, one row per (member, exam). Bound parameters only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import held_certifications, members


@dataclass(frozen=True, slots=True)
class HeldRow:
    id: int
    member_id: int
    exam: str
    passed_on: dt.date
    expires_on: dt.date
    added_at: dt.datetime


@dataclass(frozen=True, slots=True)
class HolderRow:
    """A held certification with what a reminder needs to reach its holder."""

    cert: HeldRow
    platform: str
    workspace: str
    user_id: str
    display_name: str
    timezone: str | None


async def for_member(conn: AsyncConnection, member_id: int) -> list[HeldRow]:
    """The member's certifications, soonest expiry first."""
    rows = await conn.execute(
        select(held_certifications)
        .where(held_certifications.c.member_id == member_id)
        .order_by(held_certifications.c.expires_on, held_certifications.c.exam)
    )
    return [HeldRow(**row) for row in rows.mappings()]


async def add(
    conn: AsyncConnection, member_id: int, exam: str, passed_on: dt.date, expires_on: dt.date, now: dt.datetime
) -> bool:
    """Insert one certification; False (and nothing written) when the member already holds that exam."""
    try:
        async with conn.begin_nested():
            await conn.execute(
                insert(held_certifications).values(
                    member_id=member_id, exam=exam, passed_on=passed_on, expires_on=expires_on, added_at=now
                )
            )
    except IntegrityError:
        return False
    return True


async def remove(conn: AsyncConnection, member_id: int, exam: str) -> bool:
    result = await conn.execute(
        delete(held_certifications).where(
            (held_certifications.c.member_id == member_id) & (held_certifications.c.exam == exam)
        )
    )
    return bool(result.rowcount)


async def with_holders(conn: AsyncConnection, member_ids: list[int] | None = None) -> list[HolderRow]:
    """Every certification (or those of `member_ids`) with its holder's address, for reminders."""
    query = select(
        held_certifications,
        members.c.platform,
        members.c.workspace,
        members.c.user_id,
        members.c.display_name,
        members.c.timezone,
    ).join(members, members.c.id == held_certifications.c.member_id)
    if member_ids is not None:
        query = query.where(held_certifications.c.member_id.in_(member_ids))
    rows = await conn.execute(query.order_by(held_certifications.c.member_id, held_certifications.c.exam))
    out: list[HolderRow] = []
    for row in rows.mappings():
        cert = HeldRow(
            id=row["id"],
            member_id=row["member_id"],
            exam=row["exam"],
            passed_on=row["passed_on"],
            expires_on=row["expires_on"],
            added_at=row["added_at"],
        )
        out.append(
            HolderRow(cert, row["platform"], row["workspace"], row["user_id"], row["display_name"], row["timezone"])
        )
    return out


async def members_expiring_between(conn: AsyncConnection, start: dt.date, end: dt.date) -> list[int]:
    """Members with a certification whose unrenewed expiry falls in [start, end]: reminder candidates.

    A renewal only ever moves expiry later, so a certification whose own date is past `end` cannot be due;
    one whose date is before `start` may have been extended, which is why the caller widens `start`.
    """
    rows = await conn.execute(
        select(held_certifications.c.member_id).where(held_certifications.c.expires_on.between(start, end)).distinct()
    )
    return [row[0] for row in rows]
