"""Drawing a mock exam: as many questions per domain as the exam guide's weights ask for."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence

from bot.catalog.models import Exam, Question

DEFAULT_QUESTIONS = 20
MAX_QUESTIONS = 65


def allocate(weights: Mapping[str, int], available: Mapping[str, int], total: int) -> dict[str, int]:
    """Questions per domain: largest remainder on the weights, then shortfalls moved to other domains.

    A small bank may not have enough questions in a domain; its share then goes to the domains that
    still have questions, in weight order, so the mock keeps its length where it can.
    """
    total = min(total, sum(available.values()))
    weight_sum = sum(weights.values()) or 1
    exact = {d: total * w / weight_sum for d, w in weights.items()}
    counts = {d: min(math.floor(x), available.get(d, 0)) for d, x in exact.items()}
    by_remainder = sorted(weights, key=lambda d: (-(exact[d] - math.floor(exact[d])), -weights[d], d))
    by_weight = sorted(weights, key=lambda d: (-weights[d], d))
    for order in (by_remainder, by_weight * max(1, total)):
        for domain in order:
            if sum(counts.values()) >= total:
                break
            if counts[domain] < available.get(domain, 0):
                counts[domain] += 1
    return counts


def draw(
    exam: Exam, questions: Sequence[Question], count: int, seed: str, seen: Mapping[str, object] | None = None
) -> list[Question]:
    """Pick `count` questions matching the guide's weights; unseen questions first, then the rest.

    The result is shuffled so domains are interleaved, as on the real exam.
    """
    rng = random.Random(seed)
    seen = seen or {}
    by_domain: dict[str, list[Question]] = {d.name: [] for d in exam.domains}
    for q in questions:
        domain = exam.domain(q.domain)
        if domain is not None:
            by_domain[domain.name].append(q)
    for pool in by_domain.values():
        rng.shuffle(pool)
        pool.sort(key=lambda q: q.id in seen)  # stable: unseen first, random within each group
    counts = allocate({d.name: d.weight for d in exam.domains}, {d: len(p) for d, p in by_domain.items()}, count)
    picked = [q for domain, n in counts.items() for q in by_domain[domain][:n]]
    rng.shuffle(picked)
    return picked


def default_minutes(exam: Exam, count: int) -> int:
    """The real exam's time per question, for `count` questions (two minutes each when unknown)."""
    if exam.duration_minutes and exam.questions:
        return max(1, math.ceil(exam.duration_minutes * count / exam.questions.total))
    return max(1, 2 * count)
