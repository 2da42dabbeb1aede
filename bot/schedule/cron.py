"""crontab(5) strings, translated for APScheduler 3.x, and the run times they produce.

Members write cron the way crontab(5) means it: in `0 9 * * 1-5` the weekdays are Monday to Friday,
and 0 and 7 are both Sunday. APScheduler 3.x numbers weekdays from 0 = Monday, so passing the field
through would fire Tuesday to Saturday (platform-limits §3.5; the maintainer cannot fix it in 3.x).
We therefore expand the weekday field to day names before APScheduler sees it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.cron.fields import BaseField

from bot.errors import UserError
from bot.markup import code
from bot.words import plural

PRESETS: dict[str, str] = {
    "weekdays-9am": "0 9 * * 1-5",
    "daily-9am": "0 9 * * *",
    "mon-wed-fri": "0 9 * * 1,3,5",
}
# crontab(5) day numbers; 7 is Sunday again.
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NAME_TO_NUMBER = {name: number for number, name in enumerate(_DAY_NAMES)}
# Prompts closer together than this would flood a channel; a typo like `* 9 * * *` (every minute
# from 9:00 to 9:59) is the usual cause.
MIN_GAP = dt.timedelta(minutes=30)
CRON_HINT = 'Write five fields, minute hour day month weekday, like `cron:"0 9 * * 1-5"` (weekdays at 9:00).'


class InvalidCron(UserError):
    pass


def _day_number(text: str) -> int:
    word = text.strip().casefold()
    if word in _NAME_TO_NUMBER:
        return _NAME_TO_NUMBER[word]
    if word.isdigit() and 0 <= int(word) <= 7:
        return int(word) % 7
    raise InvalidCron(f"{code(text)} is not a weekday.", "Weekdays are 0-7 (0 and 7 are Sunday) or mon…sun.")


def weekday_field(field: str) -> str:
    """A crontab(5) weekday field as APScheduler 3.x day names (`1-5` → `mon,tue,wed,thu,fri`)."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise InvalidCron(f"{code(part)} has a bad step.", CRON_HINT)
            step = int(step_text)
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            start, _, end = base.partition("-")
            first, last = _day_number(start), _day_number(end)
            if end.strip() == "7":
                last = 7  # `5-7` is Friday to Sunday
            if last < first:
                raise InvalidCron(f"{code(part)} runs backwards.", "Write ranges low to high, like `1-5`.")
        else:
            first = _day_number(base)
            last = first if not step_text else 6
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


def resolve(cron: str | None, preset: str | None) -> str:
    """The crontab string of a `cron:` or `preset:` option (exactly one of them)."""
    if cron and preset:
        raise InvalidCron("Give either `cron` or `preset`, not both.", None)
    if preset:
        found = PRESETS.get(preset.strip().casefold())
        if found is None:
            raise InvalidCron(f"There is no preset {code(preset[:40])}.", "Presets: " + ", ".join(map(code, PRESETS)))
        return found
    if not cron:
        raise InvalidCron("Say when: give `cron` or `preset`.", "For example `preset:weekdays-9am`. " + CRON_HINT)
    return " ".join(cron.split())


def make_trigger(cron: str, timezone: str) -> CronTrigger:
    """An APScheduler trigger meaning what `cron` means in crontab(5), in `timezone`."""
    fields = cron.split()
    if len(fields) != 5:
        raise InvalidCron(f"{code(cron[:60])} has {plural(len(fields), 'field')}, not 5.", CRON_HINT)
    minute, hour, day, month, weekday = fields
    if day != "*" and weekday != "*":
        # crontab(5) fires when either matches; APScheduler only when both do. Refuse the ambiguity.
        raise InvalidCron(
            "This cron restricts both the day of the month and the weekday.",
            "crontab and APScheduler disagree on what that means; keep one of them `*`.",
        )
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=weekday_field(weekday),
            timezone=ZoneInfo(timezone),
        )
    except ValueError:
        problem = _field_problem(minute, hour, day, month)
        raise InvalidCron(f"{code(cron[:60])} is not a valid cron: {problem}.", CRON_HINT) from None


# crontab(5) fields APScheduler checks itself, with their bounds; the weekday field is checked above.
_FIELDS: tuple[tuple[str, str, int, int], ...] = (
    ("minute", "minute", 0, 59),
    ("hour", "hour", 0, 23),
    ("day", "day of the month", 1, 31),
    ("month", "month", 1, 12),
)


