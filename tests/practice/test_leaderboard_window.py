"""`/leaderboard period:week` and `period:month` count the calendar week (from Monday, UTC) and month,
read from one stored row per member and period, so a board never reads answers, nor a row per day,
however many are stored (issue 14: a rolling window added up a row per member and day, and grew about
30x from 10,000 to 1,000,000 stored answers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, insert

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.practice.stats import period_of
from bot.runtime import Runtime
from bot.store import create_engine, upgrade
from bot.store import practice as practice_store
from bot.store.db import reading
from bot.store.schema import members
from tests.conftest import make_settings, person
from tests.practice.test_flows import correct_letter, practice_single, press

SUNDAY_NIGHT = dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC)


def test_a_period_is_the_calendar_week_or_month_in_utc() -> None:
    assert period_of(SUNDAY_NIGHT, "week") == ("week", dt.date(2026, 11, 30))
    assert period_of(SUNDAY_NIGHT, "month") == ("month", dt.date(2026, 12, 1))
    assert period_of(SUNDAY_NIGHT, "all") is None
    monday_in_berlin = dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))  # 23:30 UTC Sun
    assert period_of(monday_in_berlin, "week") == ("week", dt.date(2026, 11, 30))
    assert period_of(dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC), "week") == ("week", dt.date(2026, 12, 7))


async def test_the_week_board_counts_this_week_from_one_row_per_member(database_url: str, catalog: Catalog) -> None:
    clock = FixedClock(dt.datetime(2026, 11, 29, 23, 59, tzinfo=dt.UTC))  # the Sunday before the week
    ada, bob = person(), person("bob")
    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        core = rt.core
        question = await practice_single(core, ada)
        await press(core, ada, question, correct_letter(core, question))  # last week, and November
        clock.set(dt.datetime(2026, 11, 30, 0, 1, tzinfo=dt.UTC))  # Monday's first minute: this week, November
        for who in (ada, bob):
            question = await practice_single(core, who)
            await press(core, who, question, correct_letter(core, question))
        clock.set(dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC))  # Wednesday: this week, December
        question = await practice_single(core, bob)
        await press(core, bob, question, correct_letter(core, question))
        clock.set(SUNDAY_NIGHT)
        statements: list[str] = []

        @event.listens_for(rt.services.engine.sync_engine, "before_cursor_execute")
        def seen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
            statements.append(statement)

        week = await core.handle_line(ada, "/leaderboard period:week")
        assert week.title == "Leaderboard · this week"
        assert week.text.splitlines() == ["1. **Bob**: 2 correct of 2", "2. **Ada**: 1 correct of 1"]
        assert week.footer is not None and "Counted since Mon 30 Nov (UTC)." in week.footer
        month = await core.handle_line(ada, "/leaderboard period:month")
        assert month.text.splitlines() == ["1. **Bob**: 1 correct of 1"]  # December's one answer
        assert month.footer is not None and "Counted since Tue 01 Dec (UTC)." in month.footer
        assert not [s for s in statements if "practice_answers" in s or "member_days" in s], statements
        everything = await core.handle_line(ada, "/leaderboard period:all")
        assert everything.text.splitlines()[0] in ("1. **Ada**: 2 correct of 2", "1. **Bob**: 2 correct of 2")
        clock.set(dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC))  # next Monday: a new week starts empty
        fresh = await core.handle_line(ada, "/leaderboard")
        assert fresh.text == "No answers in this period yet. `/practice` to get on the board."


async def test_the_board_finds_this_weeks_rows_by_period_not_by_reading_every_period_kept(database_url: str) -> None:
    """A year of weeks stored, and this week's rows looked up by their period (issue 14): through the
    primary key (member first) PostgreSQL read `member_periods` whole to find them, 120,000 rows for this
    week's 198 at 1,000,000 stored answers, so the board grew with the history."""
    monday = dt.date(2026, 11, 30)
    created = dt.datetime(2025, 11, 1, tzinfo=dt.UTC)
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            await conn.execute(
                insert(members),
                [
                    {"id": n + 1, "platform": "console", "workspace": "w1", "user_id": f"u{n}",
                     "display_name": f"Member {n}", "created_at": created, "updated_at": created}
                    for n in range(200)
                ],
            )  # fmt: skip
            tallies = [
                (n + 1, "SAA-C03", "Design Secure Architectures", "q1", (n + week) % 3 != 0, at)
                for week in range(52)
                for at in [dt.datetime.combine(monday - dt.timedelta(weeks=week), dt.time(12), dt.UTC)]
                for n in range(20 if week == 0 else 200)  # this week: 20 members; before: all 200
            ]
            await practice_store.count_answers(conn, tallies)
        async with engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
        sent: list[tuple[str, Any]] = []

        def seen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
            sent.append((statement, params))

        event.listen(engine.sync_engine, "before_cursor_execute", seen)
        async with reading(engine) as conn:
            board = await practice_store.leaderboard(conn, "console", "w1", ("week", monday), user_id="u15", top=10)
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
        assert [(s.correct, s.answered) for s in board.top] == [(1, 1)] * 10
        assert [s.display_name for s in board.top][:3] == ["Member 1", "Member 10", "Member 11"]  # ties by name
        # 13 of the 20 answered right this week; the seven who did not by name: 0, 12, 15, ...
        assert board.mine is not None and board.mine[0] == 16 and board.mine[1].correct == 0
        ((statement, params),) = [(s, p) for s, p in sent if "member_periods" in s]
        postgres = engine.dialect.name == "postgresql"
        async with engine.connect() as conn:
            explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            plan = "\n".join(str(row[-1]) for row in (await conn.exec_driver_sql(explain + statement, params)).all())
        assert ("Seq Scan on member_periods" if postgres else "SCAN member_periods") not in plan, plan
    finally:
        await engine.dispose()
