"""Surface cues: how far a test-wise guess gets without knowing AWS, and the limits a bank must keep.

A bank whose key is usually the longest option teaches members to pick the longest option. Each cue is
scored as the strategy a test-wise member would play: pick the option the cue points at, breaking ties
at random, so a cue that ties across every option scores what guessing does. The limits come from the
bank issue: chance is 25% with four options, and a cue may beat it by only a little.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

from bot.catalog.models import Question

LONGEST_LIMIT = 35.0
SHORTEST_LIMIT = 35.0
STEM_OVERLAP_LIMIT = 40.0
N_LONGEST_LIMIT = 20.0

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an and are as at be by can for from has have in into is it its of on or so that the their them then "
    "there these they this to was were which while who will with without does do not no which what when".split()
)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if w not in _STOP and len(w) > 1}


def _pick_score(scores: Sequence[float], key: set[int], best: Callable[[Sequence[float]], float]) -> float:
    """Expected hit of picking the option with the best score, ties broken at random."""
    top = best(scores)
    tied = [i for i, s in enumerate(scores) if s == top]
    return sum(1 for i in tied if i in key) / len(tied)


def _n_longest_hit(question: Question) -> float:
    """Expected hit of choosing the N longest options in a choose-N question, ties broken at random."""
    lengths = [len(o.text) for o in question.options]
    key = set(question.correct_indexes)
    n = question.choose
    ranked = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    cutoff = lengths[ranked[n - 1]]
    sure = [i for i in ranked if lengths[i] > cutoff]
    tied = [i for i in ranked if lengths[i] == cutoff]
    picks = list(combinations(tied, n - len(sure)))
    return sum(1 for extra in picks if set(sure) | set(extra) == key) / len(picks)


@dataclass(frozen=True)
class Cues:
    """Percent of questions each strategy answers correctly (single-answer ones unless it says multiple)."""

    single: int
    multiple: int
    longest: float
    shortest: float
    stem_overlap: float
    n_longest: float

    def over_limits(self) -> list[str]:
        problems = []
        for name, value, limit in (
            ("the longest option is the key in", self.longest, LONGEST_LIMIT),
            ("the shortest option is the key in", self.shortest, SHORTEST_LIMIT),
            ("the option sharing most words with the stem is the key in", self.stem_overlap, STEM_OVERLAP_LIMIT),
        ):
            if self.single and value > limit:
                problems.append(f"{name} {value:.1f}% of single-answer questions (limit {limit:g}%)")
        if self.multiple and self.n_longest > N_LONGEST_LIMIT:
            problems.append(
                f"the N longest options are the key in {self.n_longest:.1f}% of multiple-response questions "
                f"(limit {N_LONGEST_LIMIT:g}%)"
            )
        return problems


def _percent(hits: list[float]) -> float:
    return round(100 * sum(hits) / len(hits), 1) if hits else 0.0


def measure(questions: Sequence[Question]) -> Cues:
    singles = [q for q in questions if q.type == "single"]
    multiples = [q for q in questions if q.type == "multiple"]
    longest, shortest, overlap = [], [], []
    for q in singles:
        key = set(q.correct_indexes)
        lengths = [float(len(o.text)) for o in q.options]
        stem = _words(q.stem)
        shared = [float(len(_words(o.text) & stem)) for o in q.options]
        longest.append(_pick_score(lengths, key, max))
        shortest.append(_pick_score(lengths, key, min))
        overlap.append(_pick_score(shared, key, max))
    return Cues(
        single=len(singles),
        multiple=len(multiples),
        longest=_percent(longest),
        shortest=_percent(shortest),
        stem_overlap=_percent(overlap),
        n_longest=_percent([_n_longest_hit(q) for q in multiples]),
    )


def median_stem_words(questions: Sequence[Question]) -> float:
    counts = [len(q.stem.split()) for q in questions]
    return float(statistics.median(counts)) if counts else 0.0
