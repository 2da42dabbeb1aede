"""Free text with control characters is refused before anything stores it (issue 20, found by an outside
tester): a report note holding an escape sequence reached the moderator's queue and the audit log raw,
and cleared the moderator's terminal when printed there. Line breaks, tabs and emoji stay welcome."""

from __future__ import annotations

import pytest

from bot.commands.dispatch import Core
from bot.markup import to_plain
from bot.replies import Reply
from tests.conftest import person

MOD = person("mo", moderator=True)


def shown(reply: Reply) -> str:
    """Everything a reply shows: its text and every field."""
    return to_plain("\n".join([reply.text, *(f"{f.name}: {f.value}" for f in reply.fields)]))


@pytest.mark.parametrize("hidden", ["\x1b[2J", "\x0b", "\x07", "\x7f", "\u202e", "\x9b"])
async def test_a_report_note_with_a_control_character_is_refused_and_nothing_is_stored(core: Core, hidden: str) -> None:
    reply = await core.handle_line(person("ada"), f'/report question:saa-c03-004 reason:typo note:"line1{hidden}line2"')
    text = to_plain(reply.text)
    assert reply.title == "That didn't work", text
    assert "holds a control or invisible character at position 6" in text and "nothing was changed" in text, text
    queue = shown(await core.handle_line(MOD, "/studyadmin reports"))
    assert "line1" not in queue and "No" in queue, queue
    assert "line1" not in shown(await core.handle_line(MOD, "/studyadmin audit"))


async def test_line_breaks_tabs_and_emoji_are_kept(core: Core) -> None:
    reply = await core.handle_line(
        person("ada"), '/report question:saa-c03-004 reason:typo note:"first 👩\u200d💻 line\tthen"'
    )
    assert reply.title == "Report sent", reply.text
    queue = shown(await core.handle_line(MOD, "/studyadmin reports"))
    assert "first 👩\u200d💻 line" in queue, queue


async def test_any_text_option_is_checked_not_only_notes(core: Core) -> None:
    reply = await core.handle_line(MOD, '/studyadmin season start name:"Spring\x1b[31m 2027"')
    assert reply.title == "That didn't work" and "control or invisible character" in to_plain(reply.text)


async def test_a_name_or_mention_with_an_invisible_character_is_refused(core: Core) -> None:
    """Found by the second outside tester: `moderators add who:@bob<U+202E>live` was saved, and the name
    read backwards in `moderators list` and the audit log. Every kind of option is checked now."""
    reply = await core.handle_line(MOD, "/studyadmin moderators add who:@bob\u202elive")
    text = to_plain(reply.text)
    assert reply.title == "That didn't work" and "control or invisible character at position 5" in text, text
    listed = shown(await core.handle_line(MOD, "/studyadmin moderators list"))
    assert "bob" not in listed, listed
    assert "moderators" not in shown(await core.handle_line(MOD, "/studyadmin audit"))


@pytest.mark.parametrize("question", ['"   "', "???", "…"])
async def test_an_ask_with_no_words_is_refused(core: Core, question: str) -> None:
    reply = await core.handle_line(person("ada"), f"/ask {question}")
    assert reply.title == "That didn't work" and "There is no question to answer there." in reply.text, reply.text
