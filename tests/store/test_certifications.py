"""Held certifications on SQLite and PostgreSQL: the cascade on profile deletion and expiry reminders."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.paths.expiry import add_years
from bot.paths.reminders import deliver_reminders, due_reminders
from bot.requests import Action
from bot.runtime import Runtime
from bot.schedule.ports import PostOutcome
from bot.store import certifications as cert_store
from bot.store.schema import held_certifications
from tests.conftest import START, make_settings, person
from tests.fakes.posters import FakePoster


def passed_for(days_left: int) -> str:
    """A pass date whose three-year expiry is `days_left` days after START."""
    return add_years(START.date() + dt.timedelta(days=days_left), -3).isoformat()


async def test_deleting_a_profile_deletes_its_certifications(database_url: str, catalog: Catalog) -> None:
    async with Runtime(make_settings(database_url), clock=FixedClock(START), catalog=catalog) as rt:
        await rt.core.handle_line(person(), "/mycerts add exam:SAA-C03 passed:2025-06-01")
        await rt.core.handle_line(person("grace"), "/mycerts add exam:CLF-C02 passed:2025-06-01")
        asked = await rt.core.handle_line(person(), "/profile delete")
        await rt.core.handle(Action(person(), asked.buttons[0].action_id))
        async with rt.services.engine.connect() as conn:
            left = (await conn.execute(select(held_certifications.c.exam))).scalars().all()
        assert left == ["CLF-C02"]


async def test_reminders_are_sent_once_across_restarts_and_repeated_runs(database_url: str, catalog: Catalog) -> None:
    clock = FixedClock(START)
    poster = FakePoster()
    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        await rt.core.handle_line(person(), f"/mycerts add exam:SAA-C03 passed:{passed_for(80)}")
        await rt.core.handle_line(person("grace"), f"/mycerts add exam:DVA-C02 passed:{passed_for(200)}")
        async with rt.services.engine.connect() as conn:
            due = await due_reminders(conn, clock.now())
        assert [(r.user_id, r.exam, r.threshold, r.days_left) for r in due] == [("ada", "SAA-C03", 90, 80)]
        first = await deliver_reminders(rt.services, {"console": poster}, clock.now())
        again = await deliver_reminders(rt.services, {"console": poster}, clock.now())
        assert len(first) == 1 and again == []
        workspace, user, reply = poster.dms[0]
        assert (workspace, user) == ("w1", "ada") and "80 days" in (reply.title or "") and "renew" in reply.text
    # A restart: a new runtime on the same database remembers what was sent.
    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        assert await deliver_reminders(rt.services, {"console": poster}, clock.now()) == []
        clock.advance(dt.timedelta(days=55))  # 25 days left: the 30-day reminder
        sent = await deliver_reminders(rt.services, {"console": poster}, clock.now())
        assert [(d.reminder.threshold, d.reminder.days_left) for d in sent] == [(30, 25)]
        clock.advance(dt.timedelta(days=20))  # 5 days left: the 7-day reminder, once
        assert [
            d.reminder.threshold for d in await deliver_reminders(rt.services, {"console": poster}, clock.now())
        ] == [7]
        assert await deliver_reminders(rt.services, {"console": poster}, clock.now()) == []
        clock.advance(dt.timedelta(days=10))  # expired: nothing more
        assert await deliver_reminders(rt.services, {"console": poster}, clock.now()) == []
    assert [r.title for _, _, r in poster.dms] == ["SAA-C03 expires in 80 days", "SAA-C03 expires in 25 days",
                                                    "SAA-C03 expires in 5 days"]  # fmt: skip
    assert poster.posts == [] and poster.edits == []  # reminders are direct messages, never channel posts


async def test_late_additions_get_only_the_nearest_reminder(database_url: str, catalog: Catalog) -> None:
    poster = FakePoster()
    async with Runtime(make_settings(database_url), clock=FixedClock(START), catalog=catalog) as rt:
        await rt.core.handle_line(person(), f"/mycerts add exam:SAA-C03 passed:{passed_for(20)}")
        sent = await deliver_reminders(rt.services, {"console": poster}, START)
        assert [d.reminder.threshold for d in sent] == [30]
        assert await deliver_reminders(rt.services, {"console": poster}, START) == []


async def test_failed_deliveries_are_retried_and_absent_platforms_wait(database_url: str, catalog: Catalog) -> None:
    flaky = FakePoster(dm_outcome=PostOutcome.RATE_LIMITED)
    gone = FakePoster(platform="discord", dm_outcome=PostOutcome.MISSING_ACCESS)
    async with Runtime(make_settings(database_url), clock=FixedClock(START), catalog=catalog) as rt:
        await rt.core.handle_line(person(), f"/mycerts add exam:SAA-C03 passed:{passed_for(60)}")
        await rt.core.handle_line(
            person("bo", platform="discord"), f"/mycerts add exam:SAA-C03 passed:{passed_for(60)}"
        )
        assert len(await deliver_reminders(rt.services, {"console": flaky}, START)) == 1
        flaky.dm_outcome = PostOutcome.OK
        assert len(await deliver_reminders(rt.services, {"console": flaky}, START)) == 1  # retried after a 429
        assert len(flaky.dms) == 2 and await deliver_reminders(rt.services, {"console": flaky}, START) == []
        # The Discord member waited for a Discord poster; a permanent failure is not retried forever.
        assert len(await deliver_reminders(rt.services, {"console": flaky, "discord": gone}, START)) == 1
        assert await deliver_reminders(rt.services, {"discord": gone}, START) == []


async def test_a_renewing_pass_moves_the_reminders(database_url: str, catalog: Catalog) -> None:
    async with Runtime(make_settings(database_url), clock=FixedClock(START), catalog=catalog) as rt:
        await rt.core.handle_line(person(), f"/mycerts add exam:SAA-C03 passed:{passed_for(40)}")
        await rt.core.handle_line(person(), "/mycerts add exam:SAP-C02 passed:2026-10-01")
        poster = FakePoster()
        assert await deliver_reminders(rt.services, {"console": poster}, START) == []
        async with rt.services.engine.connect() as conn:
            member_ids = await cert_store.members_expiring_between(conn, START.date(), START.date() + dt.timedelta(90))
            total = (await conn.execute(select(func.count()).select_from(held_certifications))).scalar_one()
        assert len(member_ids) == 1 and total == 2  # the base date is near, the renewed one is not


async def test_the_scheduler_hook_delivers_reminders_through_the_running_posters(
    database_url: str, catalog: Catalog
) -> None:
    poster = FakePoster()
    async with Runtime(make_settings(database_url), clock=FixedClock(START), catalog=catalog) as rt:
        await rt.core.handle_line(person(), f"/mycerts add exam:CLF-C02 passed:{passed_for(6)}")
        (job,) = [j for j in rt.core.registry.delivery_jobs if j.name == "expiry reminders"]
        assert await job.run(rt.services, START) == 0  # no platform running: nothing claimed
        rt.services.posters.add(poster)
        assert await job.run(rt.services, START) == 1
        assert await job.run(rt.services, START) == 0
        assert poster.dms[0][2].title == "CLF-C02 expires in 6 days"


async def test_an_associate_pass_renews_cloud_practitioner_and_silences_its_reminders(
    database_url: str, catalog: Catalog
) -> None:
    # CLF-C02 alone would expire on 10 January 2027, inside the 90-day window at START; any Associate
    # renews it (AWS recertification page), so passing SAA-C03 on 1 June 2026 moves it to 1 June 2029.
    poster = FakePoster()
    async with Runtime(make_settings(database_url), clock=FixedClock(START), catalog=catalog) as rt:
        await rt.core.handle_line(person(), "/mycerts add exam:CLF-C02 passed:2024-01-10")
        added = await rt.core.handle_line(person(), "/mycerts add exam:SAA-C03 passed:2026-06-01")
        assert "CLF-C02" in added.text and "1 June 2029" in added.text
        listed = await rt.core.handle_line(person(), "/mycerts list")
        clf = next(f.value for f in listed.fields if f.name.startswith("CLF-C02"))
        assert "1 June 2029" in clf and "SAA-C03" in clf and "2027" not in clf
        rt.services.posters.add(poster)
        (job,) = [j for j in rt.core.registry.delivery_jobs if j.name == "expiry reminders"]
        assert await job.run(rt.services, START) == 0
        assert poster.dms == []


async def test_ml_engineer_associate_renews_ai_practitioner(database_url: str, catalog: Catalog) -> None:
    async with Runtime(make_settings(database_url), clock=FixedClock(START), catalog=catalog) as rt:
        await rt.core.handle_line(person(), "/mycerts add exam:AIF-C01 passed:2024-12-01")
        added = await rt.core.handle_line(person(), "/mycerts add exam:MLA-C01 passed:2026-05-04")
        assert "AIF-C01" in added.text and "4 May 2029" in added.text
        listed = await rt.core.handle_line(person(), "/mycerts list")
        aif = next(f.value for f in listed.fields if f.name.startswith("AIF-C01"))
        assert "4 May 2029" in aif and "MLA-C01" in aif
