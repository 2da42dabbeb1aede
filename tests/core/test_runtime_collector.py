"""The runtime tunes the garbage collector for bursts while it runs and leaves it as it found it."""

from __future__ import annotations

import gc

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.runtime import GC_THRESHOLDS, Runtime
from tests.conftest import START, make_settings


async def test_thresholds_while_running_and_restored_after(sqlite_url: str, catalog: Catalog) -> None:
    before = gc.get_threshold()
    assert before != GC_THRESHOLDS
    async with Runtime(make_settings(sqlite_url), clock=FixedClock(START), catalog=catalog):
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > 0  # start-up objects out of the collector's reach
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
