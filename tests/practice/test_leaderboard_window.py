"""`/leaderboard period:week` and `period:month` are whole UTC days ending today, added up from the
stored daily counts, so a board never reads answers one by one however many are stored (issue 14:
a window that began at this minute a week ago read its first day's answers and grew about 10x from
10,000 to 1,000,000 stored answers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.practice.stats import window_start
from bot.runtime import Runtime
from tests.conftest import make_settings, person
from tests.practice.test_flows import correct_letter, practice_single, press

MONDAY = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)


def test_a_window_is_whole_utc_days_ending_today() -> None:
    assert window_start(MONDAY, dt.timedelta(days=7)) == dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    assert window_start(MONDAY, dt.timedelta(days=30)) == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    berlin_morning = dt.datetime(2026, 12, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))  # 23:30 UTC
    assert window_start(berlin_morning, dt.timedelta(days=7)) == dt.datetime(2026, 11, 24, tzinfo=dt.UTC)


async def test_the_week_board_counts_whole_days_and_reads_no_answers(database_url: str, catalog: Catalog) -> None:
    clock = FixedClock(dt.datetime(2026, 11, 23, 23, 59, tzinfo=dt.UTC))  # the day before the window
    ada, bob = person(), person("bob")
    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        core = rt.core
        question = await practice_single(core, ada)
        await press(core, ada, question, correct_letter(core, question))  # outside the week
        clock.set(dt.datetime(2026, 11, 24, 0, 1, tzinfo=dt.UTC))  # the window's first minute
        for who in (ada, bob, bob):
            question = await practice_single(core, who)
            await press(core, who, question, correct_letter(core, question))
        clock.set(MONDAY)
        statements: list[str] = []

        @event.listens_for(rt.services.engine.sync_engine, "before_cursor_execute")
        def seen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
            statements.append(statement)

        board = await core.handle_line(ada, "/leaderboard period:week")
        assert board.text.splitlines() == ["1. **Bob**: 2 correct of 2", "2. **Ada**: 1 correct of 1"]
        assert board.footer is not None and "Counted from Tue 24 Nov (UTC days)." in board.footer
        assert not [s for s in statements if "practice_answers" in s], statements
        everything = await core.handle_line(ada, "/leaderboard period:all")
        assert everything.text.splitlines()[0] in ("1. **Ada**: 2 correct of 2", "1. **Bob**: 2 correct of 2")