def _field_problem(minute: str, hour: str, day: str, month: str) -> str:
    """Which field APScheduler refused, in a moderator's words ("the minute must be 0 to 59") rather
    than its own ("Error validating expression '61': the last value (61) is higher than ...")."""
    for (name, words, low, high), value in zip(_FIELDS, (minute, hour, day, month), strict=True):
        try:
            CronTrigger(**{name: value})
        except ValueError as exc:
            reason = str(exc)
            if "in a range" in reason:
                return f"the {words} {code(value[:20])} is a range that ends before it starts"
            if "maximum value" in reason or "minimum value" in reason:
                return f"the {words} must be {low} to {high}, not {code(value[:20])}"
            if "Increment" in reason or "step" in reason:
                return f"the {words} {code(value[:20])} has a step of 0"
            return f"the {words} {code(value[:20])} is not a number, a range like 1-5, a list like 1,15 or `*`"
    return "APScheduler cannot read it"


def occurrences(trigger: CronTrigger, after: dt.datetime, until: dt.datetime, limit: int = 500) -> list[dt.datetime]:
    """Fire times in (after, until], in UTC, as APScheduler produces them (repeats included)."""
    out: list[dt.datetime] = []
    previous: dt.datetime | None = None
    # Walk in UTC: adding a timedelta to a local time in the repeated hour drops its `fold` and
    # jumps back an hour, which would loop forever on a fall-back night.
    cursor = after + dt.timedelta(seconds=1)
    while len(out) < limit:
        fire = trigger.get_next_fire_time(previous, cursor)
        if fire is None:
            break
        fire_utc = fire.astimezone(dt.UTC)
        if fire_utc > until:
            break
        if fire_utc > after and (not out or fire_utc > out[-1]):
            out.append(fire_utc)
        previous = fire
        cursor = max(fire_utc, cursor) + dt.timedelta(seconds=1)
    return out


_DAY_FIELDS = frozenset({"year", "month", "day", "week", "day_of_week"})
_BY_VALUE = frozenset({"month", "day_of_week"})  # fields whose match depends on their own value only
LEAP_CYCLE = dt.timedelta(days=4 * 366)
"""Far enough ahead to meet every calendar day once, 29 February included."""


def next_runs(
    trigger: CronTrigger, after: dt.datetime, count: int = 3, horizon: dt.timedelta = LEAP_CYCLE
) -> list[dt.datetime]:
    """The next `count` distinct wall-clock runs after `after` (a repeated hour counts once), looked for
    over a leap cycle, so `0 9 29 2 *` still shows when it runs next."""
    seen: dict[str, dt.datetime] = {}
    zone = trigger.timezone
    until = after + horizon
    cursor = after
    while len(seen) < count:
        batch = occurrences(trigger, cursor, until, limit=count * 2)
        if not batch:
            break
        for fire in batch:
            seen.setdefault(wall_key(fire, zone), fire)
        cursor = batch[-1]
    return sorted(seen.values())[:count]


