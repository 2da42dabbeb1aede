"""Configured moderators of a workspace: members, roles or user groups named by a moderator."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.requests import Identity
from bot.store.schema import moderators


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


class ModeratorCache:
    """Who is a moderator, without a query on every typed command.

    Platform-granted moderators (Manage Server, Slack admins, the local console user) come with the
    identity. Configured ones are read once per workspace and kept for `ttl`; a change made in this
    process clears its workspace at once, and the time limit bounds how long another process sharing
    the database may act on an old list.
    """

    def __init__(self, engine: AsyncEngine, clock: Callable[[], float] = time.monotonic, ttl: float = 30.0) -> None:
        self.engine = engine
        self.clock = clock
        self.ttl = ttl
        self._subjects: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}

    async def is_moderator(self, identity: Identity) -> bool:
        if identity.is_moderator:
            return True
        subjects = await self.subjects(identity.platform, identity.workspace)
        return identity.user_id in subjects or any(role in subjects for role in identity.roles)

    async def subjects(self, platform: str, workspace: str) -> frozenset[str]:
        key = (platform, workspace)
        cached = self._subjects.get(key)
        now = self.clock()
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        async with self.engine.connect() as conn:
            found = frozenset(await moderator_subjects(conn, platform, workspace))
        self._subjects[key] = (now, found)
        return found

    def forget(self, platform: str, workspace: str) -> None:
        """Called after a moderator is added or removed."""
        self._subjects.pop((platform, workspace), None)
