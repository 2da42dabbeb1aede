"""`/studyadmin bank import` as a moderator types it: a friendly answer without questions, and every
successful import in the audit log (issue 20)."""

from __future__ import annotations

from bot.commands.dispatch import Core
from bot.features.banks import EXAMPLE
from tests.conftest import person

MODERATOR = person("mo", moderator=True)


async def test_an_import_without_questions_says_what_to_give_and_changes_nothing(core: Core) -> None:
    reply = await core.handle_line(MODERATOR, "/studyadmin bank import mode:append")
    assert reply.title == "That didn't work"
    assert "Give the questions to import in `text:`" in reply.text and "Reference" not in reply.text
    audit = await core.handle_line(MODERATOR, "/studyadmin audit")
    assert "bank import" not in audit.text


async def test_a_successful_import_is_in_the_audit_log(core: Core) -> None:
    imported = await core.handle_line(MODERATOR, EXAMPLE)
    assert imported.title == "Question bank imported"
    audit = await core.handle_line(MODERATOR, "/studyadmin audit")
    assert audit.text.startswith("The last change:\n")  # one entry: not "the last 1 change"
    assert "`bank import` SAA-C03" in audit.text and "added: 1" in audit.text and "mode: append" in audit.text
