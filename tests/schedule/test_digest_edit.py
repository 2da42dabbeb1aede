"""`/studyadmin digest edit|pause|resume` (issue 18): a digest's day, time and zone changed without
posting a week twice, paused without posting, resumed from its next run only; every change audited,
every bad input refused with nothing changed. Through the core, on the injected clock, with the
deliverer `deliver-due` runs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.markup import to_plain
from bot.replies import Reply
from bot.store.schema import audit_log, schedule_deliveries, schedules
from tests.conftest import person
from tests.fakes.posters import FakePoster
from tests.schedule.conftest import open_runtime
from tests.schedule.test_digest import ADD, BERLIN, MOD, RUNS, _answer

ERROR = "That didn't work"
EDIT = "/studyadmin digest edit channel:#study"
MONDAY = RUNS[0].astimezone(dt.UTC)  # Mon 12 Oct 2026 09:00 CEST


def runs(reply: Reply) -> str:
    (field,) = reply.fields
    assert field.name == "Weekly digest", field
    return field.value


async def audited(core: Core) -> list[tuple[str, str, str | None, str | None]]:
    async with core.services.engine.connect() as conn:
        rows = await conn.execute(
            select(audit_log.c.action, audit_log.c.target, audit_log.c.before, audit_log.c.after)
            .where(audit_log.c.action.like("digest.%"))
            .order_by(audit_log.c.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def stored(core: Core) -> list[tuple[str, str, bool]]:
    async with core.services.engine.connect() as conn:
        rows = await conn.execute(select(schedules.c.cron, schedules.c.timezone, schedules.c.paused))
        return [(c, z, bool(p)) for c, z, p in rows.all()]


async def digests_posted(core: Core) -> list[tuple[dt.datetime, str]]:
    async with core.services.engine.connect() as conn:
        rows = await conn.execute(
            select(schedule_deliveries.c.due_at, schedule_deliveries.c.state)
            .where(schedule_deliveries.c.kind == "digest")
            .order_by(schedule_deliveries.c.due_at)
        )
        return [(due.replace(tzinfo=dt.UTC) if due.tzinfo is None else due, state) for due, state in rows.all()]


async def test_edit_changes_only_what_is_given_and_shows_the_next_runs(database_url: str, catalog: Catalog) -> None:
    clock = FixedClock(MONDAY - dt.timedelta(days=3))  # Fri 9 Oct 09:00 CEST
    async with open_runtime(database_url, clock, catalog, FakePoster()) as rt:
        core = rt.core
        assert (await core.handle_line(MOD, ADD)).title == "Digest added"

        timed = await core.handle_line(MOD, f"{EDIT} time:18:30")
        assert timed.title == "Digest changed" and timed.ephemeral, timed
        shown = runs(timed)
        assert "every Monday at 18:30 in Europe/Berlin" in shown
        assert (
            "Next runs:\n- Mon 12 Oct 2026 18:30 CEST\n- Mon 19 Oct 2026 18:30 CEST\n- Mon 26 Oct 2026 18:30 CET"
            in (shown)
        ), shown
        assert await stored(core) == [("30 18 * * mon", "Europe/Berlin", False)]

        dayed = runs(await core.handle_line(MOD, f"{EDIT} day:friday"))  # the time stays 18:30
        assert "every Friday at 18:30 in Europe/Berlin" in dayed and "- Fri 09 Oct 2026 18:30 CEST" in dayed, dayed
        zoned = runs(await core.handle_line(MOD, f"{EDIT} timezone:america/new_york"))  # day and time stay
        assert "every Friday at 18:30 in America/New_York" in zoned and "- Fri 09 Oct 2026 18:30 EDT" in zoned, zoned
        assert await stored(core) == [("30 18 * * fri", "America/New_York", False)]

        same = await core.handle_line(MOD, f"{EDIT} day:friday time:18:30")
        assert same.title == "Nothing changed" and "Fri 09 Oct 2026 18:30 EDT" in runs(same)

        entries = await audited(core)
        assert [a for a, _t, _b, _a in entries] == ["digest.add", "digest.edit", "digest.edit", "digest.edit"]
        assert {t for _a, t, _b, _x in entries} == {"digest #1"}
        _action, _target, before, after = entries[-1]
        assert before is not None and after is not None
        assert '"timezone": "Europe/Berlin"' in before and '"timezone": "America/New_York"' in after
        audit = await core.handle_line(MOD, "/studyadmin audit")
        plain = to_plain(audit.text)
        assert "digest.edit digest #1: timezone: Europe/Berlin → America/New_York" in plain, plain


async def test_bad_edits_pauses_and_resumes_are_refused_and_change_nothing(database_url: str, catalog: Catalog) -> None:
    clock = FixedClock(MONDAY - dt.timedelta(days=3))
    async with open_runtime(database_url, clock, catalog, FakePoster()) as rt:
        core = rt.core
        for line in (f"{EDIT} time:10:00", "/studyadmin digest pause channel:#study"):
            reply = await core.handle_line(MOD, line)
            assert reply.title == ERROR and "<#study> has no weekly digest." in reply.text, (line, reply.text)
        assert (await core.handle_line(MOD, ADD)).title == "Digest added"
        before = await stored(core)
        for line, says in [
            (EDIT, "Say what to change: `day:`, `time:` or `timezone:`."),
            (f"{EDIT} day:sunnday", "can't be `sunnday`.\nDid you mean `sunday`?"),
            (f"{EDIT} time:25:00", "`25:00` is not a time."),
            (f"{EDIT} time:9", "Write it as HH:MM"),
            (f"{EDIT} day:friday time:7pm", "`7pm` is not a time."),  # one bad part: nothing of it is saved
            (f"{EDIT} time:10:00 timezone:Mars/Olympus", "`Mars/Olympus` is not a timezone I know."),
            ("/studyadmin digest edit channel:#other time:10:00", "<#other> has no weekly digest."),
            ("/studyadmin digest pause channel:#other", "<#other> has no weekly digest."),
            ("/studyadmin digest resume channel:#other", "<#other> has no weekly digest."),
        ]:
            reply = await core.handle_line(MOD, line)
            assert reply.title == ERROR and says in reply.text + "\n" + (reply.footer or ""), (line, reply)
        member = person("bob", channel="study")
        for line in (f"{EDIT} time:10:00", "/studyadmin digest pause channel:#study"):
            refused = await core.handle_line(member, line)
            assert refused.title == ERROR and "Only moderators" in refused.text, refused
        refused = await core.handle_line(member, "/studyadmin digest resume channel:#study")
        assert refused.title == ERROR and "Only moderators" in refused.text
        assert await stored(core) == before
        assert [a for a, *_ in await audited(core)] == ["digest.add"]

        resumed = await core.handle_line(MOD, "/studyadmin digest resume channel:#study")
        assert resumed.title == "Not paused" and "Nothing changed" in resumed.text
        paused = await core.handle_line(MOD, "/studyadmin digest pause channel:#study")
        assert paused.title == "Digest paused" and "**Paused** by a moderator" in runs(paused)
        assert "Would next run:\n- Mon 12 Oct 2026 09:00 CEST" in runs(paused)
        again = await core.handle_line(MOD, "/studyadmin digest pause channel:#study")
        assert again.title == "Already paused" and again.text.startswith("Nothing changed."), again
        assert await stored(core) == [("0 9 * * mon", "Europe/Berlin", True)]
        assert [a for a, *_ in await audited(core)] == ["digest.add", "digest.pause"]  # the second changed nothing
        listed = await core.handle_line(MOD, "/studyadmin digest list")
        assert "**Paused** by a moderator" in listed.fields[0].value
        # A digest's pause is not a prompt schedule's: those commands still do not see it.
        assert "There is no schedule #1 here." in (await core.handle_line(MOD, "/studyadmin schedule resume id:1")).text


async def test_an_edit_within_the_week_does_not_post_its_digest_twice(database_url: str, catalog: Catalog) -> None:
    """Posted at Monday 09:00; moved to 10:00 the same morning, then to Wednesday 18:00: neither posts
    that week (the reply says so); the next Wednesday posts once, covering every day since Monday's digest
    (nine days, so the Monday-to-Wednesday stretch is in a digest too)."""
    clock = FixedClock(MONDAY - dt.timedelta(days=3))
    poster = FakePoster()
    ada = person("ada", channel="study")
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        core = rt.core
        assert (await core.handle_line(MOD, ADD)).title == "Digest added"
        await _answer(core, ada, True)
        clock.set(MONDAY)
        assert (await rt.schedule.deliver_due()).digests == 1

        clock.set(MONDAY + dt.timedelta(minutes=30))
        later = await core.handle_line(MOD, f"{EDIT} time:10:00")
        assert later.title == "Digest changed", later
        assert (
            "This week's digest (due Mon 12 Oct 2026 09:00 CEST) went out: one a week, so Mon 12 Oct 2026 10:00 CEST "
            "does not post.\nNext runs:\n- Mon 19 Oct 2026 10:00 CEST"
        ) in runs(later), runs(later)
        clock.set(MONDAY + dt.timedelta(hours=1))
        assert (await rt.schedule.deliver_due()).digests == 0

        clock.set(MONDAY + dt.timedelta(hours=1, minutes=30))
        moved = runs(await core.handle_line(MOD, f"{EDIT} day:wednesday time:18:00"))
        assert "so Wed 14 Oct 2026 18:00 CEST does not post.\nNext runs:\n- Wed 21 Oct 2026 18:00 CEST" in moved, moved
        wednesday = dt.datetime(2026, 10, 14, 18, 0, tzinfo=BERLIN).astimezone(dt.UTC)
        for at in (wednesday, wednesday + dt.timedelta(minutes=1), wednesday + dt.timedelta(hours=25)):
            clock.set(at)
            counts = await rt.schedule.deliver_due()
            assert (counts.digests, counts.skipped) == (0, 0), (at, counts)
            if at == wednesday:
                await _answer(core, ada, False)  # in the week the next digest shows
        assert len(poster.posts) == 1

        clock.set(wednesday + dt.timedelta(days=7))
        assert (await rt.schedule.deliver_due()).digests == 1
        assert (await rt.schedule.deliver_due()).digests == 0
        assert len(poster.posts) == 2
        second = poster.posts[-1][2]
        assert second.text.startswith("Since the last digest in <#study>: Mon 12 Oct 09:00 to Wed 21 Oct 18:00 CEST.")
        assert "1 member answered 1 question, 0% correct." in second.text, second.text  # Monday's is not again
        assert await digests_posted(core) == [(MONDAY, "posted"), (wednesday + dt.timedelta(days=7), "posted")]
        assert [a for a, *_ in await audited(core)] == ["digest.add", "digest.edit", "digest.edit"]


async def test_an_edit_before_the_weeks_digest_moves_it(database_url: str, catalog: Catalog) -> None:
    """Moved from Monday 09:00 to 11:00 at 08:00, the week's digest posts at 11:00 and not at 09:00; moved
    back to a time that has passed already, nothing is made up."""
    clock = FixedClock(MONDAY - dt.timedelta(hours=1))
    poster = FakePoster()
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        core = rt.core
        assert (await core.handle_line(MOD, ADD)).title == "Digest added"
        assert "Next runs:\n- Mon 12 Oct 2026 11:00 CEST" in runs(await core.handle_line(MOD, f"{EDIT} time:11:00"))
        clock.set(MONDAY)
        assert (await rt.schedule.deliver_due()).digests == 0
        clock.set(MONDAY + dt.timedelta(hours=1))
        back = runs(await core.handle_line(MOD, f"{EDIT} time:09:30"))  # passed at 10:00: next week's
        assert "Next runs:\n- Mon 19 Oct 2026 09:30 CEST" in back and "does not post" not in back, back
        counts = await rt.schedule.deliver_due()
        assert (counts.digests, counts.skipped) == (0, 0)
        assert (await core.handle_line(MOD, f"{EDIT} time:11:00")).title == "Digest changed"
        clock.set(MONDAY + dt.timedelta(hours=2))
        assert (await rt.schedule.deliver_due()).digests == 1
        assert (await rt.schedule.deliver_due()).digests == 0
        assert await digests_posted(core) == [(MONDAY + dt.timedelta(hours=2), "posted")]


async def test_pause_skips_and_resume_posts_the_next_run_only(database_url: str, catalog: Catalog) -> None:
    """Paused over two Mondays: nothing is posted or recorded; resumed two hours after the second (within
    the day a late digest is still posted in), it does not post that week's: only the next Monday's."""
    clock = FixedClock(MONDAY - dt.timedelta(days=1))
    poster = FakePoster()
    ada = person("ada", channel="study")
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        core = rt.core
        assert (await core.handle_line(MOD, ADD)).title == "Digest added"
        await _answer(core, ada, True)
        assert (await core.handle_line(MOD, "/studyadmin digest pause channel:#study")).title == "Digest paused"
        for run in RUNS[:2]:
            clock.set(run.astimezone(dt.UTC))
            counts = await rt.schedule.deliver_due()
            assert (counts.digests, counts.skipped) == (0, 0), counts
            await _answer(core, ada, True)

        clock.set(RUNS[1].astimezone(dt.UTC) + dt.timedelta(hours=2))
        resumed = await core.handle_line(MOD, "/studyadmin digest resume channel:#study")
        assert resumed.title == "Digest resumed" and "Paused" not in runs(resumed), resumed
        assert "Next runs:\n- Mon 26 Oct 2026 09:00 CET" in runs(resumed), runs(resumed)
        assert await stored(core) == [("0 9 * * mon", "Europe/Berlin", False)]
        for later in (dt.timedelta(hours=3), dt.timedelta(hours=23)):
            clock.set(RUNS[1].astimezone(dt.UTC) + later)
            counts = await rt.schedule.deliver_due()
            assert (counts.digests, counts.skipped) == (0, 0), counts  # no back-fill, and no skip reported
        assert poster.posts == []

        clock.set(RUNS[2].astimezone(dt.UTC))
        assert (await rt.schedule.deliver_due()).digests == 1
        assert (await rt.schedule.deliver_due()).digests == 0
        (post,) = poster.posts
        assert "Mon 19 Oct 09:00 to Mon 26 Oct 09:00 CET." in post[2].text  # the week before the run, only
        assert await digests_posted(core) == [(RUNS[2].astimezone(dt.UTC), "posted")]
        entries = await audited(core)
        assert [a for a, *_ in entries] == ["digest.add", "digest.pause", "digest.resume"]
        assert entries[-1][2] is not None and '"paused": true' in entries[-1][2]
        assert entries[-1][3] is not None and '"paused": false' in entries[-1][3]
