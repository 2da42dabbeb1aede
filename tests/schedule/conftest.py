"""A recording poster with scripted failures, and runtimes over a shared database for schedule tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.replies import Reply
from bot.runtime import Runtime
from bot.schedule.ports import PostOutcome, PostResult
from tests.conftest import make_settings


@dataclass
class FakePoster:
    """Remembers every post, edit and DM; `fail` decides an outcome per (channel) when set."""

    platform: str = "console"
    posts: list[tuple[str, str, Reply, str | None]] = field(default_factory=list)  # channel, id, reply, nonce
    edits: list[tuple[str, Reply]] = field(default_factory=list)
    dms: list[tuple[str, Reply]] = field(default_factory=list)
    fail: Callable[[str], PostResult | None] | None = None

    async def post(self, workspace: str, channel: str, reply: Reply, *, nonce: str | None = None) -> PostResult:
        if self.fail is not None and (failure := self.fail(channel)) is not None:
            return failure
        message_id = f"m{len(self.posts) + 1}"
        self.posts.append((channel, message_id, reply, nonce))
        return PostResult(PostOutcome.OK, message_id=message_id)

    async def edit(self, workspace: str, channel: str, message_id: str, reply: Reply) -> PostResult:
        self.edits.append((message_id, reply))
        return PostResult(PostOutcome.OK, message_id=message_id)

    async def direct_message(self, workspace: str, user_id: str, reply: Reply) -> PostResult:
        self.dms.append((user_id, reply))
        return PostResult(PostOutcome.OK)

    def titles(self) -> list[str | None]:
        return [reply.title for _c, _m, reply, _n in self.posts]


@asynccontextmanager
async def open_runtime(
    url: str, clock: FixedClock, catalog: Catalog, poster: FakePoster, **env: str
) -> AsyncIterator[Runtime]:
    """A runtime whose console platform posts to `poster`; the scheduler's wake-ups are not started."""
    async with Runtime(make_settings(url, **env), clock=clock, catalog=catalog) as rt:
        rt.services.posters.add(poster)
        yield rt


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)
