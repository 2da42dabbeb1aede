"""`/ask` against its evaluation sets: the figures the README records, held to their targets.

The held-out part of the blind set is scored in aggregate only; its questions are never printed, so a
failure message here carries the figures and nothing else.
"""

from __future__ import annotations

import pytest

from bot.catalog import Catalog
from bot.catalog.ask import AskEngine
from tests.eval.evaluate import evaluate, load_heldout, load_heldout2, load_items, load_tune, load_tune2


def test_ask_meets_its_accuracy_targets(catalog: Catalog) -> None:
    items = load_items()
    assert len(items) >= 120
    report = evaluate(AskEngine(catalog), items)
    assert report.accuracy >= 97.0, report.failures
    assert report.wrong_rate <= 2.0, report.failures


def test_the_set_covers_every_current_exam_and_declines(catalog: Catalog) -> None:
    items = load_items()
    asked = {i.get("exam") for i in items}
    assert {e.code for e in catalog.current_exams} <= asked
    assert sum(1 for i in items if i["kind"] == "decline") >= 15
    assert sum(1 for i in items if i["kind"] == "advice") >= 20


def test_blind_tuning_set(catalog: Catalog) -> None:
    report = evaluate(AskEngine(catalog), load_tune())
    assert report.total >= 200
    assert report.accuracy >= 95.0, report.failures
    assert report.wrong_rate <= 3.0, report.failures


def test_blind_heldout_accuracy(catalog: Catalog) -> None:
    report = evaluate(AskEngine(catalog), load_heldout(), keep_failures=False)
    assert report.total >= 100 and not report.failures
    assert report.accuracy >= 90.0, report.summary()
    # Measured 6.5% when this was written; the ceiling keeps it from getting worse until the target holds.
    assert report.wrong_rate <= 7.0, report.summary()


@pytest.mark.xfail(strict=True, reason="issue 15 target not met yet: held-out confidently wrong is above 3%")
def test_blind_heldout_meets_the_wrong_answer_target(catalog: Catalog) -> None:
    report = evaluate(AskEngine(catalog), load_heldout(), keep_failures=False)
    assert report.wrong_rate <= 3.0, report.summary()


def test_blind_set_2_tuning_part(catalog: Catalog) -> None:
    """A second writer's set, tuned on from 83.0% correct / 13.5% confidently wrong (same run as below)."""
    report = evaluate(AskEngine(catalog), load_tune2())
    assert report.total == 200
    assert report.accuracy >= 92.0, report.failures
    assert report.wrong_rate <= 6.5, report.failures


def test_blind_set_2_heldout_does_not_get_worse(catalog: Catalog) -> None:
    # Measured 91.0% correct / 8.0% confidently wrong before and after tuning on set 2's other part.
    report = evaluate(AskEngine(catalog), load_heldout2(), keep_failures=False)
    assert report.total == 100 and not report.failures
    assert report.accuracy >= 91.0, report.summary()
    assert report.wrong_rate <= 8.0, report.summary()


@pytest.mark.xfail(strict=True, reason="issue 15 target not met yet: set 2 held-out confidently wrong is above 3%")
def test_blind_set_2_heldout_meets_the_wrong_answer_target(catalog: Catalog) -> None:
    report = evaluate(AskEngine(catalog), load_heldout2(), keep_failures=False)
    assert report.wrong_rate <= 3.0, report.summary()
