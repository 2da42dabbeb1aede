"""Every example in issue 15 gets a correct answer or an honest decline, checked on the `Answer` itself."""

from __future__ import annotations

import pytest

from bot.catalog import Catalog
from bot.catalog.ask import AskEngine
from tests.eval.evaluate import answer_text, contains_fact, words

ANSWERED = [
    ("how long to study for SAA", ["hours"], "SAA-C03"),
    ("i failed saa by 20 points, how long do i have to wait to retake?", ["14 calendar days"], None),
    ("i passed CLF yesterday! what next??", ["Associate"], None),
    ("whats the difference between saa and sap", ["Associate", "Professional", "130", "180"], None),
    ("saa or dva for a backend dev?", ["Solutions Architect", "Developer"], None),
    ("should i bother with the ccp", ["CLF-C02", "non-IT"], None),
    ("can i bring my phone to the test center", ["Pearson VUE", "phones"], None),
    ("what id do i need for pearson vue", ["photo ID"], None),
    ("can i use a calculator or notes", ["calculators"], None),
    ("price of the pro exam", ["300 USD"], None),
    ("what happened to the sysops exam", ["SOA-C02", "SOA-C03"], None),
    ("is the exam multiple choice", ["multiple choice"], None),
    ("what does MLA-C01 cover", ["Data Preparation", "28%"], "MLA-C01"),
    ("what cert after clf", ["Associate"], None),
    ("do certs expire", ["three years"], None),
    ("SAA cost and duration and passing score?", ["150", "130 minutes", "720"], "SAA-C03"),
]

DECLINED = ["recommend a good laptop", "diff between EC2 and lambda", "how do I set up a VPC"]


@pytest.fixture(scope="module")
def engine(catalog: Catalog) -> AskEngine:
    return AskEngine(catalog)


@pytest.mark.parametrize(("question", "facts", "exam"), ANSWERED)
def test_issue_example_is_answered(engine: AskEngine, question: str, facts: list[str], exam: str | None) -> None:
    answer = engine.answer(question)
    assert not answer.declined, answer
    found = words(answer_text(answer))
    assert all(contains_fact(found, f) for f in facts), (question, answer.title, answer.text)
    if exam is not None:
        assert answer.exam is not None and answer.exam.code == exam


@pytest.mark.parametrize("question", DECLINED)
def test_issue_example_is_declined_with_suggestions(engine: AskEngine, question: str) -> None:
    answer = engine.answer(question)
    assert answer.declined and answer.suggestions, answer
    assert "AWS certifications" in answer.text


def test_another_language_is_told_so_in_english(engine: AskEngine) -> None:
    answer = engine.answer("¿cuántas preguntas tiene el examen de SAA?")
    assert answer.declined and "English" in answer.text


def test_placeholder_dates_are_shown_as_months(engine: AskEngine) -> None:
    answer = engine.answer("when did clf c02 come out")
    assert "September 2023" in answer.text and "1 September 2023" not in answer.text
