"""`/choose` in the console takes the letters as shown as well as numbers."""

from __future__ import annotations

from adapters.console.shell import ConsoleSession
from bot.commands.dispatch import Core
from tests.conftest import person


async def _multiple(session: ConsoleSession) -> None:
    for _ in range(60):
        reply = await session.reply_for("/practice exam:SAA-C03")
        if reply is not None and reply.select is not None:
            return
    raise AssertionError("no multiple-response question served")


async def test_choose_by_letters_as_shown(core: Core) -> None:
    session = ConsoleSession(core, person())
    await _multiple(session)
    assert session.select is not None
    wanted = session.select.max_values
    letters = " ".join(o.label for o in session.select.options[:wanted])
    chosen = await session.reply_for(f"/choose {letters.lower()}")
    assert chosen is not None and chosen.text.startswith("Chosen: "), chosen
    bad = await session.reply_for("/choose Z")
    assert bad is not None and bad.title == "That didn't work" and "letters" in bad.text
