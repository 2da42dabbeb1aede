"""Issue 8 through real discord.py and the fake Discord: practice, review, a mock, stats, restarts, double presses."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import func, select

from adapters.discord.client import DiscordAdapter
from adapters.discord.render import EPHEMERAL
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.store.schema import practice_answers
from tests.adapters.discord import screen
from tests.adapters.discord.conftest import close_adapter, open_adapter
from tests.conftest import make_settings
from tests.fakes.discord_server import FakeDiscord

NEW_MESSAGE, UPDATE_MESSAGE = 4, 7
LETTER = "ABCDEF"


async def answers(runtime: Runtime) -> int:
    async with runtime.services.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(practice_answers))).scalar_one())


async def ask(
    fake: FakeDiscord, command: str, options: dict[str, Any] | None = None, user: str = "ada"
) -> dict[str, Any]:
    """The message a slash command was answered with."""
    return fake.message_of(await fake.wait_for_callback(await fake.slash(command, options, user=user)))


async def served(fake: FakeDiscord, *, multiple: bool, user: str = "ada") -> dict[str, Any]:
    """A /practice question with letter buttons (or with the "choose N" menu when `multiple`)."""
    for _ in range(60):
        message = await ask(fake, "practice", {"exam": "SAA-C03"}, user)
        if (screen.select(message) is not None) == multiple:
            return message
    raise AssertionError("no such question in SAA-C03")


async def press(
    fake: FakeDiscord, message: dict[str, Any], custom_id: str, *, user: str = "ada", values: list[str] | None = None
) -> tuple[int, dict[str, Any]]:
    """Press a component; the callback type and the message the member then sees."""
    callback = await fake.wait_for_callback(await fake.press(message["id"], custom_id, user=user, values=values))
    return callback.json["type"], fake.message_of(callback)


async def answer(fake: FakeDiscord, catalog: Catalog, message: dict[str, Any], *, right: bool) -> tuple[int, dict]:
    """Answer the question on `message` as a member would: a letter button, or the menu's N choices."""
    menu = screen.select(message)
    if menu is not None:
        letters = screen.right_letters(catalog, menu["custom_id"])
        chosen = list(letters) if right else [o["value"] for o in menu["options"] if o["value"] not in letters]
        return await press(fake, message, menu["custom_id"], values=chosen[: menu["max_values"]])
    first = screen.components(message)[0]["custom_id"]
    letter = (
        screen.right_letters(catalog, first)
        if right
        else next(b for b in screen.labels(message) if b != screen.right_letters(catalog, first))
    )
    return await press(fake, message, screen.button(message, letter)["custom_id"])


async def test_a_press_replaces_the_question_with_its_verdict(
    fake: FakeDiscord, adapter: DiscordAdapter, runtime: Runtime, catalog: Catalog
) -> None:
    message = await served(fake, multiple=False)
    assert message["flags"] & EPHEMERAL and screen.labels(message)[:2] == ["A", "B"]
    question, _order = screen.question_of(catalog, screen.components(message)[0]["custom_id"])

    kind, verdict = await answer(fake, catalog, message, right=True)
    assert kind == UPDATE_MESSAGE and verdict["id"] == message["id"]  # the question is replaced in place
    assert screen.title(verdict) == "Correct"
    shown = screen.text(verdict)
    for option in question.options:  # every option explained, not only the right one
        assert option.explanation.split(" ", 1)[-1][:40] in shown, option.text
    assert "](https://docs.aws.amazon.com/" in verdict["embeds"][0]["description"]
    assert screen.labels(verdict) == ["Next question", "Report"]
    assert await answers(runtime) == 1

    kind, following = await press(fake, verdict, screen.button(verdict, "Next question")["custom_id"])
    assert kind == NEW_MESSAGE and following["flags"] & EPHEMERAL  # a fresh question below the verdict
    assert screen.title(following).startswith("SAA-C03 · ")
    # the next question is either kind: letters to press, or a menu and Submit for "choose N"
    assert screen.labels(following)[0] == "A" or (
        screen.labels(following) == ["Submit"] and screen.select(following) is not None
    )


