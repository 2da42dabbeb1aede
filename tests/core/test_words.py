"""Every command's examples, run in order as a moderator on a fresh database, read as plain words: no
"(s)", no "1 answers", no doubled word, no markup left unrendered."""

from __future__ import annotations

import re

from bot.commands.dispatch import Core
from bot.markup import to_plain
from bot.words import plural
from tests.conftest import person

PATTERNS = {
    "(s)": re.compile(r"\w\(s\)"),
    "1 <plural>": re.compile(r"\b1 (answers|minutes|questions|days|hours|exams|members|options|weeks|years|changes)\b"),
    "doubled word": re.compile(r"\b([A-Za-z]{2,}) \1\b", re.IGNORECASE),
    "unrendered markup": re.compile(r"\*\*|\]\(https?:"),
    "Sources: Source:": re.compile(r"Sources?: Source"),
}


def test_plural() -> None:
    assert [plural(0, "answer"), plural(1, "answer"), plural(2, "answer")] == ["0 answers", "1 answer", "2 answers"]
    assert plural(1, "match", "matches") == "1 match" and plural(3, "match", "matches") == "3 matches"


async def test_every_example_reads_as_plain_words(core: Core) -> None:
    found = []
    for spec in core.registry:
        for example in spec.examples:
            reply = await core.handle_line(person(moderator=True), example)
            parts = [reply.title or "", reply.text, *(f"{f.name} {f.value}" for f in reply.fields), reply.footer or ""]
            text = to_plain("\n".join(parts))
            for name, pattern in PATTERNS.items():
                for match in pattern.finditer(text):
                    found.append(f"{example[:60]!r}: {name}: {text[max(0, match.start() - 30) : match.end() + 10]!r}")
    assert found == []
