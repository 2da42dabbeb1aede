"""Time as a dependency, so tests can stand on a DST change day without waiting for one."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Protocol

UTC = dt.UTC


class Clock(Protocol):
    """Anything that tells the current time as a timezone-aware UTC datetime."""

    def now(self) -> dt.datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to; for tests and `deliver-due --now`."""

    def __init__(self, at: dt.datetime) -> None:
        self._at = ensure_utc(at)

    def now(self) -> dt.datetime:
        return self._at

    def set(self, at: dt.datetime) -> None:
        self._at = ensure_utc(at)

    def advance(self, delta: dt.timedelta) -> None:
        self._at += delta


def ensure_utc(value: dt.datetime) -> dt.datetime:
    """Reject naive datetimes: a naive time is ambiguous, and the store promises tz-aware UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} where an aware one is required")
    return value.astimezone(UTC)


NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
"""Names the system's zoneinfo folder holds that are no place: this machine's own zone (`localtime`, a
copy of /etc/localtime), a template for POSIX TZ strings, and the "local time zone must be set" zone."""


def zone_names() -> frozenset[str]:
    """The timezones a member, schedule or workspace may choose: IANA area/location names (and the
    IANA links such as `UTC`), without the system's non-places and its `posix/` and `right/` copies."""
    return frozenset(
        z for z in zoneinfo.available_timezones() if z not in NOT_ZONES and not z.startswith(("posix/", "right/"))
    )
