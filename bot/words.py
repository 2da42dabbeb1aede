"""Counts in words: "1 answer", "2 answers", never "1 answers" or "answer(s)"."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """`count` and `word`, with the plural form (`many`, or `word` + "s") unless the count is one."""
    return f"{count} {word if count == 1 else (many or word + 's')}"
