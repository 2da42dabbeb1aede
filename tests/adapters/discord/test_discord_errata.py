"""Issue 17's errata through real discord.py and the fake Discord: the Report button under a verdict is
answered with the `/report` modal, its submission and two more members' `/report` suspend the question,
a moderator changes its key, and the member's `/stats` follows."""

from __future__ import annotations

from sqlalchemy import select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.store.schema import practice_answers, question_reports
from tests.adapters.discord import screen
from tests.adapters.discord.conftest import close_adapter, open_adapter
from tests.adapters.discord.test_discord_practice import answer, ask, served
from tests.conftest import make_settings
from tests.fakes.discord_server import FakeDiscord

MODAL = 9


async def test_report_modal_suspension_and_key_change_through_discord(
    runtime: Runtime, fake: FakeDiscord, synced: None, sqlite_url: str, clock: FixedClock, catalog: Catalog
) -> None:
    fake.add_user("bob")
    first = await open_adapter(runtime, fake)
    try:
        await _report_and_decide(fake, catalog, runtime)
    finally:
        await close_adapter(fake, first)
    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog) as restarted:
        second = await open_adapter(restarted, fake)
        try:
            stats = screen.text(await ask(fake, "stats"))
            queue = screen.text(await ask(fake, "studyadmin reports", {"status": "decided"}, "mod"))
        finally:
            await close_adapter(fake, second)
    assert "100% correct" in stats and "changed its key" not in stats  # the note was said once
    assert "decided" in queue


async def _report_and_decide(fake: FakeDiscord, catalog: Catalog, runtime: Runtime) -> None:
    message = await served(fake, multiple=False)
    question, _order = screen.question_of(catalog, screen.components(message)[0]["custom_id"])
    _kind, verdict = await answer(fake, catalog, message, right=False)
    assert "Report" in screen.labels(verdict)
    assert "0 correct of 1" in screen.text(await ask(fake, "leaderboard", {"period": "all"}))

    pressed = await fake.press(verdict["id"], screen.button(verdict, "Report")["custom_id"])
    callback = await fake.wait_for_callback(pressed)
    assert callback.json["type"] == MODAL, callback.json
    modal = callback.json["data"]
    fields = [label["component"]["custom_id"] for label in modal["components"]]
    assert fields == ["reason", "note", "link"]  # the question is already given
    reasons = next(label["component"] for label in modal["components"] if label["component"]["custom_id"] == "reason")
    assert [o["value"] for o in reasons["options"]] == ["wrong-key", "two-right", "outdated", "unclear", "typo"]

    submitted = await fake.submit_modal(
        pressed, {"reason": "wrong-key", "note": "B is right", "link": "https://docs.aws.amazon.com/x"}
    )
    sent = fake.message_of(await fake.wait_for_callback(submitted))
    assert "Thanks: your report on" in screen.text(sent) and question.id in screen.text(sent)
    for user in ("grace", "bob"):
        told = await ask(fake, "report", {"question": question.id, "reason": "wrong-key"}, user)
    assert "paused here" in screen.text(told)
    again = await ask(fake, "report", {"question": question.id, "reason": "typo"}, "ada")
    assert "already reported" in screen.text(again)
    async with runtime.services.engine.connect() as conn:
        notes = dict((await conn.execute(select(question_reports.c.user_id, question_reports.c.note))).all())
        chosen = (await conn.execute(select(practice_answers.c.chosen))).scalar_one()
    assert notes[str(fake.users["ada"].id)] == "B is right" and len(notes) == 3

    key = "ABCDEF"[int(chosen)]  # what the member answered becomes the key
    decided = await ask(
        fake, "studyadmin report decide", {"question": question.id, "decision": "key", "key": key}, "mod"
    )
    assert "graded again" in screen.text(decided), screen.text(decided)
    stats = screen.text(await ask(fake, "stats"))
    assert "changed its key" in stats and "1 now correct" in stats and "100% correct" in stats
    board = screen.text(await ask(fake, "leaderboard", {"period": "all"}))
    assert "1 correct of 1" in board, board  # it was 0 correct of 1 before the key changed
    audit = screen.text(await ask(fake, "studyadmin audit", {"limit": 10}, "mod"))
    assert audit.count("report.filed") == 3 and "question.suspended" in audit and "question.key" in audit
