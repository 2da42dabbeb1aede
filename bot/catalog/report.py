"""`studybot content report`: how each question bank is shaped against its exam guide.

Shares are percentages. Positions count every correct option (A is the first option as written; members
see options shuffled, but a bank whose answers cluster on one letter still betrays lazy writing).
Near-duplicates compare stems with rapidfuzz's token-set ratio; pairs at or above the threshold are
listed with their score.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from bot.catalog.cues import LONGEST_LIMIT, N_LONGEST_LIMIT, SHORTEST_LIMIT, STEM_OVERLAP_LIMIT
from bot.catalog.loader import Catalog
from bot.catalog.models import Question
from bot.catalog.quality import BankQuality, bank_quality

NEAR_DUPLICATE = 85.0  # token-set ratio, 0-100
LETTERS = "ABCDEF"


def _share(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def near_duplicates(questions: tuple[Question, ...], threshold: float = NEAR_DUPLICATE) -> list[list[Any]]:
    pairs: list[list[Any]] = []
    for i, first in enumerate(questions):
        for second in questions[i + 1 :]:
            score = fuzz.token_set_ratio(first.stem, second.stem)
            if score >= threshold:
                pairs.append([first.id, second.id, round(score, 1)])
    return pairs


@dataclass(frozen=True)
class BankReport:
    exam: str
    count: int
    domains: dict[str, dict[str, float]]
    positions: dict[str, float]
    difficulty: dict[str, float]
    types: dict[str, float]
    near_duplicates: list[list[Any]]
    quality: BankQuality

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "domains": self.domains,
            "positions": self.positions,
            "difficulty": self.difficulty,
            "types": self.types,
            "near_duplicates": self.near_duplicates,
            "size_target": self.quality.size_target,
            "multiple_share": self.quality.multiple_share,
            "median_stem_words": self.quality.stem_median,
            "ordering": self.quality.ordering,
            "matching": self.quality.matching,
            "cues": {
                "longest_is_key": self.quality.cues.longest,
                "shortest_is_key": self.quality.cues.shortest,
                "most_stem_words_is_key": self.quality.cues.stem_overlap,
                "n_longest_are_key": self.quality.cues.n_longest,
            },
            "over_cue_limits": self.quality.problems(),
            "unmet_targets": self.quality.unmet_targets(),
        }


def bank_report(catalog: Catalog, code: str) -> BankReport:
    exam = catalog.exams[code]
    questions = catalog.questions.get(code, ())
    total = len(questions)
    by_domain = Counter(q.domain for q in questions)
    positions = Counter(LETTERS[i] for q in questions for i in q.correct_indexes)
    answered = sum(positions.values())
    return BankReport(
        exam=code,
        count=total,
        domains={d.name: {"share": _share(by_domain[d.name], total), "guide": d.weight} for d in exam.domains},
        positions={letter: _share(positions[letter], answered) for letter in LETTERS if positions[letter]},
        difficulty={k: _share(v, total) for k, v in sorted(Counter(q.difficulty for q in questions).items())},
        types={k: _share(v, total) for k, v in sorted(Counter(q.type for q in questions).items())},
        near_duplicates=near_duplicates(questions),
        quality=bank_quality(exam, questions),
    )


def report(catalog: Catalog) -> dict[str, BankReport]:
    """A report for every current exam, banks or not, so a missing bank shows as a count of 0."""
    return {e.code: bank_report(catalog, e.code) for e in sorted(catalog.current_exams, key=lambda e: e.code)}


def as_text(reports: dict[str, BankReport]) -> str:
    lines: list[str] = [f"Near-duplicate threshold: token-set ratio >= {NEAR_DUPLICATE:g} of 100 between stems."]
    for code, r in reports.items():
        lines.append("")
        lines.append(f"{code}: {r.count} questions")
        for name, d in r.domains.items():
            off = d["share"] - d["guide"]
            lines.append(f"  {d['share']:5.1f}% (guide {d['guide']:>2}%, {off:+5.1f})  {name}")
        lines.append("  positions:  " + "  ".join(f"{k} {v:.1f}%" for k, v in r.positions.items()))
        lines.append("  difficulty: " + "  ".join(f"{k} {v:.1f}%" for k, v in r.difficulty.items()))
        lines.append("  types:      " + "  ".join(f"{k} {v:.1f}%" for k, v in r.types.items()))
        dupes = ", ".join(f"{a}~{b} ({s})" for a, b, s in r.near_duplicates) or "none"
        lines.append(f"  near-duplicates: {dupes}")
        q = r.quality
        c = q.cues
        lines.append(
            f"  cues (limit): longest is key {c.longest:.1f}% ({LONGEST_LIMIT:g}), shortest {c.shortest:.1f}% "
            f"({SHORTEST_LIMIT:g}), most stem words {c.stem_overlap:.1f}% ({STEM_OVERLAP_LIMIT:g}), "
            f"N longest in multiple response {c.n_longest:.1f}% ({N_LONGEST_LIMIT:g})"
        )
        lines.append(
            f"  depth: {q.size}/{q.size_target} questions, multiple response {q.multiple_share:.1f}%, "
            f"median stem {q.stem_median:g} words, ordering {q.ordering}, matching {q.matching}"
        )
        for problem in q.problems():
            lines.append(f"  OVER A CUE LIMIT: {problem}")
        for target in q.unmet_targets():
            lines.append(f"  target not met: {target}")
    return "\n".join(lines)
