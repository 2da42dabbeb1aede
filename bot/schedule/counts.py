"""Keeping each group prompt's "N answered" current without an edit per press."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.schedule.ports import PostResult
from bot.schedule.prompts import build_prompt, delivery
from bot.schedule.sending import Sender
from bot.services import Services
from bot.store.db import reading

log = logging.getLogger(__name__)


class CountUpdater:
    """One edit per message is in flight at a time; presses that arrive meanwhile are folded into one
    more edit after it. `flush` waits for all of them (the runtime calls it before closing)."""

    def __init__(self, svc: Services, sender: Sender) -> None:
        self.svc = svc
        self.sender = sender
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._dirty: set[int] = set()

    def touch(self, delivery_id: int) -> None:
        self._dirty.add(delivery_id)
        if delivery_id not in self._tasks:
            self._tasks[delivery_id] = asyncio.create_task(self._run(delivery_id), name=f"prompt-count-{delivery_id}")

    async def _run(self, delivery_id: int) -> None:
        try:
            while delivery_id in self._dirty:
                self._dirty.discard(delivery_id)
                await self._edit(delivery_id)
        except Exception:
            log.exception("updating the answer count of prompt %s failed", delivery_id)
        finally:
            self._tasks.pop(delivery_id, None)

    async def _edit(self, delivery_id: int) -> PostResult | None:
        async with reading(self.svc.engine) as conn:
            row = await delivery(conn, delivery_id)
        message_id = row.message_id
        if not message_id:
            return None
        reply = await build_prompt(self.svc, delivery_id, self.svc.clock.now())
        return await self.sender.send(
            row.platform, row.channel, lambda poster: poster.edit(row.workspace, row.channel, message_id, reply)
        )

    async def flush(self) -> None:
        while self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.gather(*list(self._tasks.values()))
