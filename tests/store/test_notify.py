"""`/notify` through the core on SQLite and PostgreSQL, and the expiry reminders that honour it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.paths.expiry import add_years
from bot.paths.reminders import deliver_reminders
from bot.runtime import Runtime
from bot.store.schema import claims, notify_settings, notify_skips
from tests.conftest import START, make_settings, person
from tests.fakes.posters import FakePoster


def passed_for(days_left: int) -> str:
    """A pass date whose three-year expiry is `days_left` days after START."""
    return add_years(START.date() + dt.timedelta(days=days_left), -3).isoformat()


def states(reply_fields: tuple[object, ...]) -> dict[str, str]:
    return {f.name: f.value for f in reply_fields}  # type: ignore[attr-defined]


async def test_notify_shows_sets_and_snoozes_with_the_end_in_the_members_zone(
    database_url: str, catalog: Catalog
) -> None:
    clock = FixedClock(START)
    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        shown = await rt.core.handle_line(person(), "/notify")
        assert shown.title == "Your notifications" and shown.ephemeral
        assert set(states(shown.fields).values()) == {"`on`"} and len(shown.fields) == 4
        async with rt.services.engine.connect() as conn:  # showing writes no settings row
            assert (await conn.execute(select(notify_settings))).all() == []

        await rt.core.handle_line(person(), "/profile timezone:Asia/Tokyo")
        snoozed = await rt.core.handle_line(person(), "/notify snooze:1w3d")
        end = START + dt.timedelta(days=10)
        local = end.astimezone(dt.timezone(dt.timedelta(hours=9)))
        shown_end = f"{local:%a %d %b %H:%M} (Asia/Tokyo)"
        assert states(snoozed.fields)["Snoozed until"] == shown_end
        assert shown_end in snoozed.text and "Saved." in snoozed.text
        assert states(snoozed.fields)["Certification expiry reminders"] == "`snoozed`"
        assert states(snoozed.fields)["Role ping of scheduled prompts"] == "`on`"  # a role ping is the channel's
        assert "still pings the role" in snoozed.text

        clock.advance(dt.timedelta(days=10, seconds=1))  # the snooze is over by itself
        after = await rt.core.handle_line(person(), "/notify")
        assert "Snoozed until" not in states(after.fields) and set(states(after.fields).values()) == {"`on`"}

        off = await rt.core.handle_line(person(), "/notify expiry_reminders:off digest_mentions:off")
        assert states(off.fields)["Certification expiry reminders"] == "`off`"
        assert states(off.fields)["Mentions in the weekly digest"] == "`off`"
        assert states(off.fields)["Role ping of scheduled prompts"] == "`on`"
        await rt.core.handle_line(person(), "/notify snooze:2w")
        ended = await rt.core.handle_line(person(), "/notify snooze:off")
        assert "Snoozed until" not in states(ended.fields) and "No snooze" in ended.text
        assert states(ended.fields)["Certification expiry reminders"] == "`off`"  # the flags are kept


async def test_bad_snoozes_are_refused_and_change_nothing(database_url: str, catalog: Catalog) -> None:
    async with Runtime(make_settings(database_url), clock=FixedClock(START), catalog=catalog) as rt:
        await rt.core.handle_line(person(), "/notify snooze:7d")
        for bad, says in [
            ("abc", "Write it like `7d`, `2w`, `1w3d` or `off`."),
            ("7", "Write it like"),
            ("-3d", "Write it like"),
            ("13w", "between 1 hour and 84 days"),
            ("30m", "between 1 hour and 84 days"),
            ("99999999999w", "between 1 hour and 84 days"),
        ]:
            reply = await rt.core.handle_line(person(), f"/notify snooze:{bad} expiry_reminders:off")
            assert reply.title == "That didn't work" and says in reply.text, (bad, reply.text)
        reply = await rt.core.handle_line(person(), "/notify expiry_reminders:maybe")
        assert reply.title == "That didn't work"
        async with rt.services.engine.connect() as conn:
            (row,) = (await conn.execute(select(notify_settings))).all()
        assert row.expiry_reminders is True and row.snooze_until == START + dt.timedelta(days=7)


async def test_a_snoozed_reminder_is_sent_when_the_snooze_ends_if_still_relevant(
    database_url: str, catalog: Catalog
) -> None:
    clock = FixedClock(START)
    poster = FakePoster()
    posters = {"console": poster}
    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        await rt.core.handle_line(person(), f"/mycerts add exam:SAA-C03 passed:{passed_for(35)}")
        await rt.core.handle_line(person("grace"), f"/mycerts add exam:SAA-C03 passed:{passed_for(35)}")
        await rt.core.handle_line(person("linus"), f"/mycerts add exam:SAA-C03 passed:{passed_for(35)}")
        await rt.core.handle_line(person(), "/notify snooze:2w")  # ada: away for two weeks
        await rt.core.handle_line(person("linus"), "/notify snooze:5w")  # linus: past the 30-day reminder's life

        clock.advance(dt.timedelta(days=6))  # 29 days left: the 30-day reminder falls due
        sent = await deliver_reminders(rt.services, posters, clock.now())
        assert [d.reminder.user_id for d in sent] == ["grace"]
        for _ in range(3):  # every pass during the snooze holds it again, and records it once
            clock.advance(dt.timedelta(days=1))
            assert await deliver_reminders(rt.services, posters, clock.now()) == []
        async with rt.services.engine.connect() as conn:
            skipped = (await conn.execute(select(notify_skips.c.kind, notify_skips.c.reason))).all()
        assert sorted(skipped) == [("expiry_reminders", "snoozed")] * 2  # ada and linus, once each

        clock.set(START + dt.timedelta(days=14, minutes=1))  # ada's snooze is over: 21 days left
        sent = await deliver_reminders(rt.services, posters, clock.now())
        assert [(d.reminder.user_id, d.reminder.threshold, d.reminder.days_left) for d in sent] == [("ada", 30, 21)]

        clock.set(START + dt.timedelta(days=35, minutes=1))  # linus's is over on expiry day: only the 7-day one
        sent = await deliver_reminders(rt.services, posters, clock.now())
        assert sorted((d.reminder.user_id, d.reminder.threshold) for d in sent) == [
            ("ada", 7),
            ("grace", 7),
            ("linus", 7),
        ]
    assert [user for _w, user, _r in poster.dms] == ["grace", "ada", "ada", "grace", "linus"]


async def test_a_reminder_switched_off_is_never_sent_later(database_url: str, catalog: Catalog) -> None:
    clock = FixedClock(START)
    poster = FakePoster()
    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        await rt.core.handle_line(person(), f"/mycerts add exam:SAA-C03 passed:{passed_for(29)}")
        await rt.core.handle_line(person(), "/notify expiry_reminders:off")
        assert await deliver_reminders(rt.services, {"console": poster}, clock.now()) == []
        await rt.core.handle_line(person(), "/notify expiry_reminders:on")
        assert await deliver_reminders(rt.services, {"console": poster}, clock.now()) == []  # the 30-day one is gone
        async with rt.services.engine.connect() as conn:
            results = (await conn.execute(select(claims.c.result))).scalars().all()
            reasons = (await conn.execute(select(notify_skips.c.reason))).scalars().all()
        assert results == ["skipped-off"] and reasons == ["off"]
        clock.advance(dt.timedelta(days=23))  # 6 days left: the next reminder comes, since it is on again
        sent = await deliver_reminders(rt.services, {"console": poster}, clock.now())
        assert [d.reminder.threshold for d in sent] == [7]
    assert len(poster.dms) == 1
