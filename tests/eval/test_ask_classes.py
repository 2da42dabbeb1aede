"""The general rules behind issue 15's class fixes, each checked on questions of its own.

None of these questions is in an evaluation set: each stands for a class of failure found on the dev
sets (a reading that crossed clauses, a name that fits two exams, a verb read as a noun, ...), so these
tests hold the rule, not a phrasing.
"""

from __future__ import annotations

import re

import pytest

from bot.catalog import Catalog
from bot.catalog.ask import AskEngine
from tests.eval.evaluate import answer_text, contains_fact, words


@pytest.fixture(scope="module")
def engine(catalog: Catalog) -> AskEngine:
    return AskEngine(catalog)


def _says(engine: AskEngine, question: str, *facts: str) -> None:
    answer = engine.answer(question)
    assert not answer.declined, (question, answer.title, answer.text)
    found = words(answer_text(answer))
    missing = [f for f in facts if not contains_fact(found, f)]
    assert not missing, (question, missing, answer.title, answer.text)


ANSWERED = [
    # Whether a newer version exists is answered (no, and which one is current).
    ("is dva-c03 out yet", ["DVA-C02", "current"]),
    # A name that fits two exams about equally is about both.
    ("aws solutions architect exam length", ["130 minutes", "180 minutes"]),
    # One clause per reading: "how long is it" is the duration, not study time.
    ("boss wants the dva soon. how long is it, how many questions and what do i need to pass", ["130", "65", "720"]),
    # A bare "how much" in a multi-part question is the price.
    ("how long is the dop exam and how much", ["180 minutes", "300"]),
    # The exam being passed renews the other one, whatever their levels.
    ("my security specialty runs out soon, would passing sap-c02 renew it?", ["SCS-C03"]),
    # Renewal by a higher level, asked by levels alone.
    ("does passing a professional renew an associate", ["yes"]),
    # "What next" honours the level asked, and never steps down after a Professional.
    ("done with sap-c02, which specialty should i do next", ["Specialty"]),
    # "book" the verb is booking; "book" the noun is study material.
    ("how far ahead should i book", ["Certification Account"]),
    ("which book do you recommend for the cloud practitioner", ["Skill Builder"]),
    # A percentage next to "voucher" is the discount, not a domain weight.
    ("is the 50% voucher valid for any exam", ["50%"]),
    # A fact the exam's sheet lacks is answered from the general FAQ entry.
    ("is dva offered in japanese", ["Japanese"]),
    # Shortened words inside a name.
    ("ml eng associate passing score", ["720"]),
    # A role and a choice of path is a career question, whatever services it names.
    ("frontend dev using s3 and cloudfront daily, which one first", ["Associate"]),
    # A long word one slip from an intent's word is read as that word.
    ("how many questons does the sap have", ["75"]),
    # "the <word> one" names the one current exam whose names begin with that word.
    ("whats the passing score of the security one", ["SCS-C03", "750"]),
    # Sitting a passed exam again, whatever the tense of "pass".
    ("after passing dva can i sit it again next month", ["2 years"]),
    # Notes the member wrote are not notes brought into the exam room.
    ("how much is the dop, my notes say 300", ["DOP-C02", "300"]),
    # "Matches" asks which certification fits, like "fits" and "suits".
    ("which associate matches a data pipeline job", ["DEA-C01"]),
    # Accreditations are weighed as what they are, not as certifications.
    ("is a free accreditation worth as much as a cert", ["not certifications"]),
    # Found by the second outside tester: an exam taken "without any associate first" has no prerequisite;
    # "how many right to pass" is the scaled passing score; a veto reads the whole question, so a beta
    # exam's retakes are the beta entry's, not the failed-exam wait.
    ("can i sit the security specialty without any associate before it", ["no prerequisite"]),
    ("how many do i need to get right to pass the dva", ["720", "scaled"]),
    ("how many times am i allowed to sit a beta exam", ["beta"]),
    # A price in another currency is the local-currency entry, beside the list price.
    ("how much is the cloud practitioner in yen", ["JPY"]),
    # "When does mine expire" with the day of the pass: the day it runs out, from the exam's validity.
    ("when does my saa expire if i passed it on 2024-03-15", ["15 March 2027"]),
    ("passed dva on march 3rd, 2025, when do i need to renew", ["3 March 2028"]),
    ("i passed the sap on 29 february 2024, how long is it valid", ["28 February 2027"]),
    # Skill Builder's plans are the Skill Builder entry; the Alexa Skill Builder exam stays an exam.
    ("what does a skill builder team subscription cost per seat", ["449"]),
    ("price of the alexa skill builder specialty", ["AXS-C01", "retired"]),
]


@pytest.mark.parametrize(("question", "facts"), ANSWERED)
def test_class_rule_answers(engine: AskEngine, question: str, facts: list[str]) -> None:
    _says(engine, question, *facts)


DECLINED = [
    # Facts of a version that does not exist stay declined.
    "dva-c03 number of questions",
    # "aws <title> cert" mixing a name word with a word of no name.
    "aws certified robotics developer price",
    "when is the aws game developer cert out",
    # Another language typed without accents, or naming the exam in English.
    "saa sinavi kac dakika",
    "magkano ang bayad sa aws developer associate exam",
    # Asking for exam answers is refused like dumps.
    "what is the answer to question 7 on the dva exam",
    # Certification words in their everyday or technical sense.
    "how do i renew my driving licence",
    "how do i set up an ssl certificate for my site",
    # A how-to about a service is technical, whatever exam it is studied for.
    "studying for dva, can you walk me through creating a lambda function step by step",
    # What certified people earn is published nowhere studybot reads: declined, not a price list.
    "how much do people with the saa earn",
    # A question that says it is off topic is taken at its word.
    "off topic: did anyone watch the match yesterday, too tired from saa prep",
]


@pytest.mark.parametrize("question", DECLINED)
def test_class_rule_declines(engine: AskEngine, question: str) -> None:
    answer = engine.answer(question)
    assert answer.declined, (question, answer.title, answer.text)


def test_advice_about_several_exams_is_advice(engine: AskEngine) -> None:
    """ "Passed SAA and DVA, both interviews went badly": advice, not a side-by-side of facts."""
    answer = engine.answer("passed saa and dva, both interviews went badly, was it a waste")
    assert not answer.declined and answer.faq is not None
    assert " vs " not in answer.title


@pytest.mark.parametrize(
    "question", ["when did data analytics specialty retire", "soa c03 vs soa c02", "when did dbs-c01 retire"]
)
def test_an_answer_says_each_thing_once_and_cites_each_page_once(engine: AskEngine, question: str) -> None:
    """Found by the second outside tester: a retired exam's status and history printed the same
    paragraph twice, and one exam guide was listed three times under three labels."""
    answer = engine.answer(question)
    paragraphs = [p for p in answer.text.split("\n\n") if p.strip()]
    assert len(paragraphs) == len(set(paragraphs)), answer.text
    urls = [u for line in answer.sources for u in re.findall(r"\]\((https?://[^)\s]+)\)", line)]
    assert urls and len(urls) == len(set(urls)), answer.sources


def test_the_glance_at_an_exam_reads_as_english(engine: AskEngine) -> None:
    """ "is a Associate exam" (found by the second outside tester) reads "is an Associate exam"."""
    text = engine.answer("is saa worth it for a higher salary").text
    assert "is an Associate exam" in text and "is a Associate" not in text, text
