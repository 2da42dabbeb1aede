"""crontab(5) meaning, pinned: weekday numbers, presets, DST change days, and friendly errors."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.schedule.cron import (
    InvalidCron,
    check_gap,
    make_trigger,
    next_runs,
    occurrences,
    resolve,
    wall_key,
    weekday_field,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0", "sun"),
        ("7", "sun"),
        ("0,7", "sun"),
        ("6,0", "sun,sat"),
        ("5-7", "sun,fri,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("1,3,5", "mon,wed,fri"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("*", "*"),
    ],
)
def test_crontab_weekdays_become_day_names(field: str, names: str) -> None:
    assert weekday_field(field) == names


def test_weekdays_9am_is_monday_to_friday_not_tuesday_to_saturday() -> None:
    """APScheduler 3.x alone would fire `1-5` on Tue-Sat (platform-limits §3.5)."""
    trigger = make_trigger(resolve(None, "weekdays-9am"), "America/New_York")
    runs = next_runs(trigger, dt.datetime(2026, 3, 6, 0, 0, tzinfo=UTC), 6)  # from Friday 6 March
    days = [r.astimezone(trigger.timezone).strftime("%a %H:%M") for r in runs]
    assert days == ["Fri 09:00", "Mon 09:00", "Tue 09:00", "Wed 09:00", "Thu 09:00", "Fri 09:00"]


def test_sunday_is_both_0_and_7() -> None:
    start = dt.datetime(2026, 11, 23, tzinfo=UTC)  # a Monday
    for field in ("0", "7"):
        (run,) = next_runs(make_trigger(f"0 9 * * {field}", "UTC"), start, 1)
        assert run == dt.datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "utc_hour"),
    [
        ("Europe/Berlin", dt.date(2026, 3, 28), 8),  # CET, the day before spring forward
        ("Europe/Berlin", dt.date(2026, 3, 29), 7),  # CEST from 29 March
        ("Europe/Berlin", dt.date(2026, 10, 24), 7),
        ("Europe/Berlin", dt.date(2026, 10, 25), 8),  # back to CET
        ("America/New_York", dt.date(2026, 3, 7), 14),
        ("America/New_York", dt.date(2026, 3, 8), 13),
        ("America/New_York", dt.date(2026, 10, 31), 13),
        ("America/New_York", dt.date(2026, 11, 1), 14),
    ],
)
def test_nine_oclock_fires_once_at_nine_local_around_each_change(zone: str, day: dt.date, utc_hour: int) -> None:
    trigger = make_trigger("0 9 * * *", zone)
    start = dt.datetime.combine(day, dt.time(0), UTC) - dt.timedelta(hours=12)
    fires = [f for f in occurrences(trigger, start, start + dt.timedelta(hours=36)) if f.date() == day]
    assert fires == [dt.datetime.combine(day, dt.time(utc_hour), UTC)]
    assert wall_key(fires[0], zone) == f"{day.isoformat()}T09:00"


def test_a_repeated_time_fires_twice_in_apscheduler_but_has_one_key() -> None:
    trigger = make_trigger("30 2 * * *", "Europe/Berlin")
    start = dt.datetime(2026, 10, 24, 12, tzinfo=UTC)
    fires = occurrences(trigger, start, start + dt.timedelta(days=1))
    assert fires == [dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC), dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)]
    assert {wall_key(f, "Europe/Berlin") for f in fires} == {"2026-10-25T02:30"}
    assert len(next_runs(trigger, start, 2)) == 2  # the preview counts it once: 25 and 26 October


def test_a_time_that_does_not_exist_fires_once() -> None:
    trigger = make_trigger("30 2 * * *", "America/New_York")
    start = dt.datetime(2026, 3, 7, 12, tzinfo=UTC)
    assert occurrences(trigger, start, start + dt.timedelta(days=1)) == [dt.datetime(2026, 3, 8, 7, 30, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("cron", "fragment"),
    [
        ("0 9 * *", "4 fields"),
        ("0 25 * * *", "not a valid cron"),
        ("0 9 1 * 1", "both the day of the month and the weekday"),
        ("0 9 * * 8", "not a weekday"),
        ("0 9 * * 5-1", "backwards"),
    ],
)
def test_bad_cron_is_a_friendly_error(cron: str, fragment: str) -> None:
    with pytest.raises(InvalidCron) as caught:
        make_trigger(cron, "UTC")
    assert fragment in caught.value.message


def test_cron_or_preset() -> None:
    assert resolve(None, "mon-wed-fri") == "0 9 * * 1,3,5"
    assert resolve("  0  9 * * 1-5 ", None) == "0 9 * * 1-5"
    for cron, preset in ((None, None), ("0 9 * * *", "daily-9am"), (None, "hourly")):
        with pytest.raises(InvalidCron):
            resolve(cron, preset)


@pytest.mark.parametrize(
    ("cron", "fragment"),
    [
        ("* * 29 2 *", "more than once every 30 minutes"),  # quiet for years, then every minute on leap day
        ("0,10 9 29 2 *", "more than once every 30 minutes"),
        ("0 0 31 2 *", "never fires"),
        ("0 0 30 2 *", "never fires"),
    ],
)
def test_crons_are_checked_over_a_whole_leap_cycle(cron: str, fragment: str) -> None:
    with pytest.raises(InvalidCron) as caught:
        check_gap(make_trigger(cron, "UTC"), dt.datetime(2026, 12, 2, tzinfo=UTC))
    assert fragment in caught.value.message


def test_a_yearly_leap_day_cron_is_fine() -> None:
    check_gap(make_trigger("0 9 29 2 *", "Europe/Berlin"), dt.datetime(2026, 12, 2, tzinfo=UTC))


def test_a_rare_cron_still_shows_when_it_runs_next() -> None:
    """Found by the second outside tester: `0 9 29 2 *` showed an empty "Next runs"; they are looked for
    over a whole leap cycle now."""
    runs = next_runs(make_trigger("0 9 29 2 *", "UTC"), dt.datetime(2026, 12, 6, tzinfo=UTC))
    assert runs == [dt.datetime(2028, 2, 29, 9, 0, tzinfo=UTC)]


def test_a_too_frequent_cron_is_explained_with_runs_still_ahead() -> None:
    """The example pair of a cron refused for posting every minute is never already past."""
    after = dt.datetime(2026, 12, 6, 21, 30, tzinfo=UTC)
    with pytest.raises(InvalidCron) as refused:
        check_gap(make_trigger("* * * * *", "UTC"), after)
    assert "(Mon 07 Dec 2026 00:00 UTC and Mon 07 Dec 2026 00:01 UTC)" in str(refused.value), refused.value
