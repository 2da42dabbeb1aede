"""Issue 17 through real discord.py and the fake Discord: a final mock (a boolean option of /mock) drawn from
the held-out slice, a second one after a restart that repeats nothing, readiness resting on it first, and
the review plan's options (an integer and a choice) as Discord sends them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.store.schema import practice_attempts
from tests.adapters.discord import screen
from tests.adapters.discord.conftest import close_adapter, open_adapter
from tests.adapters.discord.test_discord_mock_review import tap
from tests.adapters.discord.test_discord_practice import answer, ask
from tests.conftest import make_settings
from tests.fakes.discord_server import FakeDiscord


async def take_final(fake: FakeDiscord, catalog: Catalog, count: int) -> dict[str, Any]:
    """A final mock of `count` questions, every one answered right, submitted; the report."""
    message = await ask(fake, "mock", {"exam": "SAA-C03", "final": True, "questions": count})
    for n in range(1, count + 1):
        assert screen.title(message) == f"Final mock SAA-C03 · question {n} of {count}", screen.text(message)
        _kind, message = await answer(fake, catalog, message, right=True)
    assert screen.title(message) == "Final mock SAA-C03 · review"
    return await tap(fake, message, "Submit mock")


async def served_in_finals(runtime: Runtime) -> list[str]:
    async with runtime.services.engine.connect() as conn:
        rows = await conn.execute(select(practice_attempts.c.question_id).where(practice_attempts.c.source == "final"))
        return list(rows.scalars())


async def test_a_final_mock_on_discord_is_held_out_and_never_repeats_across_a_restart(
    runtime: Runtime, fake: FakeDiscord, synced: None, sqlite_url: str, clock: FixedClock, catalog: Catalog
) -> None:
    held = runtime.services.questions.held_out_ids("SAA-C03")
    first = await open_adapter(runtime, fake)
    try:
        practised = await ask(fake, "practice", {"exam": "SAA-C03"})
        question, _order = screen.question_of(catalog, screen.components(practised)[0]["custom_id"])
        assert question.id not in held
        report = await take_final(fake, catalog, 5)
        assert screen.title(report) == "Final mock SAA-C03 report"
        assert "5 of 5 correct" in screen.text(report)
        stats = await ask(fake, "stats", {"exam": "SAA-C03"})
        assert "rests first on your final mock" in screen.text(stats) and "5 of 5 right" in screen.text(stats)
    finally:
        await close_adapter(fake, first)
    once = await served_in_finals(runtime)
    assert len(once) == 5 and set(once) <= held

    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog) as restarted:
        second = await open_adapter(restarted, fake)
        try:
            await take_final(fake, catalog, 5)
            plan = await ask(fake, "review", {"action": "settings", "cap": 20, "dm": "on"})
            assert screen.title(plan) == "Your reviews" and "20 reviews" in screen.text(plan)
            review = await ask(fake, "review")
            assert screen.title(review) == "Nothing to review yet"  # ten final answers scheduled no review
        finally:
            await close_adapter(fake, second)
        both = await served_in_finals(restarted)
    assert len(both) == 10 and len(set(both)) == 10 and set(both) <= held
