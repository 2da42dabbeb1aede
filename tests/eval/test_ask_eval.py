"""`/ask` against its evaluation sets: the figures the README records, held to their targets.

The held-out part of the blind set is scored in aggregate only; its questions are never printed, so a
failure message here carries the figures and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.catalog import Catalog
from bot.catalog.ask import AskEngine
from tests.eval.evaluate import (
    evaluate,
    load_heldout,
    load_heldout2,
    load_heldout3,
    load_heldout4,
    load_items,
    load_tune,
    load_tune2,
    load_tune3,
    load_tune4,
)


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


def test_blind_set_2_tuning_part(catalog: Catalog) -> None:
    """A second writer's set, tuned on from 83.0% correct / 13.5% confidently wrong, then from 92.0% / 6.5%
    by fixing failures by class (issue 15) to 98.5% / 1.5%."""
    report = evaluate(AskEngine(catalog), load_tune2())
    assert report.total == 200
    assert report.accuracy >= 98.0, report.failures
    assert report.wrong_rate <= 1.5, report.failures


def test_blind_set_3_tuning_part(catalog: Catalog) -> None:
    """A third writer's set: 90.5% correct / 7.0% confidently wrong when it arrived, before any change aimed
    at it (89.0% / 8.5% on the code before issue 15's class fixes), then tuned by class to 99.0% / 0.5%."""
    report = evaluate(AskEngine(catalog), load_tune3())
    assert report.total == 200
    assert report.accuracy >= 98.5, report.failures
    assert report.wrong_rate <= 1.0, report.failures


def test_blind_set_4_tuning_part(catalog: Catalog) -> None:
    """A fourth writer's set, written after sets 1-3 had been tuned on: 93.5% correct / 6.5% confidently
    wrong when it arrived, then tuned by class (screens for certification words in another sense, typo
    mending, "the devops one") to 100.0% / 0.0%."""
    report = evaluate(AskEngine(catalog), load_tune4())
    assert report.total == 200
    assert report.accuracy >= 99.5, report.failures
    assert report.wrong_rate <= 0.5, report.failures


# The held-out parts, scored in aggregate only, with a floor at what was measured (so they cannot get
# worse unnoticed): set 1 at 92.7% correct / 6.5% confidently wrong (unchanged by tuning on sets 2 and
# 3), set 2 at 92.0% / 7.0% (91.0% / 8.0% before tuning on sets 2 and 3), set 3 (added after that
# tuning ended, never tuned on) at 90.0% / 9.0% (89.0% / 10.0% on the code before it), set 4 at 92.0% /
# 8.0% both before and after tuning on its own tuning part.
HELDOUT_FLOORS = [
    pytest.param(load_heldout, 123, 92.0, 7.0, id="set-1"),
    pytest.param(load_heldout2, 100, 92.0, 7.0, id="set-2"),
    pytest.param(load_heldout3, 100, 90.0, 9.0, id="set-3"),
    pytest.param(load_heldout4, 100, 92.0, 8.0, id="set-4"),
]


@pytest.mark.parametrize(("load", "total", "accuracy", "wrong"), HELDOUT_FLOORS)
def test_blind_heldout_does_not_get_worse(
    catalog: Catalog, load: Callable[[], list[dict[str, object]]], total: int, accuracy: float, wrong: float
) -> None:
    report = evaluate(AskEngine(catalog), load(), keep_failures=False)
    assert report.total == total and not report.failures
    assert report.accuracy >= accuracy, report.summary()
    assert report.wrong_rate <= wrong, report.summary()


@pytest.mark.xfail(
    strict=True,
    reason="issue 15 is open: the held-out parts measure 6.5% (set 1), 7.0% (set 2), 9.0% (set 3) and 8.0% (set 4) "
    "confidently wrong against a 3% target; strict, so meeting the target fails the suite until this mark is removed",
)
@pytest.mark.parametrize(
    "load", [load_heldout, load_heldout2, load_heldout3, load_heldout4], ids=["set-1", "set-2", "set-3", "set-4"]
)
def test_blind_heldout_meets_the_wrong_answer_target(
    catalog: Catalog, load: Callable[[], list[dict[str, object]]]
) -> None:
    report = evaluate(AskEngine(catalog), load(), keep_failures=False)
    assert report.wrong_rate <= 3.0, report.summary()