def check_gap(trigger: CronTrigger, after: dt.datetime) -> None:
    """Refuse a cron that never fires in the next leap cycle, or that fires twice within 30 minutes of
    real time on any day of it (`* * 29 2 *` looks harmless for three years, then posts every minute).

    Computed, not sampled: crontab fires at the same wall-clock times (minute × hour) on every day it
    fires, so the only gaps are those between a day's times, from one day's last time to the next
    day's first when both days fire, and what a DST change does around its day (a spring-forward
    shortens the gap across it by the hour it skips). Every day of the next 1,464 (so 29 February is
    met) is matched against the day fields; only days beside a DST change are walked minute by minute.
    """
    minutes = _values(trigger, "minute", 60)
    times = [h * 60 + m for h in _values(trigger, "hour", 24) for m in minutes]
    zone = trigger.timezone
    start = after.astimezone(zone).date()
    span = [start + dt.timedelta(days=i) for i in range(LEAP_CYCLE.days + 2)]
    shifted = _offset_changes(zone, span)
    fires = _firing_days(trigger, span[:-1])
    if not times or not fires:
        raise InvalidCron(
            "That cron never fires (no such day in the next four years).",
            "Check the day and month fields, for example `0 9 1 * *` for the first of every month.",
        )
    gap = int(MIN_GAP.total_seconds() // 60)
    steady = [day for day in sorted(fires) if day not in shifted]
    close = next(((a, b) for a, b in itertools.pairwise(times) if b - a < gap), None)
    if steady and close:
        # The same wall-clock gap on every day it fires: shown on the first day it is still ahead.
        ahead = next((d for d in steady if _real(zone, d, list(close))[0] > after), steady[0])
        _close(_real(zone, ahead, list(close)), zone)
    cross = 24 * 60 - (times[-1] - times[0])
    one = dt.timedelta(days=1)
    if cross < gap:
        for day in steady:
            if day + one in fires and day + one not in shifted:
                _close(_real(zone, day, times[-1:]) + _real(zone, day + one, times[:1]), zone)
    for change in sorted(shifted):
        around = [day for day in (change - one, change, change + one) if day in fires]
        _close([run for day in around for run in _real(zone, day, times)], zone)


def _offset_changes(zone: dt.tzinfo, span: list[dt.date]) -> set[dt.date]:
    """The days of `span` (but its last) whose midnight has another UTC offset than the next day's: the
    days of a DST change. Offsets are compared a week apart (no zone changes twice within a week), and
    day by day only where they differ."""

    def offset(day: dt.date) -> dt.timedelta | None:
        return dt.datetime.combine(day, dt.time(), tzinfo=zone).utcoffset()

    changes: set[dt.date] = set()
    last = len(span) - 1
    for begin in range(0, last, 7):
        end = min(begin + 7, last)
        if offset(span[begin]) != offset(span[end]) or end - begin < 7:
            changes.update(span[i] for i in range(begin, end) if offset(span[i]) != offset(span[i + 1]))
    return changes


def _close(runs: list[dt.datetime], zone: dt.tzinfo) -> None:
    """Raise for the first two consecutive `runs` less than MIN_GAP apart."""
    for earlier, later in itertools.pairwise(runs):
        if later - earlier < MIN_GAP:
            raise InvalidCron(
                "That cron would post more than once every 30 minutes "
                f"({format_local(earlier, str(zone))} and {format_local(later, str(zone))}).",
                "Fix the minute field, for example `0 9 * * *` rather than `* 9 * * *`.",
            )


def _values(trigger: CronTrigger, name: str, count: int) -> list[int]:
    """The values 0…count-1 an hour or minute field matches."""
    (field,) = (f for f in trigger.fields if f.name == name)
    moments = (dt.datetime(2000, 1, 3, v, 0) if name == "hour" else dt.datetime(2000, 1, 3, 0, v) for v in range(count))
    return [moment.hour if name == "hour" else moment.minute for moment in moments if _matches(field, moment)]


def _firing_days(trigger: CronTrigger, days: list[dt.date]) -> set[dt.date]:
    """The `days` the day fields (day, month, weekday, week, year) let `trigger` fire on. Whether a
    month or a weekday matches depends on its value alone, so each is asked once, not once a day."""
    fields = [f for f in trigger.fields if f.name in _DAY_FIELDS and str(f) != "*"]
    if not fields:
        return set(days)
    known: dict[tuple[str, int], bool] = {}
    out = set()
    for day in days:
        moment = dt.datetime(day.year, day.month, day.day)
        for field in fields:
            if field.name in _BY_VALUE:
                key = (field.name, field.get_value(moment))
                if key not in known:
                    known[key] = _matches(field, moment)
                if not known[key]:
                    break
            elif not _matches(field, moment):
                break
        else:
            out.add(day)
    return out


def _matches(field: BaseField, moment: dt.datetime) -> bool:
    return bool(field.get_next_value(moment) == field.get_value(moment))


def _real(zone: dt.tzinfo, day: dt.date, minutes: list[int]) -> list[dt.datetime]:
    """The UTC instants of wall-clock `minutes` on `day` as they are delivered: a time a spring-forward
    skips is not fired (APScheduler skips it), a repeated one is posted once, at its first occurrence."""
    out = []
    for minute in minutes:
        local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)
        real = local.astimezone(dt.UTC)
        if real.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
            out.append(real)
    return out


def wall_key(fire: dt.datetime, zone: dt.tzinfo | str) -> str:
    """Local date and wall-clock time: the same for both firings of a repeated (fall-back) hour."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return fire.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def format_local(fire: dt.datetime, zone: str) -> str:
    local = fire.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b %Y %H:%M} {local.tzname()}"