async def test_choose_n_with_the_menu(
    fake: FakeDiscord, adapter: DiscordAdapter, runtime: Runtime, catalog: Catalog
) -> None:
    message = await served(fake, multiple=True)
    menu = screen.select(message)
    assert menu is not None and menu["min_values"] == menu["max_values"] >= 2
    assert screen.labels(message) == ["Submit"]

    # Submit before choosing: told what to do, privately; the question stays as it was.
    kind, told = await press(fake, message, screen.button(message, "Submit")["custom_id"])
    assert kind == NEW_MESSAGE and told["flags"] & EPHEMERAL
    assert f"Choose {menu['max_values']} options in the menu first" in screen.text(told)
    assert fake.messages[int(message["id"])]["components"] == message["components"]
    assert await answers(runtime) == 0

    # On Discord, closing the menu with N options chosen is the submission: graded at once.
    kind, verdict = await answer(fake, catalog, message, right=True)
    assert kind == UPDATE_MESSAGE and verdict["id"] == message["id"]
    assert screen.title(verdict) == "Correct" and "your answer" in screen.text(verdict)
    assert await answers(runtime) == 1


async def test_a_wrong_answer_comes_back_in_review(
    fake: FakeDiscord, adapter: DiscordAdapter, clock: FixedClock, catalog: Catalog
) -> None:
    message = await served(fake, multiple=False)
    question, _order = screen.question_of(catalog, screen.components(message)[0]["custom_id"])
    _kind, verdict = await answer(fake, catalog, message, right=False)
    assert screen.title(verdict) == "Not quite" and "in 10 minutes" in screen.text(verdict)
    assert screen.title(await ask(fake, "review")) == "All caught up"

    clock.advance(dt.timedelta(minutes=11))
    due = await ask(fake, "review")
    assert screen.title(due).startswith("Review · SAA-C03")
    assert screen.question_of(catalog, screen.components(due)[0]["custom_id"])[0] == question
    kind, done = await answer(fake, catalog, due, right=True)
    assert kind == UPDATE_MESSAGE and screen.title(done) == "Correct"
    _kind, after = await press(fake, done, screen.button(done, "Next review")["custom_id"])
    assert screen.title(after) == "All caught up"


async def test_a_ten_question_mock_to_its_report_then_stats_and_leaderboard(
    fake: FakeDiscord, adapter: DiscordAdapter, catalog: Catalog
) -> None:
    message = await ask(fake, "mock", {"exam": "SAA-C03", "questions": 10})
    assert screen.title(message) == "Mock SAA-C03 · question 1 of 10"
    right = 0
    for n in range(10):
        assert screen.title(message).startswith(f"Mock SAA-C03 · question {n + 1} of 10"), screen.text(message)
        kind, message = await answer(fake, catalog, message, right=n % 3 != 0)
        assert kind == UPDATE_MESSAGE  # each answer turns the message into the next question
        right += n % 3 != 0
    assert screen.title(message) == "Mock SAA-C03 · review"  # the review screen comes before submitting (issue 17)
    kind, message = await press(fake, message, screen.button(message, "Submit mock")["custom_id"])
    assert kind == UPDATE_MESSAGE and screen.title(message) == "Mock SAA-C03 report"
    report = screen.text(message)
    assert f"{right} of 10 correct" in report and "Estimated scaled score" in report and "passing mark of 720" in report

    one = await served(fake, multiple=False, user="grace")
    letter = screen.right_letters(catalog, screen.components(one)[0]["custom_id"])
    await press(fake, one, screen.button(one, letter)["custom_id"], user="grace")

    stats = screen.text(await ask(fake, "stats"))
    assert f"Answered\n10 ({right * 10}% correct)" in stats, stats
    board = screen.text(await ask(fake, "leaderboard", {"period": "all"}))
    assert f"1. **Ada**: {right} correct of 10\n2. **Grace**: 1 correct of 1" in board, board


