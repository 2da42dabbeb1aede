"""Issue 8 through the real Bolt app and the fake Slack: practice, review, a mock, stats, restarts, double presses.

Every answer is a `block_actions` press on the Block Kit the app rendered; the right letter is worked
out from the question the button names, as a member who knows the answer would press it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from adapters.slack import SlackAdapter
from bot.catalog import Catalog
from bot.catalog.models import Question
from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.store.schema import practice_answers, review_cards
from tests.adapters.slack.conftest import (
    ADMIN,
    MEMBER,
    Chat,
    ObservedCore,
    SlackDeliveries,
    buttons,
    menu,
    menu_state,
    shown,
    slack_settings,
    title,
)
from tests.fakes.slack_server import FakeSlack

LETTERS = "ABCDEF"


async def count(runtime: Runtime, table: Any) -> int:
    async with runtime.services.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


def served(catalog: Catalog, body: dict[str, Any]) -> tuple[Question, str]:
    """The question a practice message shows and its option order, from its first answer element."""
    first = next(iter(buttons(body).values()))
    _kind, _version, _attempt, question_id, order, _letter = first["value"].split(":")
    question = catalog.question(question_id)
    assert question is not None, first["value"]
    return question, order


def right_letters(catalog: Catalog, body: dict[str, Any]) -> str:
    question, order = served(catalog, body)
    return "".join(sorted(LETTERS[order.index(str(i))] for i in question.correct_indexes))


async def answer(
    chat: Chat, catalog: Catalog, body: dict[str, Any], *, right: bool, user: str = MEMBER
) -> dict[str, Any]:
    """Press the right (or a wrong) answer: a letter button, or the menu's choices and then Submit."""
    letters = right_letters(catalog, body)
    options = menu(body)
    if options is None:
        label = letters if right else next(b for b in buttons(body) if b != letters)
        return await chat.press(buttons(body)[label], user=user)
    offered = "".join(o["value"] for o in options["options"])
    wrong = next("".join(c) for c in itertools.combinations(offered, len(letters)) if "".join(c) != letters)
    wanted = letters if right else wrong
    picked = [o for o in options["options"] if o["value"] in wanted]
    return await chat.press(buttons(body)["Submit"], user=user, state=menu_state(options, picked))


async def single(chat: Chat, user: str = MEMBER) -> dict[str, Any]:
    """`/study practice exam:SAA-C03` until the question is a single-answer one."""
    for _ in range(30):
        body = await chat.command("practice exam:SAA-C03", user=user)
        if menu(body) is None:
            return body
    raise AssertionError("no single-answer question served")


async def test_practice_press_replaces_the_question_with_the_explained_verdict(
    chat: Chat, catalog: Catalog, slack_runtime: Runtime
) -> None:
    body = await single(chat)
    assert body["response_type"] == "ephemeral" and title(body).startswith("SAA-C03 · ")
    question, order = served(catalog, body)
    assert list(buttons(body)) == list(LETTERS[: len(question.options)])
    assert all(b["style"] == "primary" for b in buttons(body).values())

    verdict = await answer(chat, catalog, body, right=True)
    assert verdict["replace_original"] is True and "response_type" not in verdict  # the question is replaced
    assert title(verdict) == "Correct"
    text = shown(verdict)
    assert "(correct, your answer)" in text
    for option in question.options:  # every option explained, in the order the member saw
        assert option.explanation.split(" ", 1)[-1][:25].replace("&", "&amp;").replace("<", "&lt;") in text
    assert "<https://docs.aws.amazon.com/" in text  # a doc link, as a Slack link
    assert "Next question" in buttons(verdict)
    assert await count(slack_runtime, practice_answers) == 1 and await count(slack_runtime, review_cards) == 1
    assert len(order) == len(question.options)


async def test_choose_n_with_the_menu_then_submit(
    chat: Chat, catalog: Catalog, slack_runtime: Runtime, fake_slack: FakeSlack, recording: ObservedCore
) -> None:
    for _ in range(60):
        body = await chat.command("practice exam:SAA-C03")
        if menu(body) is not None:
            break
    else:
        raise AssertionError("no multiple-response question in SAA-C03")
    options = menu(body)
    assert options is not None and options["type"] == "multi_static_select"
    question, _order = served(catalog, body)
    assert options["max_selected_items"] == question.choose >= 2 and list(buttons(body)) == ["Submit"]

    # Choosing in the menu is only acknowledged (Slack reports every change); nothing is graded yet.
    actions_before = len(recording.actions)
    sent, key = await chat.deliveries.press(options, picked=options["options"][:1])
    assert sent.status == 200 and sent.text == ""
    barrier = await chat.command("help")  # the next request's answer arrives after any work of that one
    assert title(barrier) == "studybot commands"
    assert fake_slack.calls("response", key) == [] and len(recording.actions) == actions_before

    nothing = await chat.press(buttons(body)["Submit"])  # Submit with nothing chosen
    assert f"Choose {question.choose} options in the menu first" in shown(nothing)
    assert nothing["replace_original"] is False and nothing["response_type"] == "ephemeral"

    verdict = await answer(chat, catalog, body, right=True)
    assert title(verdict) == "Correct" and verdict["replace_original"] is True
    assert recording.actions[-1].values == tuple(right_letters(catalog, body))
    assert await count(slack_runtime, practice_answers) == 1


