"""`/ask` against the evaluation set: the figures the README records, held to their targets."""

from __future__ import annotations

from bot.catalog import Catalog
from bot.catalog.ask import AskEngine
from tests.eval.evaluate import evaluate, load_items


def test_ask_meets_its_accuracy_targets(catalog: Catalog) -> None:
    items = load_items()
    assert len(items) >= 120
    report = evaluate(AskEngine(catalog), items)
    assert report.accuracy >= 95.0, report.failures
    assert report.wrong_rate <= 2.0, report.failures


def test_the_set_covers_every_current_exam_and_declines(catalog: Catalog) -> None:
    items = load_items()
    asked = {i.get("exam") for i in items}
    assert {e.code for e in catalog.current_exams} <= asked
    assert sum(1 for i in items if i["kind"] == "decline") >= 15
    assert sum(1 for i in items if i["kind"] == "advice") >= 20
