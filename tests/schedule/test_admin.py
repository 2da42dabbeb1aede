"""`/studyadmin`: every command as a moderator and as a member, bad input changes nothing, audit."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.features import admin, admin_config
from bot.markup import to_plain
from bot.replies import Reply
from bot.runtime import Runtime
from bot.schedule.ports import PostOutcome, PostResult
from bot.store.schema import audit_log, schedules
from tests.conftest import person
from tests.schedule.conftest import FakePoster, at, open_runtime

MOD = person("mo", moderator=True)
MEMBER = person("bob")
ERROR = "That didn't work"
ADD = "/studyadmin schedule add channel:#study exam:SAA-C03 preset:weekdays-9am timezone:Europe/Berlin"


def my_examples(rt: Runtime) -> list[str]:
    mine = {admin.add, admin.list_, admin.edit, admin.pause, admin.resume, admin.preview, admin.remove}
    mine |= {admin_config.group_target, admin_config.moderators_add, admin_config.moderators_list}
    mine |= {admin_config.moderators_remove, admin_config.settings_command, admin_config.audit_command}
    return [e for spec in rt.core.registry if spec.handler in mine for e in spec.examples]


async def _count(rt: Runtime, table) -> int:  # type: ignore[no-untyped-def]
    async with rt.services.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_every_example_succeeds_in_order_on_a_fresh_database(runtime: Runtime) -> None:
    examples = my_examples(runtime)
    assert len(examples) >= 15
    for line in examples:
        reply = await runtime.core.handle_line(MOD, line)
        assert reply.title not in (ERROR, "Something went wrong"), (line, reply)


async def test_a_member_is_refused_everything_and_nothing_changes(runtime: Runtime) -> None:
    await runtime.core.handle_line(MOD, ADD)
    before = (await _count(runtime, schedules), await _count(runtime, audit_log))
    for line in my_examples(runtime):
        reply = await runtime.core.handle_line(MEMBER, line)
        assert reply.title == ERROR and "Only moderators" in reply.text, line
    assert (await _count(runtime, schedules), await _count(runtime, audit_log)) == before


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (ADD.replace("preset:weekdays-9am", 'cron:"0 9 * * 1-8"'), "not a weekday"),
        (ADD.replace("preset:weekdays-9am", 'cron:"* 9 * * *"'), "more than once every 30 minutes"),
        (ADD.replace("preset:weekdays-9am", ""), "give `cron` or `preset`"),
        (ADD.replace("Europe/Berlin", "Europe/Berln"), "Europe/Berlin"),
        (ADD.replace("SAA-C03", "XYZ-C01"), "don't know an AWS exam"),
        (ADD.replace("SAA-C03", "SAA-C02"), "retired"),
        (ADD + " domain:astrology", "no domain"),
        (ADD + " reveal_after:soon", "like `12h`"),
    ],
)
async def test_bad_input_is_explained_and_nothing_is_saved(runtime: Runtime, line: str, fragment: str) -> None:
    reply = await runtime.core.handle_line(MOD, line)
    assert reply.title == ERROR
    assert fragment.casefold() in (reply.text.casefold()), reply.text
    assert await _count(runtime, schedules) == 0 and await _count(runtime, audit_log) == 0


@dataclasses.dataclass
class CheckingPoster(FakePoster):
    async def check_channel(self, workspace: str, channel: str) -> PostResult:
        if channel == "locked":
            return PostResult(PostOutcome.MISSING_ACCESS, detail="Missing Permissions")
        return PostResult(PostOutcome.OK)


async def test_a_channel_the_bot_cannot_post_in_is_refused(sqlite_url: str, catalog: Catalog) -> None:
    clock = FixedClock(at("2026-11-27T12:00:00+01:00"))
    async with open_runtime(sqlite_url, clock, catalog, CheckingPoster()) as rt:
        reply = await rt.core.handle_line(MOD, ADD.replace("#study", "#locked"))
        assert reply.title == ERROR and "can't post in" in reply.text and "Invite the bot" in (reply.text)
        assert "can't post in #locked:" in to_plain(reply.text)  # the channel as a reference, not a raw id
        assert await _count(rt, schedules) == 0
        added = await rt.core.handle_line(MOD, ADD)
        assert added.title == "Schedule added" and to_plain(added.text) == "Prompts will appear in #study."


async def test_configured_moderators_count_everywhere(runtime: Runtime) -> None:
    core = runtime.core
    assert (await core.handle_line(MEMBER, "/studyadmin schedule list")).title == ERROR
    await core.handle_line(MOD, "/studyadmin moderators add who:@bob")
    assert (await core.handle_line(MEMBER, "/studyadmin schedule list")).title == "Schedules"
    helper = dataclasses.replace(person("cat"), roles=("5150",))
    assert not await core.is_moderator(helper)
    await core.handle_line(MOD, "/studyadmin moderators add who:<@&5150>")
    assert await core.is_moderator(helper)
    listed = await core.handle_line(MOD, "/studyadmin moderators list")
    assert "bob" in listed.text and "5150" in listed.text
    await core.handle_line(MOD, "/studyadmin moderators remove who:bob")
    assert not await core.is_moderator(MEMBER)
    other_workspace = dataclasses.replace(MEMBER, workspace="w2")
    await core.handle_line(MOD, "/studyadmin moderators add who:bob")
    assert not await core.is_moderator(other_workspace)


async def test_schedule_lifecycle_shows_next_runs_and_is_audited(runtime: Runtime) -> None:
    core = runtime.core
    added = await core.handle_line(MOD, ADD)
    assert "Tue 24 Nov 2026 09:00 CET" in added.fields[0].value  # the fixture's clock: Monday 08:00 UTC
    edited = await core.handle_line(MOD, '/studyadmin schedule edit id:1 cron:"30 7 * * 0" timezone:America/New_York')
    assert "Sun 29 Nov 2026 07:30 EST" in edited.fields[0].value
    paused = await core.handle_line(MOD, "/studyadmin schedule pause id:1")
    assert "Paused" in paused.fields[0].value and "Would next run" in paused.fields[0].value
    assert (await core.handle_line(MOD, "/studyadmin schedule resume id:1")).title == "Schedule resumed"
    preview: Reply = await core.handle_line(MOD, "/studyadmin schedule preview id:1")
    assert preview.title == "Question of the day" and preview.buttons  # no poster here: shown as the reply
    assert (await core.handle_line(MOD, "/studyadmin schedule remove id:1")).title == "Schedule removed"
    assert (await core.handle_line(MOD, "/studyadmin schedule pause id:1")).title == ERROR
    await core.handle_line(MOD, "/studyadmin settings timezone:Asia/Tokyo reveal_after:1h30m")
    audit = await core.handle_line(MOD, "/studyadmin audit limit:10")
    text = audit.text.replace("\\", "")
    for action in ("schedule.add", "schedule.edit", "schedule.pause", "schedule.resume", "schedule.remove", "settings"):
        assert action in text
    assert "cron: 0 9 * * 1-5 → 30 7 * * 0" in text  # what the edit changed, old → new
    assert "reveal minutes: none → 90" in text and "Mo" in text
    assert "paused: no → yes" in text and "paused=False" not in text  # switches in words
    assert "channel: #study" in text  # a channel as members write it


async def test_another_workspace_cannot_see_or_touch_a_schedule(runtime: Runtime) -> None:
    await runtime.core.handle_line(MOD, ADD)
    stranger = dataclasses.replace(MOD, workspace="w2")
    assert (await runtime.core.handle_line(stranger, "/studyadmin schedule remove id:1")).title == ERROR
    assert "No schedules yet" in (await runtime.core.handle_line(stranger, "/studyadmin schedule list")).text


async def test_a_group_target_set_from_another_channel_goes_to_the_group_or_asks(
    sqlite_url: str, catalog: Catalog
) -> None:
    clock = FixedClock(at("2026-11-27T12:00:00+01:00"))
    target = "/studyadmin group target exam:SAA-C03 date:2027-03-01"
    async with open_runtime(sqlite_url, clock, catalog, FakePoster()) as rt:
        core = rt.core
        # No schedule anywhere yet: the channel where it was typed, and the reply says so.
        first = await core.handle_line(MOD, target)
        assert first.title == "Group target set" and "(this channel; no schedule posts anywhere yet)" in first.text
        assert (await core.handle_line(MOD, ADD)).title == "Schedule added"
        # From a moderators' channel, the one channel with a schedule is meant.
        moved = await core.handle_line(person("mo", moderator=True, channel="mods"), target)
        assert to_plain(moved.text).startswith("Channel #study (the channel with the group's schedule):")
        # With schedules in two channels the moderator is asked, and nothing changes.
        await core.handle_line(MOD, ADD.replace("#study", "#night"))
        audit_before = await _count(rt, audit_log)
        asked = await core.handle_line(person("mo", moderator=True, channel="mods"), target.replace("03-01", "04-01"))
        assert asked.title == ERROR and "#night, #study" in to_plain(asked.text) and "channel:#" in asked.text
        assert await _count(rt, audit_log) == audit_before
        # Typed in the group's own channel or with channel:, it is that channel.
        here = await core.handle_line(person("mo", moderator=True, channel="night"), target)
        assert to_plain(here.text).startswith("Channel #night:")
        named = await core.handle_line(person("mo", moderator=True, channel="mods"), target + " channel:#study")
        assert to_plain(named.text).startswith("Channel #study:")


async def test_a_schedule_that_would_double_another_is_refused(runtime: Runtime) -> None:
    """Found by an outside tester: the same schedule added three times (`UTC`, `utc`, `#study` and
    `study`) was accepted each time, so the channel would have had every prompt three times."""
    core = runtime.core
    first = "/studyadmin schedule add channel:#study exam:SAA-C03 preset:weekdays-9am timezone:UTC"
    assert (await core.handle_line(MOD, first)).title == "Schedule added"
    for copy in (
        first,
        "/studyadmin schedule add channel:study exam:SAA-C03 preset:weekdays-9am timezone:utc",
        '/studyadmin schedule add channel:#study exam:SAA-C03 cron:"0 9 * * MON-FRI" timezone:Etc/UTC',
    ):
        reply = await core.handle_line(MOD, copy)
        text = to_plain(reply.text)
        assert reply.title == ERROR and "Schedule #1 already posts SAA-C03 prompts in" in text, (copy, text)
        assert "nothing was added" in text, text
    assert await _count(runtime, schedules) == 1
    await core.handle_line(MOD, "/studyadmin schedule pause id:1")
    paused = to_plain((await core.handle_line(MOD, first)).text)
    assert "Schedule #1 (paused: resume it instead)" in paused, paused
    for other in (  # another time, channel, exam or domain is not a copy
        "/studyadmin schedule add channel:#study exam:SAA-C03 preset:weekdays-9am timezone:Europe/Berlin",
        "/studyadmin schedule add channel:#other exam:SAA-C03 preset:weekdays-9am timezone:UTC",
        "/studyadmin schedule add channel:#study exam:CLF-C02 preset:weekdays-9am timezone:UTC",
    ):
        assert (await core.handle_line(MOD, other)).title == "Schedule added", other
    assert await _count(runtime, schedules) == 4
    # Found by the second outside tester: runs that only partly meet double the prompts they share.
    overlapping = '/studyadmin schedule add channel:#study exam:SAA-C03 cron:"0 9 * * 0,1" timezone:UTC'
    partly = to_plain((await core.handle_line(MOD, overlapping)).text)
    assert "Schedule #1 (paused: resume it instead) already posts SAA-C03 prompts in #study at " in partly, partly
    assert "runs of this one in the next four years, the first Mon " in partly and "nothing was added" in partly
    # A rare cron that meets the other only on a leap day, over a year away (found by the third outside
    # tester): 29 February 2028 is a Tuesday, so the weekday schedule posts then too.
    leap = to_plain((await core.handle_line(MOD, overlapping.replace('"0 9 * * 0,1"', '"0 9 29 2 *"'))).text)
    assert "already posts SAA-C03 prompts in #study at 1 run of this one" in leap and "29 Feb 2028" in leap, leap
    # An edit that makes one schedule meet another is refused the same way, and changes nothing.
    moved = to_plain((await core.handle_line(MOD, "/studyadmin schedule edit id:2 timezone:UTC")).text)
    assert "Schedule #1 (paused: resume it instead) already posts SAA-C03 prompts in #study at these times" in moved
    assert "nothing was changed" in moved, moved
    listed = to_plain(str((await core.handle_line(MOD, "/studyadmin schedule list")).fields))
    assert "Europe/Berlin" in listed and await _count(runtime, schedules) == 4
