"""`/cert` when what was typed could be several exams, is no exam, or is given twice (issue 20)."""

from __future__ import annotations

import pytest

from bot.actions import ActionId
from bot.commands.dispatch import Core
from bot.markup import to_plain
from bot.requests import Action
from tests.conftest import person


async def test_security_offers_the_current_exam_first_and_marks_the_retired_one(core: Core) -> None:
    reply = await core.handle_line(person(), "/cert security")
    assert reply.title == "Which exam do you mean?"
    assert [b.label for b in reply.buttons] == ["SCS-C03 Security Specialty", "SCS-C02 Security Specialty, retired"]
    opened = await core.handle(Action(person(), reply.buttons[0].action_id))
    assert opened.title is not None and opened.title.startswith("SCS-C03")


async def test_every_offer_lists_current_exams_before_retired_ones(core: Core) -> None:
    for typed in ("security", "data", "solutions architect", "sysops administrator"):
        reply = await core.handle_line(person(), f"/cert {typed}")
        exams = [core.services.catalog.exams[ActionId.decode(b.action_id).field(0)] for b in reply.buttons]
        states = [e.status for e in exams]
        assert states == sorted(states, key=lambda s: s != "current"), (typed, states)
        for button, exam in zip(reply.buttons, exams, strict=True):
            assert button.label.endswith(", retired") == (exam.status == "retired"), button.label


async def test_where_retired_exams_are_refused_the_one_current_exam_is_the_answer(core: Core) -> None:
    practice = await core.handle_line(person(), "/practice exam:security")
    assert practice.title is not None and practice.title.startswith("SCS-C03"), practice.text
    held = await core.handle_line(person(), "/mycerts add security")
    assert held.title == "That didn't work"
    assert "`SCS-C03` (Security Specialty), `SCS-C02` (Security Specialty, retired)" in held.text


@pytest.mark.parametrize("typed", ["SAP-C03", "SAA-C05", "saa-c05", "CLF C03"])
async def test_unknown_codes_are_no_exam_not_the_nearest_one(core: Core, typed: str) -> None:
    reply = await core.handle_line(person(), f"/cert {typed}")
    assert reply.title == "That didn't work" and not reply.buttons
    assert "AWS has no exam with that code" in to_plain(reply.text), reply.text


@pytest.mark.parametrize(
    "line",
    [
        "/cert exam:saa exam:dva",
        "/cert saa exam:dva",
        "/cert exam:saa exam:saa",
        "/practice exam:saa exam:dva",
        "/ask question:what is the price question:of saa",
    ],
)
async def test_an_option_given_twice_is_refused_the_same_way_everywhere(core: Core, line: str) -> None:
    reply = await core.handle_line(person(), line)
    assert reply.title == "That didn't work"
    name = line.split()[1].split(":")[0] if ":" in line.split()[1] else line.split()[2].split(":")[0]
    assert reply.text.startswith(f"You gave `{name}` twice."), reply.text


async def test_a_colon_in_free_text_is_still_free_text(core: Core) -> None:
    reply = await core.handle_line(person(), "/ask what is the exam: format of saa")
    assert reply.title != "That didn't work"
