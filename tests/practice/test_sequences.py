"""Ordering and matching questions: answered step by step with letter buttons, graded all or nothing,
stored and shown like any other answer (through the real core and a real SQLite file)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.catalog import Catalog
from bot.catalog.models import Question
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.practice.questions import grade
from bot.replies import Reply
from bot.requests import Action
from bot.runtime import Runtime
from tests.conftest import make_settings, person

ORDERING = Question.model_validate(
    {
        "id": "aif-c01-test-order",
        "domain": "Fundamentals of AI and ML",
        "difficulty": "medium",
        "type": "ordering",
        "stem": "A team builds its first model. Put these steps of the machine learning lifecycle in order.",
        "options": [
            {"text": "Collect and label data", "explanation": "First: nothing can be trained without data."},
            {"text": "Train the model", "explanation": "Second: training needs the prepared data."},
            {"text": "Evaluate on held-out data", "explanation": "Third: judge the trained model on unseen data."},
            {"text": "Deploy to an endpoint", "explanation": "Last: only a model that passed evaluation ships."},
        ],
        "links": ["https://docs.aws.amazon.com/wellarchitected/latest/machine-learning-lens/ml-lifecycle.html"],
        "written_for": "AIF-C01",
        "checked": "2026-12-02",
    }
)
MATCHING = Question.model_validate(
    {
        "id": "aif-c01-test-match",
        "domain": "Fundamentals of AI and ML",
        "difficulty": "easy",
        "type": "matching",
        "stem": "Match each task with the AWS service built for it.",
        "options": [
            {"text": "Find sentiment in reviews", "match": "Amazon Comprehend", "explanation": "Comprehend is NLP."},
            {"text": "Turn speech into text", "match": "Amazon Transcribe", "explanation": "Transcribe is ASR."},
            {"text": "Read text in scanned forms", "match": "Amazon Textract", "explanation": "Textract is OCR."},
        ],
        "links": ["https://docs.aws.amazon.com/comprehend/latest/dg/what-is.html"],
        "written_for": "AIF-C01",
        "checked": "2026-12-02",
    }
)


def with_bank(catalog: Catalog, *questions: Question) -> Catalog:
    return dataclasses.replace(catalog, questions={**catalog.questions, "AIF-C01": questions})


@pytest.fixture
async def seq_core(sqlite_url: str, catalog: Catalog) -> AsyncIterator[Core]:
    clock = FixedClock(dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC))
    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=with_bank(catalog, ORDERING)) as rt:
        yield rt.core


def order_of(reply: Reply) -> str:
    return reply.buttons[0].action_id.split(":")[4]


async def press(core: Core, reply: Reply, label: str) -> Reply:
    button = next(b for b in reply.buttons if b.label == label)
    return await core.handle(Action(person(), button.action_id))


def letter_of(order: str, original: int) -> str:
    return "ABCDEF"[order.index(str(original))]


def test_grading_is_all_or_nothing_in_sequence() -> None:
    assert grade(ORDERING, "0123") and not grade(ORDERING, "0132") and not grade(ORDERING, "3210")
    assert grade(MATCHING, (0, 1, 2)) and not grade(MATCHING, (1, 0, 2))


def test_shapes_are_validated() -> None:
    body = ORDERING.model_dump(mode="json")
    with pytest.raises(ValueError, match="marks no option correct"):
        Question.model_validate({**body, "options": [{**body["options"][0], "correct": True}, *body["options"][1:]]})
    match = MATCHING.model_dump(mode="json")
    with pytest.raises(ValueError, match="every option needs a match"):
        Question.model_validate({**match, "options": [{**match["options"][0], "match": None}, *match["options"][1:]]})
    with pytest.raises(ValueError, match="uses a match twice"):
        twice = [match["options"][0], {**match["options"][1], "match": "Amazon Comprehend"}, match["options"][2]]
        Question.model_validate({**match, "options": twice})


async def test_an_ordering_question_is_answered_step_by_step(seq_core: Core) -> None:
    shown = await seq_core.handle_line(person(), "/practice exam:AIF-C01")
    assert "Put every step in order" in shown.text and "first" in shown.text
    assert [b.label for b in shown.buttons] == ["A", "B", "C", "D"]
    order = order_of(shown)
    step = await press(seq_core, shown, letter_of(order, 0))
    assert step.replace and step.title == "Your answer so far"
    assert [b.label for b in step.buttons if len(b.label) == 1] == [x for x in "ABCD" if x != letter_of(order, 0)]
    assert "Start again" in [b.label for b in step.buttons]
    undone = await press(seq_core, step, "Start again")
    assert [b.label for b in undone.buttons] == ["A", "B", "C", "D"]
    for original in range(4):
        undone = await press(seq_core, undone, letter_of(order, original))
    assert undone.title == "Correct", undone.text
    assert "The right order" in undone.text and "Collect and label data" in undone.text


async def test_a_wrong_order_counts_as_wrong_and_is_explained(seq_core: Core) -> None:
    shown = await seq_core.handle_line(person(), "/practice exam:AIF-C01")
    order = order_of(shown)
    reply = shown
    for original in (1, 0, 2, 3):
        reply = await press(seq_core, reply, letter_of(order, original))
    assert reply.title == "Not quite" and "Every step must be right" in reply.text
    again = await seq_core.handle(Action(person(), reply.buttons[0].action_id))
    assert again.title != "That didn't work"


async def test_a_matching_question_pairs_every_item(sqlite_url: str, catalog: Catalog) -> None:
    clock = FixedClock(dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC))
    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=with_bank(catalog, MATCHING)) as rt:
        core = rt.core
        shown = await core.handle_line(person(), "/practice exam:AIF-C01")
        assert "**Items**" in shown.text and "**Matches**" in shown.text and "Amazon Textract" in shown.text
        order = order_of(shown)
        reply = shown
        for original in (0, 2, 1):  # the second and third items swapped
            reply = await press(core, reply, letter_of(order, original))
        assert reply.title == "Not quite"
        assert "(right)" in reply.text and "you gave" in reply.text


async def test_a_forged_sequence_press_changes_nothing(seq_core: Core) -> None:
    shown = await seq_core.handle_line(person(), "/practice exam:AIF-C01")
    kind, version, attempt, qid, order, _ = shown.buttons[0].action_id.split(":")
    forged = ":".join([kind, version, attempt, qid, order, "AAZ"])
    reply = await seq_core.handle(Action(person(), forged))
    assert reply.title == "That didn't work" and "out of date" in reply.text
