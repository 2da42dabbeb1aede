"""Scheduled prompts and reveals end to end, with a fixed clock: exactly once, downtime, DST, restarts."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.requests import Action
from bot.schedule.ports import PostOutcome, PostResult
from bot.store.schema import practice_answers, schedule_deliveries
from tests.conftest import person
from tests.schedule.conftest import FakePoster, at, open_runtime

MOD = person("mo", moderator=True)
ADD = "/studyadmin schedule add channel:#study exam:SAA-C03 preset:weekdays-9am timezone:Europe/Berlin"


async def _rows(rt, kind: str | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
    async with rt.services.engine.connect() as conn:
        stmt = select(schedule_deliveries).order_by(schedule_deliveries.c.id)
        if kind:
            stmt = stmt.where(schedule_deliveries.c.kind == kind)
        return [dict(r) for r in (await conn.execute(stmt)).mappings()]


async def test_done_when_flow(database_url: str, catalog: Catalog) -> None:
    """A weekday 9:00 schedule: posted at the next run, nothing on Sunday, presses, reveal, no doubles."""
    clock = FixedClock(at("2026-11-27T12:00:00+01:00"))  # Friday afternoon
    poster = FakePoster()
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        core = rt.core
        added = await core.handle_line(MOD, ADD)
        assert added.title == "Schedule added", added
        assert "Mon 30 Nov 2026 09:00 CET" in added.fields[0].value  # the next three runs, local time
        refused = await core.handle_line(person("bob"), "/studyadmin schedule pause id:1")
        assert refused.title == "That didn't work" and "Only moderators" in refused.text

        clock.set(at("2026-11-29T09:00:00+01:00"))  # Sunday
        assert (await rt.schedule.deliver_due()).as_json() == {
            "prompts": 0,
            "reveals": 0,
            "reminders": 0,
            "digests": 0,
            "skipped": 0,
        }
        assert poster.posts == []

        clock.set(at("2026-11-30T09:00:00+01:00"))  # Monday, the next run
        counts = await rt.schedule.deliver_due()
        assert (counts.prompts, counts.skipped) == (1, 0)
        channel, _message_id, prompt, nonce = poster.posts[0]
        assert channel == "study" and nonce and len(nonce) <= 25
        assert "SAA-C03" in prompt.text and "0 answered" in (prompt.footer or "")
        assert (await rt.schedule.deliver_due()).prompts == 0  # twice: nothing twice

        clock.set(at("2026-11-30T09:05:00+01:00"))
        presses = {"xavera": 0, "yusufo": 1, "zeldra": 1, "quincey": 2}
        for name, button in presses.items():
            reply = await core.handle(Action(person(name), prompt.buttons[button].action_id))
            assert reply.ephemeral and "you can change it until the reveal" in reply.text.lower()
        changed = await core.handle(Action(person("zeldra"), prompt.buttons[0].action_id))
        assert changed.text.startswith("Changed to")
        await rt.schedule.counts.flush()
        assert "4 answered" in (poster.edits[-1][1].footer or "")
        shown = poster.edits[-1][1].text + (poster.edits[-1][1].footer or "")
        assert all(name.title() not in shown for name in presses)  # never who answered what

        clock.set(at("2026-11-30T21:00:00+01:00"))  # 12 hours later
        counts = await rt.schedule.deliver_due()
        assert (counts.prompts, counts.reveals) == (0, 1)
        reveal = poster.posts[-1][2]
        question = catalog.question((await _rows(rt, "prompt"))[0]["question_id"])
        assert question is not None
        assert "4" in reveal.text and "answered" in reveal.text
        for option in question.options:
            assert option.explanation.split(" ", 1)[-1][:30] in reveal.text.replace("\\", "")
        # Group prompts show the options in bank order; zeldra changed to the first button.
        final = {"xavera": 0, "yusufo": 1, "zeldra": 0, "quincey": 2}
        keys = {i for i, option in enumerate(question.options) if option.correct}
        right = sum(1 for button in final.values() if {button} == keys)
        assert f"answered; {right} got it right." in reveal.text, reveal.text
        assert ("Most picked wrong answer" in reveal.text) == (right < len(final))
        assert "closed" in (poster.edits[-1][1].title or "")  # the prompt lost its buttons
        assert not poster.edits[-1][1].buttons
        assert (await rt.schedule.deliver_due()).as_json() == {
            "prompts": 0,
            "reveals": 0,
            "reminders": 0,
            "digests": 0,
            "skipped": 0,
        }
        late = await core.handle(Action(person("eve"), prompt.buttons[0].action_id))
        assert "revealed" in late.text
        async with rt.services.engine.connect() as conn:
            fed = (await conn.execute(select(practice_answers.c.source, practice_answers.c.chosen))).all()
        assert sorted(fed) == sorted(("group", c) for c in ("0", "0", "1", "2"))  # zeldra's final answer: A
    assert len(poster.posts) == 2


async def test_dst_change_days_in_two_zones(sqlite_url: str, catalog: Catalog) -> None:
    """9:00 fires once at 9:00 local on every day around each of the four changes, waking hourly."""
    poster = FakePoster()
    clock = FixedClock(at("2026-03-06T00:00:00+00:00"))
    async with open_runtime(sqlite_url, clock, catalog, poster) as rt:
        for zone in ("Europe/Berlin", "America/New_York"):
            line = (
                f"/studyadmin schedule add channel:#{zone.split('/')[1]} exam:CLF-C02 preset:daily-9am timezone:{zone}"
            )
            assert (await rt.core.handle_line(MOD, line)).title == "Schedule added"
        # Spring forward: New York 8 March, Berlin 29 March; fall back: Berlin 25 October, New York 1 November.
        for days in (dt.timedelta(days=d) for d in (0, 21, 231, 238)):
            begin = at("2026-03-06T00:00:00+00:00") + days
            clock.set(begin)
            for _ in range(4 * 24):
                clock.advance(dt.timedelta(hours=1))
                await rt.schedule.deliver_due()
            rows = [
                r for r in await _rows(rt, "prompt") if r["state"] == "posted" and begin <= r["due_at"] <= clock.now()
            ]
            assert len(rows) == 8  # 4 days (one of them a change day) x 2 zones, each exactly once
            for row in rows:
                zone = ZoneInfo("Europe/Berlin" if row["channel"] == "Berlin" else "America/New_York")
                assert row["due_at"].astimezone(zone).strftime("%H:%M") == "09:00"
            assert len({(r["channel"], r["due_at"].astimezone(ZoneInfo("UTC")).date()) for r in rows}) == 8


async def test_repeated_and_missing_times_fire_once(sqlite_url: str, catalog: Catalog) -> None:
    poster = FakePoster()
    clock = FixedClock(at("2026-03-07T12:00:00+00:00"))
    async with open_runtime(sqlite_url, clock, catalog, poster) as rt:
        for line in (
            '/studyadmin schedule add channel:#ny exam:CLF-C02 cron:"30 2 * * *" timezone:America/New_York',
            '/studyadmin schedule add channel:#berlin exam:CLF-C02 cron:"30 2 * * *" timezone:Europe/Berlin',
        ):
            assert (await rt.core.handle_line(MOD, line)).title == "Schedule added"
        clock.set(at("2026-03-08T07:30:00+00:00"))  # 02:30 does not exist in New York: fired at 03:30 EDT
        assert (await rt.schedule.deliver_due()).prompts == 1
        # Berlin falls back on 25 October: APScheduler fires 02:30 at 00:30Z and again at 01:30Z.
        clock.set(at("2026-10-25T00:30:00+00:00"))
        await rt.schedule.deliver_due()
        clock.set(at("2026-10-25T01:30:00+00:00"))
        await rt.schedule.deliver_due()
        berlin = [r for r in await _rows(rt, "prompt") if r["channel"] == "berlin" and r["state"] == "posted"]
        assert [r["key"] for r in berlin] == ["p:2:2026-10-25T02:30"]


async def test_restart_inside_and_outside_the_grace_window(database_url: str, catalog: Catalog) -> None:
    poster = FakePoster()
    clock = FixedClock(at("2026-11-29T12:00:00+01:00"))
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        await rt.core.handle_line(MOD, ADD)
    # Down over Monday 9:00; back at 9:40 (grace 60 minutes): posted once at start.
    clock.set(at("2026-11-30T09:40:00+01:00"))
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        started = await rt.schedule.start()
        await rt.schedule.stop()
        assert (started.prompts, started.skipped) == (1, 0)
    # Down over Tuesday 9:00; back at 10:30: outside the window, recorded as skipped, nothing posted.
    clock.set(at("2026-12-01T10:30:00+01:00"))
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        started = await rt.schedule.start()
        await rt.schedule.stop()
        assert (started.prompts, started.skipped) == (0, 1)
        skipped = [r for r in await _rows(rt, "prompt") if r["state"] == "skipped"]
        assert [r["key"] for r in skipped] == ["p:1:2026-12-01T09:00"]
        # The reveal of Monday's prompt fell due while down: posted at start, above.
        assert started.reveals == 1
    assert [t for t in poster.titles()] == ["Question of the day", "Answer revealed"]


async def test_two_processes_on_one_database_post_once(database_url: str, catalog: Catalog) -> None:
    clock = FixedClock(at("2026-11-29T12:00:00+01:00"))
    first, second = FakePoster(), FakePoster()
    async with (
        open_runtime(database_url, clock, catalog, first) as a,
        open_runtime(database_url, clock, catalog, second) as b,
    ):
        await a.core.handle_line(MOD, ADD)
        clock.set(at("2026-11-30T09:00:00+01:00"))
        for _ in range(3):  # both wake up together, several times
            await asyncio.gather(a.schedule.deliver_due(), b.schedule.deliver_due())
        assert len(first.posts) + len(second.posts) == 1
        clock.set(at("2026-11-30T21:00:00+01:00"))
        await asyncio.gather(a.schedule.deliver_due(), b.schedule.deliver_due())
        assert len(first.posts) + len(second.posts) == 2


async def test_reveal_after_restart_and_crash_recovery(sqlite_url: str, catalog: Catalog) -> None:
    clock = FixedClock(at("2026-11-29T12:00:00+01:00"))
    crashed = FakePoster(fail=lambda _channel: PostResult(PostOutcome.RATE_LIMITED, retry_after=0.0))
    async with open_runtime(sqlite_url, clock, catalog, crashed) as rt:
        await rt.core.handle_line(MOD, ADD)
        rt.schedule.sender.limiter("console").max_attempts = 1
        clock.set(at("2026-11-30T09:00:00+01:00"))
        assert (await rt.schedule.deliver_due()).prompts == 0  # claimed, never posted: as if it crashed
    (row,) = await _peek(sqlite_url, catalog)
    assert row["state"] == "claimed"
    poster = FakePoster()
    clock.set(at("2026-11-30T09:01:00+01:00"))  # within the lease: nobody takes it over yet
    async with open_runtime(sqlite_url, clock, catalog, poster) as rt:
        assert (await rt.schedule.deliver_due()).prompts == 0
        clock.set(at("2026-11-30T09:05:00+01:00"))  # lease over: re-posted once, with the same nonce
        assert (await rt.schedule.deliver_due()).prompts == 1
        assert poster.posts[0][3] == row["nonce"]
    clock.set(at("2026-11-30T22:00:00+01:00"))
    later = FakePoster()
    async with open_runtime(sqlite_url, clock, catalog, later) as rt:
        started = await rt.schedule.start()
        await rt.schedule.stop()
    assert (started.prompts, started.reveals) == (0, 1)
    assert later.titles() == ["Answer revealed"]


async def _peek(url: str, catalog: Catalog) -> list[dict]:  # type: ignore[type-arg]
    async with open_runtime(url, FixedClock(at("2026-11-30T09:00:30+01:00")), catalog, FakePoster()) as rt:
        return await _rows(rt, "prompt")


async def test_a_channel_that_keeps_failing_is_paused_and_its_creator_told(sqlite_url: str, catalog: Catalog) -> None:
    clock = FixedClock(at("2026-11-29T12:00:00+01:00"))
    poster = FakePoster(fail=lambda _c: PostResult(PostOutcome.MISSING_ACCESS, detail="Missing Access"))
    async with open_runtime(sqlite_url, clock, catalog, poster) as rt:
        await rt.core.handle_line(MOD, ADD.replace("weekdays-9am", "daily-9am"))
        for day in range(30, 34):
            clock.set(at(f"2026-11-{day}T09:00:00+01:00") if day <= 30 else at(f"2026-12-0{day - 30}T09:00:00+01:00"))
            await rt.schedule.deliver_due()
        listed = await rt.core.handle_line(MOD, "/studyadmin schedule list")
        assert "Paused" in listed.fields[0].value and "may not post" in listed.fields[0].value
        assert [user for _workspace, user, _reply in poster.dms] == ["mo"]
        assert "resume id:1" in poster.dms[0][2].text
        failed = [r for r in await _rows(rt, "prompt") if r["state"] == "failed"]
        assert len(failed) == 3  # paused after the third; the fourth day was not attempted


async def test_a_reveal_that_failed_is_retried_and_feeds_practice_once(sqlite_url: str, catalog: Catalog) -> None:
    clock = FixedClock(at("2026-11-29T12:00:00+01:00"))
    outage = {"on": False}
    poster = FakePoster(fail=lambda _c: PostResult(PostOutcome.FAILED, detail="HTTP 500") if outage["on"] else None)
    async with open_runtime(sqlite_url, clock, catalog, poster) as rt:
        await rt.core.handle_line(MOD, ADD)
        clock.set(at("2026-11-30T09:00:00+01:00"))
        await rt.schedule.deliver_due()
        prompt = poster.posts[0][2]
        await rt.core.handle(Action(person("xavera"), prompt.buttons[0].action_id))
        outage["on"] = True
        clock.set(at("2026-11-30T21:00:00+01:00"))
        assert (await rt.schedule.deliver_due()).reveals == 0
        outage["on"] = False
        clock.set(at("2026-11-30T21:03:00+01:00"))  # after the lease: taken over and posted
        assert (await rt.schedule.deliver_due()).reveals == 1
        assert (await rt.schedule.deliver_due()).reveals == 0
        async with rt.services.engine.connect() as conn:
            fed = (await conn.execute(select(practice_answers.c.source))).all()
        assert len(fed) == 1