async def test_a_press_after_an_adapter_restart_still_counts(
    runtime: Runtime, fake: FakeDiscord, synced: None, sqlite_url: str, clock: FixedClock, catalog: Catalog
) -> None:
    first = await open_adapter(runtime, fake)
    try:
        message = await served(fake, multiple=False)
    finally:
        await close_adapter(fake, first)

    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog) as restarted:
        second = await open_adapter(restarted, fake)
        try:
            kind, verdict = await answer(fake, catalog, message, right=True)
        finally:
            await close_adapter(fake, second)
        assert kind == UPDATE_MESSAGE and screen.title(verdict) == "Correct"
        assert await answers(restarted) == 1


async def test_a_double_press_is_recorded_once(
    fake: FakeDiscord, adapter: DiscordAdapter, runtime: Runtime, catalog: Catalog
) -> None:
    message = await served(fake, multiple=False)
    a, b = screen.button(message, "A")["custom_id"], screen.button(message, "B")["custom_id"]
    # Both presses leave the member's client before either answer arrives, as with a quick double click.
    first, second = await asyncio.gather(fake.press(message["id"], a), fake.press(message["id"], b))
    callbacks = [await fake.wait_for_callback(p) for p in (first, second)]
    assert [c.json["type"] for c in callbacks] == [UPDATE_MESSAGE, UPDATE_MESSAGE]
    texts = [screen.text(c.json["data"]) for c in callbacks]
    assert sum("already answered" in t for t in texts) == 1
    assert await answers(runtime) == 1


async def served_of_type(fake: FakeDiscord, catalog: Catalog, exam: str, kind: str) -> dict[str, Any]:
    """A /practice question of one type (ordering, matching) from the shipped bank."""
    for _ in range(len(catalog.questions[exam])):
        message = await ask(fake, "practice", {"exam": exam})
        if screen.select(message) is None:
            question, _order = screen.question_of(catalog, screen.components(message)[0]["custom_id"])
            if question.type == kind:
                return message
    raise AssertionError(f"no {kind} question in {exam}")


async def test_ordering_and_matching_are_answered_step_by_step_and_graded_all_or_nothing(
    fake: FakeDiscord, adapter: DiscordAdapter, runtime: Runtime, catalog: Catalog
) -> None:
    # Ordering: one wrong step, "Start again", then the right sequence, one letter per press.
    message = await served_of_type(fake, catalog, "AIF-C01", "ordering")
    question, order = screen.question_of(catalog, screen.components(message)[0]["custom_id"])
    right = [LETTER[order.index(str(step))] for step in range(len(question.options))]
    assert "Press the step that comes **first**" in screen.text(message)
    assert sorted(screen.labels(message)) == sorted(right)  # every step once, no Start again yet

    kind, step = await press(fake, message, screen.button(message, right[1])["custom_id"])
    assert kind == UPDATE_MESSAGE and screen.title(step) == "Your answer so far"
    assert right[1] not in screen.labels(step) and "Start again" in screen.labels(step)
    kind, step = await press(fake, step, screen.button(step, "Start again")["custom_id"])
    assert kind == UPDATE_MESSAGE and sorted(screen.labels(step)) == sorted(right)
    assert await answers(runtime) == 0  # nothing is stored before the last step

    for letter in right:
        kind, step = await press(fake, step, screen.button(step, letter)["custom_id"])
        assert kind == UPDATE_MESSAGE
    assert screen.title(step) == "Correct" and "The right order" in screen.text(step)
    assert screen.labels(step) == ["Next question", "Report"] and await answers(runtime) == 1

    # Matching: every item matched but the last two swapped is wrong as a whole.
    message = await served_of_type(fake, catalog, "AIF-C01", "matching")
    question, order = screen.question_of(catalog, screen.components(message)[0]["custom_id"])
    pairs = [LETTER[order.index(str(item))] for item in range(len(question.options))]
    assert "Which match goes with item **1**" in screen.text(message)
    step = message
    for letter in (*pairs[:-2], pairs[-1], pairs[-2]):
        kind, step = await press(fake, step, screen.button(step, letter)["custom_id"])
        assert kind == UPDATE_MESSAGE
    assert screen.title(step) == "Not quite" and "The right pairs" in screen.text(step)
    assert f"you gave {pairs[-1]}" in screen.text(step)
    assert await answers(runtime) == 2
