"""Seasons: `/studyadmin season start` gives `/leaderboard period:season` a fresh board from that
moment, and resets nothing: `period:all`, `/stats` and earlier seasons keep the whole history, across
a restart, on SQLite and PostgreSQL (issue 18)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.requests import Identity
from bot.runtime import Runtime
from bot.store.schema import season_baselines, seasons
from tests.conftest import make_settings, person
from tests.practice.test_flows import ERROR, correct_letter, practice_single, press

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
MOD = person("mo", moderator=True)


async def answer(core: Core, who: Identity, right: int, wrong: int = 0, exam: str = "SAA-C03") -> None:
    for n in range(right + wrong):
        question = await practice_single(core, who, exam)
        letter = correct_letter(core, question)
        if n >= right:
            letter = next(b.label for b in question.buttons if b.label != letter)
        await press(core, who, question, letter)


async def lines(core: Core, who: Identity, command: str) -> list[str]:
    return (await core.handle_line(who, command)).text.splitlines()


async def test_a_season_counts_from_its_start_and_resets_nothing(database_url: str, catalog: Catalog) -> None:
    clock = FixedClock(START)
    ada, bob = person(), person("bob")
    settings = make_settings(database_url)
    async with Runtime(settings, clock=clock, catalog=catalog) as rt:
        core = rt.core
        none_yet = await core.handle_line(ada, "/leaderboard period:season")
        assert "No season has started here yet" in none_yet.text
        await answer(core, ada, right=3, wrong=1)
        clock.advance(dt.timedelta(days=3))
        started = await core.handle_line(MOD, '/studyadmin season start name:"Spring 2027"')
        assert started.title == "Season started" and "Nothing was reset" in started.text
        clock.advance(dt.timedelta(hours=1))
        await answer(core, bob, right=2)
        await answer(core, ada, right=1, wrong=1)
        await answer(core, ada, right=1, exam="CLF-C02")
        season = await core.handle_line(ada, "/leaderboard period:season")
        assert season.title == "Leaderboard · season Spring 2027"
        # Equal correct answers: fewer tries first.
        assert season.text.splitlines() == ["1. **Bob**: 2 correct of 2", "2. **Ada**: 2 correct of 3"]
        assert season.footer is not None and "since the season began on Thu 05 Nov 2026" in season.footer
        assert await lines(core, ada, "/leaderboard period:season exam:SAA-C03") == [
            "1. **Bob**: 2 correct of 2",
            "2. **Ada**: 1 correct of 2",
        ]
        everything = ["1. **Ada**: 5 correct of 7", "2. **Bob**: 2 correct of 2"]
        assert await lines(core, ada, "/leaderboard period:all") == everything
        stats = {f.name: f.value for f in (await core.handle_line(ada, "/stats")).fields}
        assert stats["Answered"].startswith("7 ")  # the member's whole history

    # A restart keeps the season; a second season starts empty and the first stays listed.
    async with Runtime(settings, clock=clock, catalog=catalog) as rt:
        core = rt.core
        assert (await core.handle_line(bob, "/leaderboard period:season")).text.splitlines()[0] == (
            "1. **Bob**: 2 correct of 2"
        )
        clock.advance(dt.timedelta(days=1))
        again = await core.handle_line(MOD, '/studyadmin season start name:"spring 2027"')
        assert again.title == ERROR and "is already the current one" in again.text
        second = await core.handle_line(MOD, "/studyadmin season start name:Summer")
        assert "Season **Spring 2027** has ended" in second.text
        assert "No answers in this period yet" in (await core.handle_line(ada, "/leaderboard period:season")).text
        await answer(core, bob, right=1)
        assert await lines(core, ada, "/leaderboard period:season") == ["1. **Bob**: 1 correct of 1"]
        assert await lines(core, ada, "/leaderboard period:all") == [
            "1. **Ada**: 5 correct of 7",
            "2. **Bob**: 3 correct of 3",
        ]
        listed = await core.handle_line(MOD, "/studyadmin season list")
        assert listed.text.index("**Summer**") < listed.text.index("**Spring 2027**") and "(current)" in listed.text
        audit = (await core.handle_line(MOD, "/studyadmin audit limit:2")).text
        assert "`season.start` season 2: before Spring 2027; after Summer" in audit
        assert "`season.start` season 1: before nothing; after Spring 2027" in audit


async def test_bad_season_starts_change_nothing(database_url: str, catalog: Catalog) -> None:
    async with Runtime(make_settings(database_url), clock=FixedClock(START), catalog=catalog) as rt:
        core = rt.core
        member = await core.handle_line(person(), "/studyadmin season start name:Mine")
        blank = await core.handle_line(MOD, '/studyadmin season start name:"   "')
        long = await core.handle_line(MOD, f"/studyadmin season start name:{'x' * 61}")
        assert member.title != "Season started" and "moderator" in member.text.lower()
        assert blank.title == ERROR and "needs `name`" in blank.text
        assert long.title == ERROR
        escape = await core.handle_line(MOD, '/studyadmin season start name:"a\x1b[31mRED"')
        flipped = await core.handle_line(MOD, '/studyadmin season start name:"abc\u202edef"')
        assert escape.title == ERROR and "control or invisible character at position 2" in escape.text
        assert flipped.title == ERROR and "position 4" in flipped.text
        async with rt.services.engine.connect() as conn:
            assert (await conn.execute(select(func.count()).select_from(seasons))).scalar_one() == 0


async def test_a_deleted_member_leaves_no_baseline_behind(database_url: str, catalog: Catalog) -> None:
    async with Runtime(make_settings(database_url), clock=FixedClock(START), catalog=catalog) as rt:
        core = rt.core
        ada = person()
        await answer(core, ada, right=1)
        await core.handle_line(MOD, "/studyadmin season start name:Autumn")
        async with rt.services.engine.connect() as conn:
            assert (await conn.execute(select(func.count()).select_from(season_baselines))).scalar_one() == 1
        asked = await core.handle_line(ada, "/profile delete")
        confirm = next(b for b in asked.buttons if "Delete" in b.label)
        await press(core, ada, asked, confirm.label)
        async with rt.services.engine.connect() as conn:
            assert (await conn.execute(select(func.count()).select_from(season_baselines))).scalar_one() == 0
