"""Claim-once keys: the first to insert a key does the work, everyone else sees it was done."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import claims


async def claim(conn: AsyncConnection, key: str, now: dt.datetime) -> bool:
    """Insert `key`; True when this call claimed it, False when someone already had."""
    values = {"key": key, "claimed_at": now}
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(claims).values(**values).on_conflict_do_nothing(index_elements=["key"])
    result = await conn.execute(stmt)
    return bool(result.rowcount)


async def forget(conn: AsyncConnection, prefix: str, before: dt.datetime) -> int:
    """Drop claims under `prefix` taken before `before` (ones whose memory has expired)."""
    result = await conn.execute(delete(claims).where(claims.c.key.like(prefix + "%") & (claims.c.claimed_at < before)))
    return int(result.rowcount or 0)


async def is_claimed(conn: AsyncConnection, key: str) -> bool:
    return (await conn.execute(select(claims.c.key).where(claims.c.key == key))).first() is not None
