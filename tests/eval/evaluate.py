"""Scores `/ask` on its evaluation sets: accuracy, confidently-wrong rate and abstention rate.

Run by hand with `python -m tests.eval.evaluate [-v] [--dev]`; `--dev` scores only the sets open to tuning
and never reads a held-out file, so tuning can be measured without touching what measures it.
tests/eval/test_ask_eval.py holds each set to its targets.
Three sets are scored: the original set (`ask_eval.yaml`, written beside the first retriever),
and a blind set written by someone who never saw the bot, split into a tuning part (`blind_tune.yaml`)
and a held-out part (`blind_heldout.yaml`). The held-out part exists to measure what tuning did not
touch, so this module never prints or returns its questions or failures: only totals and per-category
percentages, and `-v` lists failures of the other two sets only.

A question counts as correct when the answer is given (not declined) and contains every expected fact
(every word of it, compared after folding case, dashes, number words and word endings, so "3 years"
matches "three years" and "Solutions Architect Associate" matches "Solutions Architect – Associate"),
or, for questions that must be declined (off-topic, another vendor, another language), when it is
declined. Confidently wrong: an answer given that lacks an expected fact, or any answer to a question
that had to be declined. Abstained: declined a question that had an answer.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import snowballstemmer
import yaml

from bot.catalog import load_catalog
from bot.catalog.ask import Answer, AskEngine
from bot.markup import to_plain

HERE = Path(__file__).parent
EVAL_FILE = HERE / "ask_eval.yaml"
TUNE_FILE = HERE / "blind_tune.yaml"
HELDOUT_FILE = HERE / "blind_heldout.yaml"
TUNE2_FILE = HERE / "blind_tune2.yaml"  # blind set 2: another writer, after set 1 had been tuned on
HELDOUT2_FILE = HERE / "blind_heldout2.yaml"
TUNE3_FILE = HERE / "blind_tune3.yaml"  # blind set 3: a third writer, after sets 1 and 2 had been tuned on
HELDOUT3_FILE = HERE / "blind_heldout3.yaml"  # added after tuning ended: scored, never tuned on
TUNE4_FILE = HERE / "blind_tune4.yaml"  # blind set 4: a fourth writer, after sets 1-3 had been tuned on
HELDOUT4_FILE = HERE / "blind_heldout4.yaml"


@dataclass
class Report:
    """Counts for one set (or one category of it); `failures` stays empty for the held-out set."""

    total: int = 0
    correct: int = 0
    wrong: int = 0
    abstained: int = 0
    failures: list[str] = field(default_factory=list)
    categories: dict[str, Report] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        return 100 * self.correct / self.total if self.total else 0.0

    @property
    def wrong_rate(self) -> float:
        return 100 * self.wrong / self.total if self.total else 0.0

    @property
    def abstention_rate(self) -> float:
        return 100 * self.abstained / self.total if self.total else 0.0

    def summary(self) -> str:
        return (
            f"{self.total} questions: accuracy {self.accuracy:.1f}%, confidently wrong {self.wrong_rate:.1f}%, "
            f"abstained {self.abstention_rate:.1f}%"
        )


_NUMBERS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fourteen": "14",
}  # fmt: skip


_STEM = snowballstemmer.stemmer("english")


def words(text: str) -> set[str]:
    out = set()
    for word in re.findall(r"\w+", text.casefold().replace("-", " ")):
        out.add(_STEM.stemWord(_NUMBERS.get(word, word)))
    return out


def contains_fact(answer_words: set[str], expected: str) -> bool:
    return words(expected) <= answer_words


def answer_text(answer: Answer) -> str:
    return to_plain("\n".join([answer.title, answer.text, *answer.sources]))


def _outcome(engine: AskEngine, item: dict[str, object]) -> tuple[str, str]:
    """("correct" | "wrong" | "abstained", a one-line description for the failure list)."""
    question = str(item["q"])
    answer = engine.answer(question)
    if item["kind"] == "decline":
        if answer.declined:
            return "correct", ""
        return "wrong", f"WRONG (should decline) {question!r} → {answer.title}"
    if answer.declined:
        return "abstained", f"ABSTAINED {question!r} → {answer.title}"
    found = words(answer_text(answer))
    expected = [str(m) for m in item.get("must_contain", [])]  # type: ignore[attr-defined]
    missing = [m for m in expected if not contains_fact(found, m)]
    if missing:
        return "wrong", f"WRONG {question!r} → {answer.title} (missing {missing})"
    return "correct", ""


def _count(report: Report, outcome: str) -> None:
    report.total += 1
    if outcome == "correct":
        report.correct += 1
    elif outcome == "wrong":
        report.wrong += 1
    else:
        report.abstained += 1


def evaluate(engine: AskEngine, items: Iterable[dict[str, object]], *, keep_failures: bool = True) -> Report:
    """Score `items`; with `keep_failures` False nothing about single questions is kept (held-out set)."""
    report = Report()
    for item in items:
        outcome, failure = _outcome(engine, item)
        _count(report, outcome)
        category = str(item.get("category", "uncategorised"))
        _count(report.categories.setdefault(category, Report()), outcome)
        if failure and keep_failures:
            report.failures.append(f"[{category}] {failure}" if "category" in item else failure)
    return report


def _load(path: Path) -> list[dict[str, object]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_items() -> list[dict[str, object]]:
    """The original evaluation set."""
    return _load(EVAL_FILE)


def load_tune() -> list[dict[str, object]]:
    """The blind set's tuning part: open to read while improving `/ask`."""
    return _load(TUNE_FILE)


