"""Member profiles, one per (platform, workspace, user)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.requests import Identity
from bot.store.schema import members, metadata


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    platform: str
    workspace: str
    user_id: str
    display_name: str
    timezone: str | None
    target_exam: str | None
    role: str | None
    years: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


def _where(identity: Identity):  # type: ignore[no-untyped-def]
    return (
        (members.c.platform == identity.platform)
        & (members.c.workspace == identity.workspace)
        & (members.c.user_id == identity.user_id)
    )


async def find(conn: AsyncConnection, identity: Identity) -> Member | None:
    row = (await conn.execute(select(members).where(_where(identity)))).mappings().first()
    return Member(**row) if row else None


async def by_id(conn: AsyncConnection, member_id: int) -> Member | None:
    """A member by row id, for work done without a request (a mock ended on time by a scheduler)."""
    row = (await conn.execute(select(members).where(members.c.id == member_id))).mappings().first()
    return Member(**row) if row else None


async def ensure(conn: AsyncConnection, identity: Identity, now: dt.datetime) -> Member:
    """The member's row, created on first sight; safe when two requests race to create it."""
    found = await find(conn, identity)
    if found is not None:
        return found
    values = {
        "platform": identity.platform,
        "workspace": identity.workspace,
        "user_id": identity.user_id,
        "display_name": identity.user_name[:200],
        "created_at": now,
        "updated_at": now,
    }
    try:
        async with conn.begin_nested():
            await conn.execute(insert(members).values(**values))
    except IntegrityError:
        pass  # another request created it first; read theirs
    member = await find(conn, identity)
    assert member is not None
    return member


async def update_profile(conn: AsyncConnection, member_id: int, now: dt.datetime, **changes: object) -> None:
    allowed = {"timezone", "target_exam", "role", "years", "display_name"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    await conn.execute(update(members).where(members.c.id == member_id).values(updated_at=now, **changes))


def member_tables() -> tuple[Table, ...]:
    """The tables that hold a member's own rows: every table with a foreign key to `members.id`, read
    from the schema so a new table joins the list by declaring its key. `delete_member` empties them
    through ON DELETE CASCADE and `/profile export` reads them; one list for both."""
    return tuple(
        table
        for table in metadata.sorted_tables
        if any(fk.column is members.c.id for fk in table.foreign_keys) and table is not members
    )


async def member_rows(conn: AsyncConnection, member_id: int) -> dict[str, list[dict[str, object]]]:
    """Every row of the member and of `member_tables()` that belongs to them, by table, in key order."""
    found: dict[str, list[dict[str, object]]] = {}
    profile = (await conn.execute(select(members).where(members.c.id == member_id))).mappings().all()
    found[members.name] = [dict(row) for row in profile]
    for table in member_tables():
        (owner,) = [fk.parent for fk in table.foreign_keys if fk.column is members.c.id]
        query = select(table).where(owner == member_id).order_by(*table.primary_key.columns)
        found[table.name] = [dict(row) for row in (await conn.execute(query)).mappings()]
    return found


async def delete_member(conn: AsyncConnection, identity: Identity) -> bool:
    """Delete the member and, through cascading foreign keys, everything stored about them (the rows
    of `member_tables()`)."""
    result = await conn.execute(delete(members).where(_where(identity)))
    return bool(result.rowcount)
