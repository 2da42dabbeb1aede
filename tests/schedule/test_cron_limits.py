"""Cron limits (issue 14): the 30-minute gap is checked over a whole leap cycle, in real time (DST
changes included), and a cron that never fires is refused; each check takes milliseconds."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
import time
from zoneinfo import ZoneInfo

import pytest

from bot.commands.dispatch import Core
from bot.schedule.cron import LEAP_CYCLE, MIN_GAP, InvalidCron, check_gap, make_trigger, occurrences, wall_key
from tests.conftest import person

UTC = dt.UTC
START = dt.datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def verdict(cron: str, zone: str = "UTC", after: dt.datetime = START) -> str:
    try:
        check_gap(make_trigger(cron, zone), after)
    except InvalidCron as exc:
        return exc.message
    return "ok"


def brute_force(cron: str, zone: str, after: dt.datetime) -> str:
    """Every run APScheduler produces over the same days, one post per wall-clock time (as delivered)."""
    trigger = make_trigger(cron, zone)
    first_day = dt.datetime.combine(after.astimezone(ZoneInfo(zone)).date(), dt.time(), tzinfo=ZoneInfo(zone))
    begin = first_day.astimezone(UTC) - dt.timedelta(seconds=1)
    fires = occurrences(trigger, begin, first_day.astimezone(UTC) + LEAP_CYCLE + dt.timedelta(days=1), limit=10**6)
    posts: dict[str, dt.datetime] = {}
    for fire in fires:
        posts.setdefault(wall_key(fire, zone), fire)
    runs = sorted(posts.values())
    if not runs:
        return "never fires"
    if any(b - a < MIN_GAP for a, b in itertools.pairwise(runs)):
        return "more than once every 30 minutes"
    return "ok"


@pytest.mark.parametrize(
    "after",
    [
        START,
        dt.datetime(2028, 3, 1, tzinfo=UTC),  # just after a leap day: the next is four years away
        dt.datetime(2028, 2, 29, 12, tzinfo=UTC),  # during one
    ],
)
def test_every_minute_on_leap_days_is_refused_from_any_day(after: dt.datetime) -> None:
    assert "more than once every 30 minutes" in verdict("* * 29 2 *", after=after)
    assert verdict("0 9 29 2 *", after=after) == "ok"


@pytest.mark.parametrize("cron", ["0 0 31 2 *", "0 0 30 2 *", "0 9 31 4 *", "0 9 31 6,9,11 *", "0 9 30-31 2 *"])
def test_a_cron_that_never_fires_is_refused(cron: str) -> None:
    assert "never fires" in verdict(cron)


@pytest.mark.parametrize(
    ("cron", "zone", "says"),
    [
        # Fine on every day but one: 23:45 on 29 February 2028, then 00:00 on 1 March. The first 20 runs
        # (all the check looked at before) end before it.
        ("0,45 0,23 1,29 2,3 *", "UTC", "(Tue 29 Feb 2028 23:45 UTC and Wed 01 Mar 2028 00:00 UTC)"),
        # 80 minutes apart on the clock; on the spring-forward night 01:50 CET to 03:10 CEST is 20 minutes.
        ("10,50 1,3 * * *", "Europe/Berlin", "(Sun 28 Mar 2027 01:50 CET and Sun 28 Mar 2027 03:10 CEST)"),
        ("10,50 1,3 * * *", "America/New_York", "(Sun 14 Mar 2027 01:50 EST and Sun 14 Mar 2027 03:10 EDT)"),
        # 23:40 to 00:00 the next day, every day.
        ("0,40 0,23 * * *", "UTC", "(Mon 23 Nov 2026 23:40 UTC and Tue 24 Nov 2026 00:00 UTC)"),
    ],
)
def test_gaps_are_checked_in_real_time_on_every_day_of_the_cycle(cron: str, zone: str, says: str) -> None:
    assert verdict(cron, zone).endswith(f"more than once every 30 minutes {says}.")


@pytest.mark.parametrize(
    ("cron", "zone"),
    [
        ("10,50 1,3 * * *", "UTC"),  # no DST: 40 and 80 minutes apart, always
        ("30 1,3 * * *", "Europe/Berlin"),  # an hour apart on the spring-forward night
        ("0,30 * * * *", "Europe/Berlin"),  # exactly 30 minutes is allowed
        ("30 2 * * *", "Europe/Berlin"),  # skipped on the spring-forward night, once on the fall-back one
        ("0 9 * * 1-5", "America/New_York"),
        ("0 0,12 29 2 *", "Australia/Lord_Howe"),  # a half-hour DST shift
    ],
)
def test_crons_that_keep_their_distance_pass(cron: str, zone: str) -> None:
    assert verdict(cron, zone) == "ok"


@pytest.mark.parametrize(
    ("cron", "zone"),
    [
        ("0,45 0,23 1,29 2,3 *", "UTC"),
        ("10,50 1,3 * * *", "Europe/Berlin"),
        ("10,50 1,3 * * *", "UTC"),
        ("30 2 * * *", "Europe/Berlin"),
        ("0,30 1,2 * * 0", "Australia/Lord_Howe"),
        ("45 1 * 3,10 *", "America/Havana"),  # changes at midnight
        ("0 0 29 2 *", "UTC"),
        ("0 0 31 2 *", "UTC"),
        ("0,40 0,23 * * *", "UTC"),
    ],
)
def test_the_computed_verdict_is_what_every_run_of_the_cycle_shows(cron: str, zone: str) -> None:
    """The check against its oracle: every APScheduler run over the same 1,465 days."""
    expected = brute_force(cron, zone, START)
    got = verdict(cron, zone)
    assert expected if expected == "ok" else expected in got, (got, expected)
    assert got == "ok" or expected != "ok", got


def test_each_check_takes_milliseconds() -> None:
    """Over 1,464 days, even for a cron that never fires (which walked APScheduler for 0.2-0.3 s)."""
    for cron in ("0 0 31 2 *", "0 9 * * 1-5", "* * 29 2 *", "0 */1 * * *"):
        trigger = make_trigger(cron, "Europe/Berlin")
        seconds = []
        for _ in range(5):
            began = time.perf_counter()
            try:
                check_gap(trigger, START)
            except InvalidCron:
                pass
            seconds.append(time.perf_counter() - began)
        assert statistics.median(seconds) < 0.1, (cron, seconds)


async def test_schedule_add_refuses_them_and_saves_nothing(core: Core) -> None:
    moderator = person("mo", moderator=True)
    for cron in ("* * 29 2 *", "0 0 31 2 *", "0 0 30 2 *", "0,45 0,23 1,29 2,3 *"):
        reply = await core.handle_line(moderator, f'/studyadmin schedule add exam:saa cron:"{cron}" channel:study')
        assert reply.title == "That didn't work", (cron, reply.text)
    listed = await core.handle_line(moderator, "/studyadmin schedule list")
    assert "#1" not in listed.text, listed.text
