"""Configured moderators of a workspace: members, roles or user groups named by a moderator."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.requests import Identity
from bot.shared import Shared
from bot.store.db import reading
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
        self._subjects: dict[tuple[str, str], tuple[float, Shared[frozenset[str]]]] = {}
        self._refreshing: dict[tuple[str, str], asyncio.Future[None]] = {}

    def known(self, identity: Identity) -> bool | None:
        """The answer without waiting whenever a list for the workspace has been read, else None: a
        plain call, because the dispatcher asks on every press of a burst. A list older than `ttl` is
        still used while a fresh one is read in the background (one read, however many presses)."""
        if identity.is_moderator:
            return True
        subjects = self._current(identity.platform, identity.workspace)
        if subjects is None:
            return None
        return identity.user_id in subjects or any(role in subjects for role in identity.roles)

    async def is_moderator(self, identity: Identity) -> bool:
        found = self.known(identity)
        if found is not None:
            return found
        subjects = await self.subjects(identity.platform, identity.workspace)
        return identity.user_id in subjects or any(role in subjects for role in identity.roles)

    def _current(self, platform: str, workspace: str) -> frozenset[str] | None:
        key = (platform, workspace)
        cached = self._subjects.get(key)
        if cached is None:
            return None
        read_at, shared = cached
        task = shared.future
        if not task.done():
            return None
        if task.exception() is not None:
            del self._subjects[key]
            return None
        if self.clock() - read_at >= self.ttl and key not in self._refreshing:
            self._refreshing[key] = asyncio.ensure_future(self._refresh(platform, workspace))
        return task.result()

    async def _refresh(self, platform: str, workspace: str) -> None:
        key = (platform, workspace)
        try:
            task = asyncio.ensure_future(self._load(platform, workspace))
            await task
            self._subjects[key] = (self.clock(), Shared(task))
        except Exception:  # keep the old list; the next command tries again
            pass
        finally:
            self._refreshing.pop(key, None)

    async def subjects(self, platform: str, workspace: str) -> frozenset[str]:
        """One query per workspace, however many commands arrive at once: a burst of presses waits on
        the one lookup in flight instead of each starting its own."""
        current = self._current(platform, workspace)
        if current is not None:
            return current
        key = (platform, workspace)
        cached = self._subjects.get(key)
        if cached is None:
            loading = asyncio.ensure_future(self._load(platform, workspace))
            cached = self._subjects[key] = (self.clock(), Shared(loading))
        return await cached[1].wait()

    async def _load(self, platform: str, workspace: str) -> frozenset[str]:
        async with reading(self.engine) as conn:
            return frozenset(await moderator_subjects(conn, platform, workspace))

    def forget(self, platform: str, workspace: str) -> None:
        """Called after a moderator is added or removed: the next command reads the list afresh."""
        self._subjects.pop((platform, workspace), None)
        refresh = self._refreshing.pop((platform, workspace), None)
        if refresh is not None:
            refresh.cancel()  # it may have read the list before the change
