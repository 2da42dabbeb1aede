"""Claim-once keys: the first to insert a key does the work, everyone else sees it was done."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.compiled import CompiledSqlite
from bot.store.db import LoopSqlite
from bot.store.schema import claims

KEY_LENGTH = 200  # claims.key is String(200)


def _insert(conn: AsyncConnection) -> Any:
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(claims)


async def claim(conn: AsyncConnection, key: str, now: dt.datetime, result: str | None = None) -> bool:
    """Insert `key` (with what the claimer did, if it says); True when this call claimed it, False
    when someone already had."""
    stmt = _insert(conn).values(key=key, claimed_at=now, result=result).on_conflict_do_nothing(index_elements=["key"])
    inserted = await conn.execute(stmt)
    return bool(inserted.rowcount)


async def claim_many(conn: AsyncConnection, rows: Sequence[tuple[str, dt.datetime]]) -> set[str]:
    """Insert every `(key, claimed_at)`; the keys this call claimed (the others were already taken).

    One cached `INSERT … ON CONFLICT DO NOTHING RETURNING key` executed for all rows, which SQLAlchemy
    sends as a few multi-row statements ("insertmanyvalues"); a statement built with every row in
    `.values()` is compiled anew each time instead, and took 1.2-1.9 s for 10,000 keys against
    0.07-0.5 s. Keys go in sorted: two PostgreSQL transactions inserting keys that overlap then wait
    for each other in the same order and never deadlock. Keys must be distinct.
    """
    if not rows:
        return set()
    stmt = _insert(conn).on_conflict_do_nothing(index_elements=["key"]).returning(claims.c.key)
    result = await conn.execute(stmt, [{"key": key, "claimed_at": at} for key, at in sorted(rows)])
    return set(result.scalars())


_SQLITE_TAKEN = CompiledSqlite(select(claims.c.key).where(claims.c.key.in_(bindparam("keys", expanding=True))))
_SQLITE_CLAIM = CompiledSqlite(insert(claims).prefix_with("OR IGNORE"), columns=("key", "claimed_at")).expect(
    ("key", "claimed_at")
)


class SqliteClaims:
    """`claim_many` for a SQLite file on a plain `sqlite3` connection, run on the event loop's thread.

    The answer writer's reasoning (`bot.practice.writer.SqliteBatches`), for the delivery ledger's
    batches: a batch of claims costs its own CPU instead of an aiosqlite thread hop per statement and
    SQLAlchemy's per-row work (10 batches of 1,000 keys: 206 ms and 79 ms of CPU against 302 ms and
    110 ms through the engine, medians of 6 alternating runs on a busy 2-core machine). The connection
    and its retries while the database is busy are `bot.store.db.LoopSqlite`'s. Under `BEGIN IMMEDIATE` the read
    of taken keys and the insert of the others are one atomic step, as `INSERT … ON CONFLICT DO
    NOTHING RETURNING` is on PostgreSQL.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sqlite = LoopSqlite(path)

    async def claim_many(self, rows: Sequence[tuple[str, dt.datetime]]) -> set[str]:
        """The keys of `rows` this call claimed; keys must be distinct."""
        if not rows:
            return set()
        return await self._sqlite.run(lambda db: self._claim(db, rows))

    def close(self) -> None:
        self._sqlite.close()

    def _claim(self, db: sqlite3.Connection, rows: Sequence[tuple[str, dt.datetime]]) -> set[str]:
        keys = [key for key, _at in rows]
        db.execute("BEGIN IMMEDIATE")
        try:
            taken = {row[0] for row in db.execute(_SQLITE_TAKEN.sized(len(keys)), keys)}
            new = [(key, at) for key, at in rows if key not in taken]
            if new:
                db.executemany(_SQLITE_CLAIM.sql, _SQLITE_CLAIM.rows(new))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.rollback()
            raise
        return {key for key, _at in new}


def _under(prefix: str) -> Any:
    """Keys that start with `prefix`, as a range the primary key's index serves (LIKE would scan:
    SQLite's LIKE is case-insensitive, so it cannot use the key's binary-ordered index)."""
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return (claims.c.key >= prefix) & (claims.c.key < end)


async def forget(conn: AsyncConnection, prefix: str, before: dt.datetime, *, limit: int | None = None) -> int:
    """Drop claims under `prefix` taken before `before` (ones whose memory has expired), at most
    `limit` of them, so a caller can keep each transaction short; the number dropped."""
    expired = _under(prefix) & (claims.c.claimed_at < before)
    if limit is None:
        result = await conn.execute(delete(claims).where(expired))
    else:
        oldest = select(claims.c.key).where(expired).limit(limit)
        result = await conn.execute(delete(claims).where(claims.c.key.in_(oldest)))
    return int(result.rowcount or 0)


async def is_claimed(conn: AsyncConnection, key: str) -> bool:
    return (await conn.execute(select(claims.c.key).where(claims.c.key == key))).first() is not None


async def claimed(conn: AsyncConnection, key: str) -> tuple[dt.datetime, str | None] | None:
    """When `key` was claimed and the result stored with it; None when nobody has claimed it."""
    row = (await conn.execute(select(claims.c.claimed_at, claims.c.result).where(claims.c.key == key))).first()
    return None if row is None else (row.claimed_at, row.result)


async def last_claimed(conn: AsyncConnection, prefix: str, result: str) -> dt.datetime | None:
    """The latest claim time under `prefix` among claims stored with `result`; None when there is none."""
    latest = select(func.max(claims.c.claimed_at)).where(_under(prefix) & (claims.c.result == result))
    value: dt.datetime | None = (await conn.execute(latest)).scalar_one_or_none()
    return value


RESTORED = "db:restored"
"""The claim `studybot db restore` writes: when the database was last put back from a backup."""


_upsert = sqlite.insert(claims)
_SQLITE_RESTORED = CompiledSqlite(
    _upsert.on_conflict_do_update(
        index_elements=["key"], set_={"claimed_at": _upsert.excluded.claimed_at, "result": _upsert.excluded.result}
    ),
    columns=("key", "claimed_at", "result"),
).expect(("key", "claimed_at", "result"))


def mark_restored(path: Path, now: dt.datetime, source: str) -> None:
    """Note in a just-restored SQLite file when it was restored, so the deliverer does not post again a
    run that may have gone out after the backup was taken (`restored_at`). A backup older than the
    claims table (none exists) has nothing to guard yet and is left as it is."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'claims'").fetchone() is None:
            return
        with db:
            db.execute(_SQLITE_RESTORED.sql, _SQLITE_RESTORED.rows([(RESTORED, now, source[:500])])[0])


async def restored_at(conn: AsyncConnection) -> dt.datetime | None:
    """When the database was last restored from a backup (None: never)."""
    found = await conn.execute(select(claims.c.claimed_at).where(claims.c.key == RESTORED))
    return found.scalar_one_or_none()
