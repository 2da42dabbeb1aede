"""Scores `/ask` on the evaluation set: accuracy, confidently-wrong rate and abstention rate.

Run by hand with `python -m tests.eval.evaluate [-v]`; tests/eval/test_ask_eval.py holds it to its targets.
A question counts as correct when the answer is given (not declined) and contains every expected fact
(every word of it, compared after folding case, dashes, number words and word endings, so "3 years"
matches "three years" and "Solutions Architect Associate" matches "Solutions Architect – Associate"),
or, for questions that must be declined, when it is declined. Confidently wrong: an answer given that
lacks an expected fact, or any answer to a question that had to be declined. Abstained: declined a
question that had an answer.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import snowballstemmer
import yaml

from bot.catalog import load_catalog
from bot.catalog.ask import Answer, AskEngine
from bot.markup import to_plain

EVAL_FILE = Path(__file__).with_name("ask_eval.yaml")


@dataclass
class Report:
    total: int = 0
    correct: int = 0
    wrong: int = 0
    abstained: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return 100 * self.correct / self.total

    @property
    def wrong_rate(self) -> float:
        return 100 * self.wrong / self.total

    @property
    def abstention_rate(self) -> float:
        return 100 * self.abstained / self.total


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


def evaluate(engine: AskEngine, items: list[dict[str, object]]) -> Report:
    report = Report()
    for item in items:
        report.total += 1
        question = str(item["q"])
        answer = engine.answer(question)
        found = words(answer_text(answer))
        if item["kind"] == "decline":
            if answer.declined:
                report.correct += 1
            else:
                report.wrong += 1
                report.failures.append(f"WRONG (should decline) {question!r} → {answer.title}")
            continue
        if answer.declined:
            report.abstained += 1
            report.failures.append(f"ABSTAINED {question!r} → {answer.title}")
            continue
        expected = [str(m) for m in item.get("must_contain", [])]  # type: ignore[attr-defined]
        missing = [m for m in expected if not contains_fact(found, m)]
        if missing:
            report.wrong += 1
            report.failures.append(f"WRONG {question!r} → {answer.title} (missing {missing})")
        else:
            report.correct += 1
    return report


BLIND_TUNE = Path(__file__).with_name("blind_tune.yaml")
BLIND_HELDOUT = Path(__file__).with_name("blind_heldout.yaml")
"""Written blind by an independent session; the held-out file is never read while tuning, and only its
aggregate and per-category figures are ever printed."""


def load_items(path: Path = EVAL_FILE) -> list[dict[str, object]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def by_category(engine: AskEngine, items: list[dict[str, object]]) -> dict[str, Report]:
    groups: dict[str, list[dict[str, object]]] = {}
    for item in items:
        groups.setdefault(str(item.get("category", "-")), []).append(item)
    return {name: evaluate(engine, group) for name, group in sorted(groups.items())}


def _line(name: str, report: Report) -> str:
    return (
        f"{name}: {report.total} questions: accuracy {report.accuracy:.1f}%, "
        f"confidently wrong {report.wrong_rate:.1f}%, abstained {report.abstention_rate:.1f}%"
    )


def main() -> None:
    engine = AskEngine(load_catalog())
    verbose = "-v" in sys.argv
    for name, path, show_failures in (
        ("original set", EVAL_FILE, verbose),
        ("blind, tuning part", BLIND_TUNE, verbose),
        ("blind, held out", BLIND_HELDOUT, False),
    ):
        items = load_items(path)
        report = evaluate(engine, items)
        print(_line(name, report))
        if path != EVAL_FILE:
            for category, part in by_category(engine, items).items():
                print("    " + _line(category, part))
        if show_failures:
            for failure in report.failures:
                print("  " + failure)


if __name__ == "__main__":
    main()
