"""Answers: the order a member sees options in, the letters they answer with, and grading.

`grade` is the one place an answer is judged right or wrong, for private practice, mocks, reviews and
group prompts alike. An answer is stored as original option indexes: sorted for single and multiple
response ("02"), and in the member's sequence for ordering and matching ("2013"), where the key is
the options as written ("0123"): ordering lists the steps in order, matching pairs option i with
the match written beside option i.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from bot.catalog.models import Question
from bot.words import listed

LETTERS = "ABCDEF"


def shuffled_order(member_key: str, question: Question, salt: str = "") -> str:
    """The order a member sees the options in, as original indexes ("2013").

    Seeded by member and question, so the same member sees the same order every time (a retry is
    about recall, not about finding where the answer moved to) while neighbours see different ones;
    a `salt` (a review's date) gives a fresh order where positions must not be memorised.
    """
    order = list(range(len(question.options)))
    random.Random(f"{member_key}|{question.id}{salt}").shuffle(order)
    return "".join(str(i) for i in order)


def letters_to_indexes(order: str, letters: str) -> tuple[int, ...] | None:
    """Displayed letters ("AC") → sorted original option indexes; None when a letter is not shown."""
    out: set[int] = set()
    for letter in letters.upper():
        position = LETTERS.find(letter)
        if position < 0 or position >= len(order):
            return None
        out.add(int(order[position]))
    return tuple(sorted(out))


def indexes_to_letters(order: str, indexes: Iterable[int]) -> str:
    """Original option indexes → the letters this member saw them under."""
    return "".join(sorted(LETTERS[order.index(str(i))] for i in indexes))


def in_words(letters: str) -> str:
    """An answer's letters as every verdict, reveal and notice says them: "C and D", "B, C and E"; the
    one home for showing a key or a member's answer, so none reads "CD"."""
    return listed(sorted(letters))


_KEYS: dict[int, tuple[Question, str]] = {}
_KEYS_MAX = 8192  # more than every shipped question; workspace and errata copies come and go


def key_of(question: Question) -> str:
    """The right answer in the stored encoding.

    Worked out once per question object: every press of a burst is graded against it, and
    `correct_indexes` builds its tuple anew on every call. Keyed by object identity (hashing a pydantic
    model hashes every field), with the question kept in the entry so a recycled id is never mistaken
    for another question (as `texts._rendered` does)."""
    cached = _KEYS.get(id(question))
    if cached is not None and cached[0] is question:
        return cached[1]
    if question.type in ("ordering", "matching"):
        key = "".join(str(i) for i in range(len(question.options)))
    else:
        key = "".join(str(i) for i in question.correct_indexes)
    if len(_KEYS) >= _KEYS_MAX:
        _KEYS.clear()
    _KEYS[id(question)] = (question, key)
    return key


def grade(question: Question, chosen: str | tuple[int, ...]) -> bool:
    """Right or wrong, all or nothing as the exams grade; `chosen` as stored ("02") or as indexes."""
    text = chosen if isinstance(chosen, str) else "".join(str(i) for i in chosen)
    if question.type in ("ordering", "matching"):
        return text == key_of(question)
    return "".join(sorted(text)) == key_of(question)
