"""Issue 17's remaining flows through the real Bolt app in HTTP mode and the fake Slack: a final mock
(`/study mock exam:… final:true`) flagged, reviewed, changed and submitted with its paged teaching report,
and a second one after a restart that repeats nothing; `/study review` with its daily cap, a break and
its end; and the Report modal opened from a review's verdict."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select

from adapters.slack.render import ACTION_ID, ACTIONS_ELEMENTS, BUTTON_TEXT, BUTTON_VALUE, MAX_BLOCKS
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.practice.mock_run import JUMP_BUTTONS
from bot.runtime import Runtime
from bot.store.schema import practice_attempts, question_reports
from tests.adapters.slack.conftest import Chat, buttons, elements, shown, slack_settings, title
from tests.adapters.slack.test_bank_modal import posted_text, submit
from tests.adapters.slack.test_slack_errata import open_report
from tests.adapters.slack.test_slack_flow_practice import answer, running, served, single
from tests.adapters.slack.test_slack_mock_review import fits_one_message, tap
from tests.fakes.slack_server import FakeSlack


async def finals_served(tmp_path: Path, clock: FixedClock, catalog: Catalog) -> list[str]:
    async with Runtime(slack_settings(tmp_path), clock=clock, catalog=catalog) as rt:
        async with rt.services.engine.connect() as conn:
            rows = await conn.execute(
                select(practice_attempts.c.question_id).where(practice_attempts.c.source == "final")
            )
            return list(rows.scalars())


async def report_pages(chat: Chat, report: dict[str, Any]) -> list[str]:
    """Every answers page after the report's first, each checked to fit one Slack message."""
    pages = []
    page = report
    while "Next" in buttons(page):
        page = await tap(chat, page, "Next")
        fits_one_message(page)
        pages.append(shown(page))
    assert title(page) == f"Final mock SAA-C03 report · answers {len(pages)} of {len(pages)}"
    return pages


async def test_a_final_mock_on_slack_flagged_changed_submitted_taught_and_never_repeated_after_a_restart(
    fake_slack: FakeSlack, tmp_path: Path, clock: FixedClock, catalog: Catalog
) -> None:
    async with running(tmp_path, clock, catalog, fake_slack) as chat:
        body = await chat.command("mock exam:SAA-C03 final:true questions:5")
        for n in range(1, 6):
            assert title(body) == f"Final mock SAA-C03 · question {n} of 5", shown(body)
            if n == 2:
                body = await tap(chat, body, "Flag for review")
                assert "Flagged for review." in shown(body) and "Remove flag" in buttons(body)
            body = await answer(chat, catalog, body, right=n % 2 == 0)
        assert title(body) == "Final mock SAA-C03 · review", shown(body)
        assert "5 answered, 0 unanswered, 1 flagged." in shown(body) and "Q2 ⚑" in buttons(body)
        q3 = await tap(chat, body, "Q3")
        assert title(q3) == "Final mock SAA-C03 · question 3 of 5" and "Your answer now:" in shown(q3)
        back = await answer(chat, catalog, q3, right=True)  # changed from wrong to right
        assert title(back) == "Final mock SAA-C03 · review", shown(back)
        report = await tap(chat, back, "Submit mock")
        assert title(report) == "Final mock SAA-C03 report"
        # Right: 2, 3 (changed) and 4; wrong: 1 and 5.
        assert "3 of 5 correct" in shown(report) and "rests your readiness on this score first" in shown(report)
        fits_one_message(report)
        pages = await report_pages(chat, report)
        heads = [line for line in "\n".join(pages).splitlines() if line.startswith("*Question ")]
        order = [int(h.removeprefix("*Question ").split(":")[0]) for h in heads]
        assert order[:3] == [1, 2, 5] and sorted(order) == [1, 2, 3, 4, 5], heads  # wrong and flagged first
        stats = shown(await chat.command("stats exam:SAA-C03"))
        assert "rests first on your final mock" in stats and "3 of 5 right" in stats, stats

    first = await finals_served(tmp_path, clock, catalog)
    assert len(first) == 5
    async with Runtime(slack_settings(tmp_path), clock=clock, catalog=catalog) as rt:
        assert set(first) <= rt.services.questions.held_out_ids("SAA-C03")
    plain = "\n".join(pages).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    for question_id in first:
        question = catalog.question(question_id)
        assert question is not None
        for option in question.options:  # every answer explained
            assert option.explanation in plain, option.explanation

    async with running(tmp_path, clock, catalog, fake_slack) as chat:
        body = await chat.command("mock exam:SAA-C03 final:true questions:5")
        for n in range(1, 6):
            assert title(body) == f"Final mock SAA-C03 · question {n} of 5", shown(body)
            body = await answer(chat, catalog, body, right=True)
        report = await tap(chat, body, "Submit mock")
        assert "5 of 5 correct" in shown(report)
    both = await finals_served(tmp_path, clock, catalog)
    assert len(both) == 10 and len(set(both)) == 10  # the second final repeats none of the first


