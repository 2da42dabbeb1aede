"""A schedule's focus: from which exam domain each prompt is drawn, and the sentence that says why.

`weighted` (the default) draws domains in the exam guide's proportions, `even` gives each domain the same
chance, and `weakest` leans toward the domains where the channel answered worst in the last 30 days. A
domain's accuracy is shrunk toward the group's mean first (`bot.practice.scoring.shrink`), so a domain with
three answers does not take over, and a quarter of every draw still follows the guide's weights, so no
domain is ever starved. A schedule aimed at one domain (`focus:<domain>`) keeps it in its `domain` column,
the one place a schedule's domain lives.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.catalog.exams import find_domain
from bot.catalog.models import Domain, Exam
from bot.errors import InvalidOption
from bot.markup import code, esc
from bot.practice.scoring import DomainScore, shrink
from bot.words import plural

WEAKEST, WEIGHTED, EVEN = "weakest", "weighted", "even"
MODES = (WEAKEST, WEIGHTED, EVEN)
DEFAULT = WEIGHTED
WINDOW = dt.timedelta(days=30)  # how far back `weakest` looks at the channel's answers
WINDOW_WORDS = "in the last 30 days"
FLOOR = 0.25  # the share of a `weakest` draw that follows the guide's weights: every domain keeps a chance
SHARPNESS = 2  # how strongly a higher miss rate pulls: chance ∝ weight × (miss rate) ** SHARPNESS


def resolve(exam: Exam, text: str) -> tuple[str, Domain | None]:
    """`weakest`, `weighted`, `even`, or one of the exam's domains (by number, name or a few words).

    Raises:
        InvalidOption: anything else, listing every choice.
    """
    wanted = text.strip().casefold()
    if wanted in MODES:
        return wanted, None
    found = find_domain(exam, text) if wanted else None
    if found is None:
        names = ", ".join(f"{i}. {esc(d.name)}" for i, d in enumerate(exam.domains, start=1))
        raise InvalidOption(
            f"{code('focus')} can't be {code(text[:40])}.",
            f"Choose {code(WEAKEST)}, {code(WEIGHTED)} (the default), {code(EVEN)}, "
            f"or one of the {exam.code} domains: {names}.",
        )
    return DEFAULT, found


def words(mode: str, domain: str | None) -> str:
    """How a schedule's focus reads in its description."""
    if domain:
        return f"focus on {esc(domain)}"
    return {
        WEAKEST: "focus on the group's weakest domains",
        WEIGHTED: "domains as weighted in the exam guide",
        EVEN: "every domain equally",
    }[mode]


@dataclass(frozen=True, slots=True)
class Draw:
    """The domain a prompt comes from, and the sentence its reveal shows about why."""

    domain: str
    note: str


def chances(mode: str, scores: Sequence[DomainScore]) -> dict[str, float]:
    """Each domain's chance of being drawn (they add up to 1), over the domains given."""
    total_weight = sum(s.weight for s in scores) or 1
    guide = {s.name: s.weight / total_weight for s in scores}
    if mode == EVEN:
        return {s.name: 1 / len(scores) for s in scores}
    if mode != WEAKEST:
        return guide
    pull = {s.name: s.weight * (1 - s.share) ** SHARPNESS for s in shrink(scores)}
    pulled = sum(pull.values()) or 1
    return {name: FLOOR * guide[name] + (1 - FLOOR) * pull[name] / pulled for name in guide}


def draw(rng: random.Random, mode: str, exam: Exam, scores: Sequence[DomainScore]) -> Draw:
    """Draw one of `scores`' domains (those that have questions) for `mode`, and say why.

    `scores` are the channel's tallies of the last 30 days per domain (only `weakest` reads them).
    """
    odds = chances(mode, scores)
    roll, running, chosen = rng.random(), 0.0, scores[-1]
    for score in scores:
        running += odds[score.name]
        if roll < running:
            chosen = score
            break
    return Draw(chosen.name, note(mode, exam, scores, chosen, odds))


def note(mode: str, exam: Exam, scores: Sequence[DomainScore], chosen: DomainScore, odds: Mapping[str, float]) -> str:
    """The reveal's sentence: the domain, and why this schedule drew it."""
    head = f"From {chosen.name}"
    if mode == EVEN:
        return f"{head}: every domain is asked equally often here (1 in {len(scores)})."
    guide_weight = f"{chosen.weight}% of the {exam.code} exam guide"
    if mode != WEAKEST:
        return f"{head}: drawn as the exam guide weighs it ({guide_weight})."
    if not any(s.answered for s in scores):
        return f"{head}: the group has no answers {WINDOW_WORDS} yet, so domains follow the guide ({guide_weight})."
    if not chosen.answered:
        return f"{head}: the group has no answers there {WINDOW_WORDS} yet, so it comes up to find out."
    ranked = sorted(shrink(scores), key=lambda s: (s.share, s.name))
    place = next(i for i, s in enumerate(ranked) if s.name == chosen.name)
    evidence = f"{round(100 * chosen.correct / chosen.answered)}% over {plural(chosen.answered, 'answer')}"
    if place == 0:
        return f"{head}: the group's weakest domain {WINDOW_WORDS}, {evidence}."
    if place == len(ranked) - 1:
        return (
            f"{head}: the group's strongest domain {WINDOW_WORDS} ({evidence}), still asked now and then "
            f"so it stays fresh ({round(100 * odds[chosen.name])}% of prompts)."
        )
    return f"{head}: the group's {_ordinal(place + 1)} weakest domain {WINDOW_WORDS}, {evidence}."


def _ordinal(n: int) -> str:
    return {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}.get(n, f"{n}th")
