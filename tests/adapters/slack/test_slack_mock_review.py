"""Issue 17 through the real Bolt app and the fake Slack: a 10-question mock flagged, reviewed, changed and
submitted across a restart of the bot, and a report whose pages each fit one Slack message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from adapters.slack.render import ELLIPSIS, MAX_BLOCKS, SECTION_TEXT
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.store.schema import practice_answers, practice_attempts
from tests.adapters.slack.conftest import Chat, buttons, shown, slack_settings, title
from tests.adapters.slack.test_slack_flow_practice import answer, count, running
from tests.fakes.slack_server import FakeSlack


async def tap(chat: Chat, body: dict[str, Any], label: str) -> dict[str, Any]:
    assert label in buttons(body), f"no button {label!r}: {list(buttons(body))}"
    after = await chat.press(buttons(body)[label])
    assert after["replace_original"] is True, shown(after)
    return after


def fits_one_message(body: dict[str, Any]) -> None:
    blocks = body["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= SECTION_TEXT
    assert not shown(body).rstrip().endswith(ELLIPSIS)  # nothing was cut off


async def test_a_mock_flagged_reviewed_changed_and_submitted_across_a_restart(
    fake_slack: FakeSlack, tmp_path: Path, clock: FixedClock, catalog: Catalog
) -> None:
    async with running(tmp_path, clock, catalog, fake_slack) as chat:
        body = await chat.command("mock exam:SAA-C03 questions:10")
        for n in range(1, 6):
            assert title(body) == f"Mock SAA-C03 · question {n} of 10", shown(body)
            if n == 2:
                body = await tap(chat, body, "Flag for review")
                assert "Flagged for review." in shown(body) and "Remove flag" in buttons(body)
            body = await answer(chat, catalog, body, right=n % 2 == 0)

    async with running(tmp_path, clock, catalog, fake_slack) as chat:
        for n in range(6, 10):  # the message from before the restart goes on
            assert title(body) == f"Mock SAA-C03 · question {n} of 10", shown(body)
            body = await answer(chat, catalog, body, right=n % 2 == 0)
        review = await tap(chat, body, "Review answers")
        assert title(review) == "Mock SAA-C03 · review" and "9 answered, 1 unanswered, 1 flagged." in shown(review)
        assert list(buttons(review))[-2:] == ["Q10 ?", "Submit mock"] and "Q2 ⚑" in buttons(review)
        confirm = await tap(chat, review, "Submit mock")
        assert "1 question is unanswered" in shown(confirm)
        back = await tap(chat, confirm, "Back to review")
        q1 = await tap(chat, back, "Q1")
        assert title(q1) == "Mock SAA-C03 · question 1 of 10" and "Your answer now:" in shown(q1)
        q10 = await answer(chat, catalog, q1, right=True)  # changed from wrong to right
        assert title(q10) == "Mock SAA-C03 · question 10 of 10"
        done = await answer(chat, catalog, q10, right=True)
        assert title(done) == "Mock SAA-C03 · review" and "10 answered, 0 unanswered, 1 flagged." in shown(done)
        report = await tap(chat, done, "Submit mock")
        assert title(report) == "Mock SAA-C03 report"
        # Right: 1 (changed), 2, 4, 6, 8 and 10; wrong: 3, 5, 7 and 9.
        assert "6 of 10 correct" in shown(report) and "You submitted it." in shown(report)
        fits_one_message(report)

        pages = []
        page = report
        while "Next" in buttons(page):
            page = await tap(chat, page, "Next")
            fits_one_message(page)
            pages.append(shown(page))
        assert title(page) == f"Mock SAA-C03 report · answers {len(pages)} of {len(pages)}"
        everything = "\n".join(pages)
        heads = [line for line in everything.splitlines() if line.startswith("*Question ")]
        order = [int(h.removeprefix("*Question ").split(":")[0]) for h in heads]
        assert order[:5] == [2, 3, 5, 7, 9] and sorted(order) == list(range(1, 11)), heads
        prev = await tap(chat, page, "Previous")
        assert title(prev).startswith("Mock SAA-C03 report")

    async with Runtime(slack_settings(tmp_path), clock=clock, catalog=catalog) as rt:
        assert await count(rt, practice_answers) == 10
        async with rt.services.engine.connect() as conn:
            ids = (await conn.execute(select(practice_attempts.c.question_id))).scalars().all()
    plain = everything.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    for question_id in ids:
        question = catalog.question(question_id)
        assert question is not None
        for option in question.options:
            assert option.explanation in plain, option.explanation
