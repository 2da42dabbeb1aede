"""Counts and lists in words: "1 answer", "2 answers", "1,096 days", "C and D"; never "1 answers",
"answer(s)" or "CD"."""

from __future__ import annotations

from collections.abc import Iterable


def plural(count: int, word: str, many: str | None = None) -> str:
    """`count` (with a thousands separator, as every count reads) and `word`, with the plural form
    (`many`, or `word` + "s") unless the count is one."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def with_article(word: str) -> str:
    """ "an Associate", "a Professional": the indefinite article by the sound of the first letter."""
    return f"{'an' if word[:1].lower() in 'aeio' else 'a'} {word}"


def listed(items: Iterable[str], last: str = "and") -> str:
    """Items as a sentence says them: "C", "C and D", "B, C and E" (`last` may be "or")."""
    shown = list(items)
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} {last} {shown[-1]}"
