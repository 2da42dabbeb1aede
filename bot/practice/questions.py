"""Where questions come from (the shipped banks plus a workspace's own) and how options are shuffled."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.catalog import Catalog
from bot.catalog.models import Question
from bot.store.schema import workspace_questions

LETTERS = "ABCDEF"


@dataclass(frozen=True, slots=True)
class Place:
    """A workspace: questions imported by its moderators are visible only there."""

    platform: str
    workspace: str


def shuffled_order(member_key: str, question: Question) -> str:
    """The order a member sees the options in, as original indexes ("2013").

    Seeded by member and question, so the same member sees the same order every time (a retry is
    about recall, not about finding where the answer moved to) while neighbours see different ones.
    """
    order = list(range(len(question.options)))
    random.Random(f"{member_key}|{question.id}").shuffle(order)
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


def is_correct(question: Question, chosen: tuple[int, ...]) -> bool:
    return chosen == question.correct_indexes


async def workspace_bank(conn: AsyncConnection, place: Place, exam: str | None = None) -> list[Question]:
    """A workspace's own questions, optionally for one exam."""
    stmt = select(workspace_questions.c.body).where(
        (workspace_questions.c.platform == place.platform) & (workspace_questions.c.workspace == place.workspace)
    )
    if exam is not None:
        stmt = stmt.where(workspace_questions.c.exam == exam)
    rows = (await conn.execute(stmt.order_by(workspace_questions.c.question_id))).scalars().all()
    return [Question.model_validate(json.loads(body)) for body in rows]


class QuestionIndex:
    """Shipped questions by id; `Catalog.question` scans every bank, too slow for every press."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.by_id = {q.id: (exam, q) for exam, bank in catalog.questions.items() for q in bank}

    def get(self, question_id: str) -> Question | None:
        found = self.by_id.get(question_id)
        return found[1] if found else None

    def exam_of(self, question_id: str) -> str | None:
        found = self.by_id.get(question_id)
        return found[0] if found else None


async def find_question(
    conn: AsyncConnection | None, index: QuestionIndex, place: Place, question_id: str
) -> Question | None:
    """A shipped question from memory, else the workspace's own from the store."""
    found = index.get(question_id)
    if found is not None or conn is None:
        return found
    body = (
        await conn.execute(
            select(workspace_questions.c.body).where(
                (workspace_questions.c.platform == place.platform)
                & (workspace_questions.c.workspace == place.workspace)
                & (workspace_questions.c.question_id == question_id)
            )
        )
    ).scalar_one_or_none()
    return Question.model_validate(json.loads(body)) if body is not None else None


async def pool(conn: AsyncConnection, catalog: Catalog, place: Place, exam: str) -> list[Question]:
    """Every question a member in `place` can be asked for `exam`."""
    return [*catalog.questions.get(exam, ()), *await workspace_bank(conn, place, exam)]
