"""Runtimes over a shared database for schedule tests (the recording poster is tests/fakes/posters.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.runtime import Runtime
from tests.conftest import make_settings
from tests.fakes.posters import FakePoster


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