def load_heldout() -> list[dict[str, object]]:
    """The blind set's held-out part: score it with `keep_failures=False`, never print its items."""
    return _load(HELDOUT_FILE)


def load_tune2() -> list[dict[str, object]]:
    """Blind set 2's tuning part (a second writer who never saw the bot or set 1)."""
    return _load(TUNE2_FILE)


def load_heldout2() -> list[dict[str, object]]:
    """Blind set 2's held-out part: like `load_heldout`, scored in aggregate only."""
    return _load(HELDOUT2_FILE)


def load_heldout3() -> list[dict[str, object]]:
    """Blind set 3's held-out part (aggregate scoring only)."""
    return _load(HELDOUT3_FILE)


def load_tune3() -> list[dict[str, object]]:
    """Blind set 3's tuning part (a third writer, after sets 1 and 2 had been tuned on)."""
    return _load(TUNE3_FILE)


def load_tune4() -> list[dict[str, object]]:
    """Blind set 4's tuning part (a fourth writer, after sets 1-3 had been tuned on)."""
    return _load(TUNE4_FILE)


def load_heldout4() -> list[dict[str, object]]:
    """Blind set 4's held-out part (aggregate scoring only)."""
    return _load(HELDOUT4_FILE)


def category_table(reports: dict[str, Report]) -> str:
    """A Markdown table of per-category figures, one column group per blind set."""
    names = sorted({c for r in reports.values() for c in r.categories})
    head = "| category | " + " | ".join(f"{s} n | {s} correct | {s} wrong" for s in reports) + " |"
    rule = "|---|" + "---:|---:|---:|" * len(reports)
    rows = [head, rule]
    for name in names:
        cells = []
        for report in reports.values():
            cat = report.categories.get(name)
            cells.append(f"{cat.total} | {cat.accuracy:.0f}% | {cat.wrong_rate:.0f}%" if cat else "0 | – | –")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: list[str]) -> None:
    """`-v` lists the dev sets' failures; `--dev` scores the dev sets only and never opens a held-out file."""
    engine = AskEngine(load_catalog())
    verbose = "-v" in argv
    dev_only = "--dev" in argv
    old = evaluate(engine, load_items())
    tune = evaluate(engine, load_tune())
    tune2 = evaluate(engine, load_tune2())
    tune3 = evaluate(engine, load_tune3())
    tune4 = evaluate(engine, load_tune4())
    dev: list[tuple[str, Report]] = [
        ("original set", old),
        ("blind tune", tune),
        ("blind 2 tune", tune2),
        ("blind 3 tune", tune3),
        ("blind 4 tune", tune4),
    ]
    named = list(dev)
    columns = {"tune": tune, "tune 2": tune2, "tune 3": tune3, "tune 4": tune4}
    if not dev_only:
        heldout = evaluate(engine, load_heldout(), keep_failures=False)
        heldout2 = evaluate(engine, load_heldout2(), keep_failures=False)
        heldout3 = evaluate(engine, load_heldout3(), keep_failures=False)
        heldout4 = evaluate(engine, load_heldout4(), keep_failures=False)
        named = [
            *dev[:2], ("blind held-out", heldout), dev[2], ("blind 2 held-out", heldout2), dev[3],
            ("blind 3 held-out", heldout3), dev[4], ("blind 4 held-out", heldout4),
        ]  # fmt: skip
        columns = {
            "tune": tune, "held-out": heldout, "tune 2": tune2, "held-out 2": heldout2, "tune 3": tune3,
            "held-out 3": heldout3, "tune 4": tune4, "held-out 4": heldout4,
        }  # fmt: skip
    for name, report in named:
        print(f"{name}: {report.summary()}")
    print()
    print(category_table(columns))
    if verbose:
        for name, report in dev:
            print(f"\n{name} failures:")
            for failure in report.failures:
                print("  " + failure)


if __name__ == "__main__":
    main(sys.argv[1:])
