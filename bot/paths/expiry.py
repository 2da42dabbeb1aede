"""Expiry dates of held certifications: three years from passing, extended by a renewing pass.

Pure date arithmetic, shared by `/mycerts`, `/path` and the reminders. AWS's rule (fact sheet §3.1):
a certification is valid for its exam's validity (three years) from the day it was earned; passing
the newer version of the same exam, or a higher exam listed as renewing it, while it is still active
makes it run for three years from that pass. An expired certification cannot be renewed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.catalog.models import Exam
from bot.paths.loader import PathRules
from bot.paths.planner import current_version


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True, slots=True)
class Held:
    """One row of `/mycerts`, as the expiry rules need it."""

    exam: str
    passed_on: dt.date
    expires_on: dt.date  # pass date plus validity, before any renewal


@dataclass(frozen=True, slots=True)
class Expiry:
    expires_on: dt.date
    renewed_by: str | None = None  # the exam whose pass set the current date, when not this one
    renewed_on: dt.date | None = None

    def days_left(self, today: dt.date) -> int:
        return (self.expires_on - today).days

    def expired(self, today: dt.date) -> bool:
        return today > self.expires_on


def renewers(exams: Mapping[str, Exam], rules: PathRules) -> dict[str, frozenset[str]]:
    """For each exam code, the exams whose pass renews a certification earned on it."""
    by_current: dict[str, set[str]] = {}
    for plan in rules.exams.values():
        for renewed in plan.renews:
            by_current.setdefault(renewed, set()).add(plan.exam)
    out: dict[str, frozenset[str]] = {}
    for code in exams:
        current = current_version(code, exams)
        found = set(by_current.get(current, ())) if current else set()
        if current is not None and current != code:
            found.add(current)  # the newer version of the same exam renews the old one
        out[code] = frozenset(found)
    return out


def expiry_of(cert: Held, held: Iterable[Held], renewing: Mapping[str, frozenset[str]], validity: int = 3) -> Expiry:
    """When `cert` expires, given everything else the member holds."""
    result = Expiry(cert.expires_on)
    wanted = renewing.get(cert.exam, frozenset())
    for other in sorted((h for h in held if h.exam in wanted), key=lambda h: h.passed_on):
        if cert.passed_on < other.passed_on <= result.expires_on:
            extended = add_years(other.passed_on, validity)
            if extended > result.expires_on:
                result = Expiry(extended, other.exam, other.passed_on)
    return result


def expiries(held: list[Held], renewing: Mapping[str, frozenset[str]], exams: Mapping[str, Exam]) -> dict[str, Expiry]:
    """`expiry_of` for every certification a member holds, keyed by exam code."""
    out: dict[str, Expiry] = {}
    for cert in held:
        exam = exams.get(cert.exam)
        out[cert.exam] = expiry_of(cert, held, renewing, exam.validity_years if exam else 3)
    return out
