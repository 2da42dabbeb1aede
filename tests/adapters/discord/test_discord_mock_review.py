"""Issue 17 through real discord.py and the fake Discord: a 10-question mock flagged, reviewed, changed and
submitted across a restart of the bot, and a report whose pages each fit one Discord message."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from adapters.discord.render import DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT, EMBEDS_PER_MESSAGE, FIELD_VALUE_LIMIT
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.store.schema import practice_attempts
from tests.adapters.discord import screen
from tests.adapters.discord.conftest import close_adapter, open_adapter
from tests.adapters.discord.test_discord_practice import UPDATE_MESSAGE, answer, ask, press
from tests.conftest import make_settings
from tests.fakes.discord_server import FakeDiscord


async def tap(fake: FakeDiscord, message: dict[str, Any], label: str) -> dict[str, Any]:
    """Press the button labelled `label`; the press must update the message in place."""
    kind, after = await press(fake, message, screen.button(message, label)["custom_id"])
    assert kind == UPDATE_MESSAGE, screen.text(after)
    return after


def fits_one_message(message: dict[str, Any]) -> None:
    embeds = message.get("embeds") or []
    assert 1 <= len(embeds) <= EMBEDS_PER_MESSAGE
    total = 0
    for embed in embeds:
        assert len(embed.get("description", "")) <= DESCRIPTION_LIMIT
        assert all(len(f["value"]) <= FIELD_VALUE_LIMIT for f in embed.get("fields", []))
        total += len(embed.get("title", "")) + len(embed.get("description", ""))
        total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
        total += len(embed.get("footer", {}).get("text", ""))
    assert total <= EMBED_TOTAL_LIMIT
    assert not screen.text(message).rstrip().endswith("…")  # nothing was cut off


async def test_a_mock_flagged_reviewed_changed_and_submitted_across_a_restart(
    runtime: Runtime, fake: FakeDiscord, synced: None, sqlite_url: str, clock: FixedClock, catalog: Catalog
) -> None:
    first = await open_adapter(runtime, fake)
    try:
        message = await ask(fake, "mock", {"exam": "SAA-C03", "questions": 10})
        for n in range(1, 6):
            assert screen.title(message) == f"Mock SAA-C03 · question {n} of 10", screen.text(message)
            if n == 2:
                message = await tap(fake, message, "Flag for review")
                assert "Flagged for review." in screen.text(message) and "Remove flag" in screen.labels(message)
            _kind, message = await answer(fake, catalog, message, right=n % 2 == 0)
    finally:
        await close_adapter(fake, first)

    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog) as restarted:
        second = await open_adapter(restarted, fake)
        try:
            for n in range(6, 10):  # the message from before the restart goes on
                assert screen.title(message) == f"Mock SAA-C03 · question {n} of 10", screen.text(message)
                kind, message = await answer(fake, catalog, message, right=n % 2 == 0)
                assert kind == UPDATE_MESSAGE
            review = await tap(fake, message, "Review answers")
            assert screen.title(review) == "Mock SAA-C03 · review"
            assert "9 answered, 1 unanswered, 1 flagged." in screen.text(review)
            assert screen.labels(review)[-2:] == ["Q10 ?", "Submit mock"] and "Q2 ⚑" in screen.labels(review)
            confirm = await tap(fake, review, "Submit mock")
            assert "1 question is unanswered" in screen.text(confirm)
            back = await tap(fake, confirm, "Back to review")
            q1 = await tap(fake, back, "Q1")
            assert screen.title(q1) == "Mock SAA-C03 · question 1 of 10" and "Your answer now:" in screen.text(q1)
            _kind, q10 = await answer(fake, catalog, q1, right=True)  # changed from wrong to right
            assert screen.title(q10) == "Mock SAA-C03 · question 10 of 10"
            _kind, done = await answer(fake, catalog, q10, right=True)
            assert screen.title(done) == "Mock SAA-C03 · review"
            assert "10 answered, 0 unanswered, 1 flagged." in screen.text(done)
            report = await tap(fake, done, "Submit mock")
            assert screen.title(report) == "Mock SAA-C03 report"
            # Right: 1 (changed), 2, 4, 6, 8 and 10; wrong: 3, 5, 7 and 9.
            assert "6 of 10 correct" in screen.text(report) and "You submitted it." in screen.text(report)
            fits_one_message(report)

            pages = []
            page = report
            while "Next" in screen.labels(page):
                page = await tap(fake, page, "Next")
                fits_one_message(page)
                pages.append(screen.text(page))
            assert screen.title(page) == f"Mock SAA-C03 report · answers {len(pages)} of {len(pages)}"
            everything = "\n".join(pages)
            heads = [line for line in everything.splitlines() if line.startswith("**Question ")]
            order = [int(h.removeprefix("**Question ").split(":")[0]) for h in heads]
            assert order[:5] == [2, 3, 5, 7, 9] and sorted(order) == list(range(1, 11)), heads
            async with restarted.services.engine.connect() as conn:
                ids = (await conn.execute(select(practice_attempts.c.question_id))).scalars().all()
            for question_id in ids:
                question = catalog.question(question_id)
                assert question is not None
                for option in question.options:
                    assert option.explanation in everything, option.explanation
            first_page = await tap(fake, page, "Previous")
            assert screen.title(first_page).startswith("Mock SAA-C03 report")
        finally:
            await close_adapter(fake, second)
