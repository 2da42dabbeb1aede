"""What a shipped bank must be to study with for months.

Two kinds of bar. Surface-cue limits are gates: `studybot content check` fails a bank whose form gives
its keys away, because such a bank teaches the wrong skill however large it is. Depth targets (size,
domain shares, multiple-response share, stem length, ordering and matching) are shown by `studybot
content report` beside each bank, met or not. Neither stops the bot from loading a bank.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.catalog.cues import Cues, measure, median_stem_words
from bot.catalog.loader import Catalog
from bot.catalog.models import Exam, Question

DOMAIN_TOLERANCE = 5.0  # percentage points from the guide's weight
MULTIPLE_SHARE = (15.0, 25.0)
SEQUENCE_MINIMUM = 10  # ordering and matching questions each, where the exam uses them
STEM_MEDIAN_WORDS = {"SAP-C02": 110, "DOP-C02": 110, "AIP-C01": 80, "ANS-C01": 80, "SCS-C03": 80}
"""Professional and Specialty exams are read as paragraph-long scenarios; their stems must read so too."""
SEQUENCE_EXAMS = ("AIF-C01", "MLA-C01", "AIP-C01")
OFFICIAL_LINKS = (
    "https://docs.aws.amazon.com/",
    "https://aws.amazon.com/security/",
    "https://aws.amazon.com/compliance/",
    "https://repost.aws/knowledge-center/",
)
"""A shipped question cites AWS's own documentation (or its support knowledge centre), which stays put,
not marketing or pricing pages."""


@dataclass(frozen=True)
class BankQuality:
    exam: str
    size: int
    size_target: int
    domain_gaps: dict[str, float]
    multiple_share: float
    stem_median: float
    stem_target: int
    ordering: int
    matching: int
    cues: Cues

    def problems(self) -> list[str]:
        """The cue limits this bank breaks: what `content check` fails on."""
        return self.cues.over_limits()

    def unmet_targets(self) -> list[str]:
        """The depth targets this bank does not meet yet, for `content report`."""
        out: list[str] = []
        if self.size < self.size_target:
            out.append(f"{self.size} questions; the bank needs {self.size_target} (twice the exam)")
        for name, gap in self.domain_gaps.items():
            if abs(gap) > DOMAIN_TOLERANCE:
                out.append(f"domain {name!r} is {gap:+.1f} points from its guide weight (limit ±{DOMAIN_TOLERANCE:g})")
        low, high = MULTIPLE_SHARE
        if not low <= self.multiple_share <= high:
            out.append(f"multiple response is {self.multiple_share:.1f}% of the bank (needs {low:g}–{high:g}%)")
        if self.stem_median < self.stem_target:
            out.append(f"the median stem has {self.stem_median:g} words (needs at least {self.stem_target})")
        if self.exam in SEQUENCE_EXAMS:
            for kind, count in (("ordering", self.ordering), ("matching", self.matching)):
                if count < SEQUENCE_MINIMUM:
                    out.append(f"{count} {kind} questions (needs at least {SEQUENCE_MINIMUM})")
        return out


def bank_quality(exam: Exam, questions: tuple[Question, ...]) -> BankQuality:
    total = len(questions)
    shares = {d.name: 0 for d in exam.domains}
    for q in questions:
        if q.domain in shares:
            shares[q.domain] += 1
    gaps = {name: round((100 * n / total if total else 0.0) - exam.domain(name).weight, 1)  # type: ignore[union-attr]
            for name, n in shares.items()}  # fmt: skip
    multiple = sum(1 for q in questions if q.type == "multiple")
    return BankQuality(
        exam=exam.code,
        size=total,
        size_target=2 * exam.questions.total if exam.questions else 0,
        domain_gaps=gaps,
        multiple_share=round(100 * multiple / total, 1) if total else 0.0,
        stem_median=median_stem_words(questions),
        stem_target=STEM_MEDIAN_WORDS.get(exam.code, 0),
        ordering=sum(1 for q in questions if q.type == "ordering"),
        matching=sum(1 for q in questions if q.type == "matching"),
        cues=measure(questions),
    )


def bank_gates(catalog: Catalog) -> list[str]:
    """Every cue limit a shipped bank breaks, as `file:line: message` like the rest of content check."""
    out: list[str] = []
    for exam in sorted(catalog.current_exams, key=lambda e: e.code):
        path = catalog.root / "questions" / f"{exam.code}.yaml"
        where = f"{path.relative_to(catalog.root.parent)}:1" if path.is_file() else f"questions/{exam.code}.yaml"
        questions = catalog.questions.get(exam.code, ())
        for problem in bank_quality(exam, questions).problems():
            out.append(f"{where}: {exam.code}: {problem}")
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        for q in questions:
            for link in q.links:
                if not link.startswith(OFFICIAL_LINKS):
                    at = next((n for n, line in enumerate(lines, 1) if line.strip() == f"- {link}"), 1)
                    out.append(
                        f"{where.rsplit(':', 1)[0]}:{at}: {q.id}: link {link} is not AWS documentation "
                        f"(use a page under {OFFICIAL_LINKS[0]})"
                    )
    return out
