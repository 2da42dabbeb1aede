"""Numbers shown to members: mock scores, readiness, streaks. Pure functions, no store.

AWS reports a scaled score from 100 to 1000 and publishes only the passing mark (700, 720 or 750),
not how raw answers map to it. Our estimate is deliberately simple and always labelled as one: a
straight line from 0 % correct at 100 to `PASS_SHARE` at the passing mark, and on to 100 % at 1000.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.catalog.models import Exam

PASS_SHARE = 0.72  # the share of correct answers we assume sits at the passing mark
MEETS_SHARE = PASS_SHARE  # a domain "meets" at the share that would pass the whole exam


def scaled_estimate(share: float, passing: int) -> int:
    """A rough 100–1000 score for a share correct; see the module docstring for the assumption."""
    share = min(max(share, 0.0), 1.0)
    if share <= PASS_SHARE:
        score = 100 + (passing - 100) * share / PASS_SHARE
    else:
        score = passing + (1000 - passing) * (share - PASS_SHARE) / (1 - PASS_SHARE)
    return round(score)


def passing_mark(exam: Exam) -> int:
    """The exam's passing mark, or AWS's usual one for its level when the catalog lacks it."""
    if exam.passing_score:
        return exam.passing_score
    return {"foundational": 700, "associate": 720}.get(exam.level, 750)


@dataclass(frozen=True, slots=True)
class DomainScore:
    name: str
    weight: int
    answered: int
    correct: int

    @property
    def share(self) -> float:
        return self.correct / self.answered if self.answered else 0.0

    @property
    def meets(self) -> bool:
        return self.answered > 0 and self.share >= MEETS_SHARE


def domain_scores(exam: Exam, tallies: Mapping[str, tuple[int, int]]) -> list[DomainScore]:
    """Per guide domain (answered, correct), in guide order; domains without answers included."""
    folded = {name.casefold(): value for name, value in tallies.items()}
    return [DomainScore(d.name, d.weight, *folded.get(d.name.casefold(), (0, 0))) for d in exam.domains]


Z95 = 1.959964  # the normal quantile of a two-sided 95 % interval
ENOUGH_ANSWERS = 5  # fewer answers in a domain than this, and its range says little


def wilson(correct: int, answered: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a share correct: honest at small counts and at 0 % or 100 %, where
    the plain ± interval collapses to a point; no answers at all is the whole range."""
    if answered <= 0:
        return 0.0, 1.0
    p = correct / answered
    denominator = 1 + z * z / answered
    centre = (p + z * z / (2 * answered)) / denominator
    half = z * math.sqrt(p * (1 - p) / answered + z * z / (4 * answered * answered)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class Readiness:
    """Weighted domain accuracy, the range it could really be in, and how much it rests on."""

    share: float | None  # None: no answers at all
    answered: int
    covered_weight: int  # percent of the exam's weight with at least one answer
    domains_covered: int
    domains_total: int
    low: float = 0.0  # each domain's 95 % Wilson interval, combined by the guide's weights
    high: float = 1.0
    thin: tuple[tuple[str, int], ...] = ()  # (domain, answers) of domains with fewer than ENOUGH_ANSWERS

    @property
    def evidence(self) -> str:
        if self.answered < 20 or self.covered_weight < 50:
            return "very little evidence"
        if self.answered < 100 or self.covered_weight < 100:
            return "some evidence"
        return "solid evidence"


def readiness(scores: Iterable[DomainScore]) -> Readiness:
    """Domain accuracy weighted by the guide's weights, over the domains that have answers.

    Domains without answers are left out of the average rather than counted as zero, and the
    result says how much of the exam's weight it covers, so a member sees both the estimate and
    how little (or much) it rests on.
    """
    scores = list(scores)
    seen = [s for s in scores if s.answered]
    answered = sum(s.answered for s in scores)
    covered = sum(s.weight for s in seen)
    share = sum(s.share * s.weight for s in seen) / covered if covered else None
    # The range counts every domain at its weight, one without answers as anywhere from 0 to 100 %:
    # so it narrows only as the evidence grows, domain by domain. Adding the bounds is conservative
    # (the domains' errors are treated as moving together), which suits a "could you pass" question.
    total = sum(s.weight for s in scores) or 1
    bounds = [(wilson(s.correct, s.answered), s.weight) for s in scores]
    low = sum(lo * w for (lo, _hi), w in bounds) / total
    high = sum(hi * w for (_lo, hi), w in bounds) / total
    thin = tuple((s.name, s.answered) for s in scores if s.answered < ENOUGH_ANSWERS)
    return Readiness(share, answered, covered, len(seen), len(scores), low, high, thin)


@dataclass(frozen=True, slots=True)
class Streak:
    current: int
    best: int
    active_today: bool


STREAK_MILESTONES = (7, 14, 30, 60, 100, 200, 365)


def milestone_reached(days: Iterable[dt.date], first: dt.date, end: dt.date) -> int | None:
    """The longest streak milestone (`STREAK_MILESTONES`) a member's daily streak reached on one of the
    local days in [first, end), or None. Each milestone is reached on exactly one day of a run, so
    consecutive weekly digests, whose day ranges meet, each celebrate it once.

    Args:
        days: the member's local days with at least one answer (any order; days from `end` on are ignored).
        first: the first local day of the digest's week.
        end: the day after its last.
    """
    ordered = sorted({d for d in days if d < end})
    best: int | None = None
    run = 0
    previous: dt.date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        previous = day
        if day >= first and run in STREAK_MILESTONES:
            best = max(best or 0, run)
    return best


def streak(times: Iterable[dt.datetime], zone: str, now: dt.datetime) -> Streak:
    """Daily streaks counted in the member's own timezone.

    A day counts when it has at least one answer. The current streak is still alive until the end
    of the member's day after their last active day, so an evening member is not told at 00:30 UTC
    that they broke it.
    """
    tz = ZoneInfo(zone)
    days = sorted({t.astimezone(tz).date() for t in times})
    if not days:
        return Streak(0, 0, False)
    best = run = 1
    for before, after in itertools.pairwise(days):
        run = run + 1 if (after - before).days == 1 else 1
        best = max(best, run)
    today = now.astimezone(tz).date()
    current = 0
    if days[-1] >= today - dt.timedelta(days=1):
        current = 1
        for index in range(len(days) - 1, 0, -1):
            if (days[index] - days[index - 1]).days != 1:
                break
            current += 1
    return Streak(current, best, days[-1] == today)


# -- a group's domains (issue 18) -----------------------------------------------------------------
# A group's accuracy in a domain with few answers says little: three wrong answers are not a weak spot.
# Each domain's share is therefore shrunk toward the group's overall share by `PRIOR_ANSWERS` imagined
# answers at that share (the mean of a Beta posterior whose prior is the group's mean), and its
# uncertainty is that posterior's spread; both feed the weakest-domain draw and the readiness range.

PRIOR_ANSWERS = 20  # how many answers at the group's mean a domain's own answers are weighed against
Z_90 = 1.645  # a 90% range: wide enough to be honest about little evidence, narrow enough to be useful


@dataclass(frozen=True, slots=True)
class Shrunk:
    """A domain's guide weight, its raw tallies and its shrunk share with that share's variance."""

    name: str
    weight: int
    answered: int
    correct: int
    share: float
    variance: float


def shrink(scores: Iterable[DomainScore], prior_answers: int = PRIOR_ANSWERS) -> list[Shrunk]:
    """Each domain's share pulled toward the group's overall share, the fewer its answers the more.

    With no answers at all the overall share is a coin's (1 correct in 2), so every domain is alike.
    """
    scores = list(scores)
    answered = sum(s.answered for s in scores)
    mean = (sum(s.correct for s in scores) + 1) / (answered + 2)
    out = []
    for s in scores:
        k = s.answered + prior_answers
        share = (s.correct + prior_answers * mean) / k
        out.append(Shrunk(s.name, s.weight, s.answered, s.correct, share, share * (1 - share) / (k + 1)))
    return out


@dataclass(frozen=True, slots=True)
class GroupReadiness:
    """The group's guide-weighted share as a range, and what it rests on."""

    low: float
    middle: float
    high: float
    answered: int
    domains_covered: int
    domains_total: int


def group_readiness(scores: Iterable[DomainScore]) -> GroupReadiness | None:
    """A 90% range for the share the group would get on the whole exam, weighted by the guide.

    Domains are shrunk first (`shrink`), so one without answers counts at the group's mean with a wide
    spread instead of being left out: little evidence shows as a wide range, not as a confident number.
    None when the group has no answers at all.
    """
    scores = list(scores)
    if not any(s.answered for s in scores):
        return None
    shrunk = shrink(scores)
    total = sum(s.weight for s in shrunk) or 1
    middle = sum(s.share * s.weight for s in shrunk) / total
    spread = Z_90 * sum((s.weight / total) ** 2 * s.variance for s in shrunk) ** 0.5
    return GroupReadiness(
        max(0.0, middle - spread),
        middle,
        min(1.0, middle + spread),
        sum(s.answered for s in shrunk),
        sum(1 for s in shrunk if s.answered),
        len(shrunk),
    )
