"""`/cert` and `/ask` through the core, as members type them."""

from __future__ import annotations

import pytest

from bot.actions import ActionId
from bot.catalog import Catalog
from bot.catalog.ask import AskEngine
from bot.commands.dispatch import Core
from bot.markup import to_plain
from bot.requests import Action
from tests.conftest import person


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("solution architect assoc", "SAA-C03"),
        ("saa c03", "SAA-C03"),
        ("SAA-C03", "SAA-C03"),
        ("dva", "DVA-C02"),
        ("dev associate", "DVA-C02"),
        ("cloudops", "SOA-C03"),
        ("sysops", "SOA-C03"),
        ("SOA-C02", "SOA-C02"),
        ("ccp", "CLF-C02"),
        ("cloud practicioner", "CLF-C02"),
        ("security specialty", "SCS-C03"),
        ("advanced networking", "ANS-C01"),
        ("devops pro", "DOP-C02"),
    ],
)
async def test_cert_resolves_names_forgivingly(core: Core, typed: str, code: str) -> None:
    reply = await core.handle_line(person(), f"/cert {typed}")
    assert reply.title is not None and reply.title.startswith(code), (typed, reply.title)


async def test_cert_without_argument_lists_the_catalog_with_buttons(core: Core, catalog: Catalog) -> None:
    reply = await core.handle_line(person(), "/cert")
    assert len(reply.buttons) == len(catalog.current_exams) == 12
    opened = await core.handle(Action(person(), reply.buttons[0].action_id))
    assert opened.title is not None and "·" in opened.title and opened.footer and "reviewed" in opened.footer


async def test_ambiguous_names_get_choices_not_a_guess(core: Core) -> None:
    reply = await core.handle_line(person(), "/cert solutions architect")
    codes = {ActionId.decode(b.action_id).fields[0] for b in reply.buttons}
    assert codes == {"SAA-C03", "SAP-C02"}


async def test_retired_exams_say_so_and_name_the_successor(core: Core) -> None:
    reply = await core.handle_line(person(), "/cert SOA-C02")
    text = to_plain(reply.text)
    assert "retired" in text and "29 September 2025" in text and "SOA-C03" in text


async def test_unknown_exams_are_not_invented(core: Core) -> None:
    reply = await core.handle_line(person(), "/cert blockchain wizard")
    assert reply.title == "That didn't work" and "don't know an AWS exam" in reply.text


async def test_uncertain_figures_are_flagged(core: Core) -> None:
    reply = await core.handle_line(person(), "/cert AIP-C01")
    assert any(f.name == "Not certain" and "170" in f.value for f in reply.fields)
    answer = await core.handle_line(person(), "/ask how long is the aip exam")
    assert "Not certain" in answer.text and "170" in answer.text


async def test_ask_answers_facts_with_a_source(core: Core) -> None:
    reply = await core.handle_line(person(), "/ask what's the passing score for SAA?")
    assert "720" in reply.text and reply.footer and "exam guide" in reply.footer
    assert not reply.ephemeral


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how much is the saa exam?", "150"),
        ("how long are aws certs valid", "years"),
        ("is a certification worth it for a student?", "project"),
        ("can i still take mls-c01", "retired"),
        ("what order should i take the certs in", "Associate"),
    ],
)
async def test_ask_answers_cost_validity_order_worth_and_retired(core: Core, question: str, expected: str) -> None:
    reply = await core.handle_line(person(), f"/ask {question}")
    assert expected.casefold() in to_plain(reply.text).casefold(), (question, reply.text)
    assert reply.footer and reply.footer.startswith(("Source: ", "Sources: "))


@pytest.mark.parametrize(
    "question",
    [
        "whats the weather in berlin",
        "best pizza in naples",
        "how much is the saa-c04",
        "aws certified wizard specialty",
        "send me exam dumps",
    ],
)
async def test_ask_declines_off_topic_and_made_up_exams(core: Core, question: str) -> None:
    reply = await core.handle_line(person(), f"/ask {question}")
    declines = {"I don't know", "No such exam", "I won't help with that", "Not something I know", "Not an AWS exam"}
    assert reply.ephemeral and reply.title in declines


async def test_a_declined_question_offers_topics_as_buttons_that_open(catalog: Catalog, core: Core) -> None:
    answer = AskEngine(catalog).answer("recommend a good laptop for gaming")
    assert answer.declined and answer.suggestions
    reply = await core.handle_line(person(), "/ask recommend a good laptop for gaming")
    assert [b.label for b in reply.buttons] == [entry.question for entry in answer.suggestions]
    opened = await core.handle(Action(person(), reply.buttons[0].action_id))
    assert opened.title == answer.suggestions[0].question
    assert opened.footer and opened.footer.startswith(("Source: ", "Sources: "))


async def test_ask_needs_a_question(core: Core) -> None:
    reply = await core.handle_line(person(), "/ask")
    assert reply.title == "That didn't work" and "question" in reply.text