def within_block_kit(body: dict[str, Any]) -> None:
    """What Slack refuses a message for (`invalid_blocks`): too many blocks or elements in an actions
    block, a button's text, value or action id too long, or two elements with one action id."""
    blocks = body["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    assert all(len(b["elements"]) <= ACTIONS_ELEMENTS for b in blocks if b["type"] == "actions")
    ids = [e["action_id"] for e in elements(blocks)]
    assert len(ids) == len(set(ids)) and all(len(i) <= ACTION_ID for i in ids)
    for e in elements(blocks):
        if e["type"] == "button":
            assert len(e["text"]["text"]) <= BUTTON_TEXT and len(e["value"]) <= BUTTON_VALUE


async def test_a_full_length_final_mocks_review_screen_fits_one_slack_message(chat: Chat) -> None:
    first = await chat.command("mock exam:SAA-C03 final:true")
    assert title(first) == "Final mock SAA-C03 · question 1 of 65", shown(first)
    within_block_kit(first)
    review = await tap(chat, first, "Review answers")
    assert "0 answered, 65 unanswered, 0 flagged." in shown(review), shown(review)
    within_block_kit(review)
    jumps = [label for label in buttons(review) if label.startswith("Q")]
    assert jumps == [f"Q{n} ?" for n in range(1, JUMP_BUTTONS + 1)] and list(buttons(review))[-1] == "Submit mock"
    assert f"Buttons show {JUMP_BUTTONS} questions" in shown(review)
    fits_one_message(review)  # every question listed, none cut off
    last = await tap(chat, review, jumps[-1])
    assert title(last) == f"Final mock SAA-C03 · question {JUMP_BUTTONS} of 65"
    confirm = await tap(chat, review, "Submit mock")
    assert "65 questions are unanswered" in shown(confirm), shown(confirm)
    within_block_kit(confirm)


async def wrong_practice_answers(chat: Chat, catalog: Catalog, clock: FixedClock, n: int) -> None:
    """`n` single-answer practice questions answered wrong, then time for each to be due in review."""
    for _ in range(n):
        verdict = await answer(chat, catalog, await single(chat), right=False)
        assert title(verdict) == "Not quite"
        clock.advance(dt.timedelta(seconds=10))
    clock.advance(dt.timedelta(minutes=11))


async def test_review_on_slack_stops_at_the_daily_cap_then_pauses_for_a_break_and_resumes(
    chat: Chat, catalog: Catalog, clock: FixedClock
) -> None:
    bad = await chat.command("review settings cap:2")
    assert title(bad) == "That didn't work", shown(bad)
    plan = await chat.command("review settings cap:5")
    assert title(plan) == "Your reviews" and "5 reviews" in shown(plan), shown(plan)
    await wrong_practice_answers(chat, catalog, clock, 6)

    review = await chat.command("review")
    for _ in range(5):
        assert title(review).startswith("Review · SAA-C03"), shown(review)
        done = await answer(chat, catalog, review, right=True)
        assert title(done) == "Correct" and "Next review" in buttons(done)
        review = await chat.press(buttons(done)["Next review"])
    assert title(review) == "Done for today", shown(review)  # the sixth, from the button
    capped = await chat.command("review")
    assert title(capped) == "Done for today"
    assert "You answered 5 reviews today" in shown(capped) and "1 card still due" in shown(capped), shown(capped)

    bad_break = await chat.command("review break from:2026-11-30 to:2026-11-26")
    assert title(bad_break) == "That didn't work" and "before it starts" in shown(bad_break)
    taken = await chat.command("review break from:2026-11-24 to:2026-11-25")
    assert title(taken) == "Break set", shown(taken)
    assert "From Thu 26 Nov" in shown(taken), shown(taken)
    clock.set(dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC))
    paused = await chat.command("review")
    assert title(paused) == "On a break" and "Wed 25 Nov" in shown(paused), shown(paused)
    ended = await chat.command("review resume")
    assert title(ended) == "Break ended", shown(ended)
    back = await chat.command("review")
    assert title(back).startswith("Review · SAA-C03"), shown(back)


async def test_the_report_modal_opens_from_a_reviews_verdict_on_slack(
    chat: Chat, catalog: Catalog, clock: FixedClock, slack_runtime: Runtime
) -> None:
    fake = chat.fake
    await wrong_practice_answers(chat, catalog, clock, 1)
    review = await chat.command("review")
    assert title(review).startswith("Review · SAA-C03"), shown(review)
    question, _order = served(catalog, review)
    verdict = await answer(chat, catalog, review, right=False)
    assert title(verdict) == "Not quite" and "Report" in buttons(verdict), list(buttons(verdict))

    view = await open_report(chat, verdict, question.id)
    said = posted_text(await submit(chat.deliveries, fake, view, {"choice:reason": "unclear", "text:note": "which?"}))
    assert "Thanks: your report on" in said and question.id in said, said
    async with slack_runtime.services.engine.connect() as conn:
        rows = (await conn.execute(select(question_reports.c.question_id, question_reports.c.reason))).all()
    assert rows == [(question.id, "unclear")]