async def test_a_wrong_answer_comes_back_in_review(chat: Chat, catalog: Catalog, clock: FixedClock) -> None:
    assert "no review cards" in shown(await chat.command("review"))
    body = await single(chat)
    verdict = await answer(chat, catalog, body, right=False)
    assert title(verdict) == "Not quite" and "in 10 minutes" in shown(verdict)
    waiting = await chat.command("review")
    assert title(waiting) == "All caught up" and "in 10 minutes" in shown(waiting)

    clock.advance(dt.timedelta(minutes=11))
    review = await chat.command("review")
    assert title(review).startswith("Review · SAA-C03")
    assert served(catalog, review)[0].id == served(catalog, body)[0].id
    done = await answer(chat, catalog, review, right=True)
    assert title(done) == "Correct" and "Next review" in buttons(done)
    assert title(await chat.command("review")) == "All caught up"


async def test_a_ten_question_mock_to_its_report_then_stats_and_leaderboard(
    chat: Chat, catalog: Catalog, slack_runtime: Runtime
) -> None:
    body = await chat.command("mock exam:SAA-C03 questions:10")
    assert title(body) == "Mock SAA-C03 · question 1 of 10" and "10 questions in 20 minutes" in shown(body)
    right = 0
    for n in range(10):
        assert title(body) == f"Mock SAA-C03 · question {n + 1} of 10", shown(body)
        body = await answer(chat, catalog, body, right=n % 3 != 0)
        assert body["replace_original"] is True  # each answer replaces the message with the next step
        right += n % 3 != 0
    assert title(body) == "Mock SAA-C03 · review"  # the review screen comes before submitting (issue 17)
    body = await chat.press(buttons(body)["Submit mock"])
    assert title(body) == "Mock SAA-C03 report"
    report = shown(body)
    assert f"{right} of 10 correct" in report and "Estimated scaled score" in report
    assert "passing mark of 720" in report and "Domains" in report
    assert await count(slack_runtime, practice_answers) == 10

    other = await single(chat, user=ADMIN)
    await answer(chat, catalog, other, right=True, user=ADMIN)
    stats = await chat.command("stats")
    assert f"10 ({right * 10}% correct)" in shown(stats) and "SAA-C03" in shown(stats)
    board = shown(await chat.command("leaderboard period:all"))
    assert f"1. *Ada*: {right} correct of 10" in board and "2. *Boss*: 1 correct of 1" in board


async def test_a_double_press_is_recorded_once(chat: Chat, catalog: Catalog, slack_runtime: Runtime) -> None:
    body = await single(chat)
    letter = right_letters(catalog, body)
    both = await asyncio.gather(chat.press(buttons(body)[letter]), chat.press(buttons(body)[letter]))
    assert sorted(title(b) for b in both) == ["Correct", "Correct"]
    assert sum("You already answered this one" in shown(b) for b in both) == 1
    later = await chat.press(buttons(body)[next(b for b in buttons(body) if b != letter)])  # a change of mind
    assert "You already answered this one" in shown(later) and title(later) == "Correct"
    assert await count(slack_runtime, practice_answers) == 1


@asynccontextmanager
async def running(tmp_path: Path, clock: FixedClock, catalog: Catalog, fake: FakeSlack) -> AsyncIterator[Chat]:
    """studybot with its Slack adapter in HTTP mode, started afresh on the same database each time."""
    async with Runtime(slack_settings(tmp_path), clock=clock, catalog=catalog) as rt:
        adapter = SlackAdapter(
            rt.core, slack_settings(tmp_path), http=True, port=0, host="127.0.0.1", base_url=fake.base_url
        )
        async with adapter, aiohttp.ClientSession() as session:
            yield Chat(SlackDeliveries(session, adapter.url, fake), fake)


async def test_a_press_after_a_restart_still_counts(
    fake_slack: FakeSlack, tmp_path: Path, clock: FixedClock, catalog: Catalog
) -> None:
    async with running(tmp_path, clock, catalog, fake_slack) as chat:
        body = await single(chat)
    async with running(tmp_path, clock, catalog, fake_slack) as chat:
        verdict = await answer(chat, catalog, body, right=True)  # a button from before the restart
        assert title(verdict) == "Correct" and verdict["replace_original"] is True
        again = await answer(chat, catalog, body, right=True)
        assert "You already answered this one" in shown(again)
    async with Runtime(slack_settings(tmp_path), clock=clock, catalog=catalog) as rt:
        assert await count(rt, practice_answers) == 1
