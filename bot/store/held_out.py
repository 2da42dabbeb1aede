"""The final-mock slice in the store (issue 17): which shipped questions practice, review and schedules
never serve, so review reads can leave their cards out in SQL with an index lookup per card.

`QuestionIndex` decides the slice (a hash of each id, per bank); this table only mirrors it, rewritten at
start when the catalog changed it. Binding the slice's 810 ids as parameters instead cost PostgreSQL a
rebuilt 810-element list for every card compared once its generic plan set in (about 200 ms a statement
for a member with every question carded), and SQLite a temporary index of the list per statement.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.schema import held_out_questions

H = held_out_questions.c


async def sync(engine: AsyncEngine, finals: Mapping[str, frozenset[str]]) -> int:
    """Make the table hold exactly `finals` (exam → its slice's question ids); returns the rows changed.

    Usually nothing changes and this is one read. Two processes starting at once write the same rows
    (an insert that meets a row already there is skipped). Processes with different content sharing one
    database would each write their own slice at start: the last one started decides what review skips.
    """
    wanted = {qid: exam for exam, ids in finals.items() for qid in ids}
    async with engine.begin() as conn:
        stored = {qid: exam for qid, exam in (await conn.execute(select(H.question_id, H.exam))).all()}
        gone = sorted(qid for qid, exam in stored.items() if wanted.get(qid) != exam)
        new = [{"question_id": qid, "exam": exam} for qid, exam in sorted(wanted.items()) if stored.get(qid) != exam]
        for start in range(0, len(gone), 500):  # within SQLite's bound-parameter limit
            await conn.execute(delete(held_out_questions).where(H.question_id.in_(gone[start : start + 500])))
        if new:
            dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
            await conn.execute(dialect.insert(held_out_questions).on_conflict_do_nothing(), new)
    return len(gone) + len(new)


def not_held_out(question_id: Any) -> ColumnElement[bool]:
    """A condition true when `question_id` (a column) is not in the final-mock slice: an anti-join on the
    table's key, so a statement carries no list of ids at all."""
    return ~exists().where(H.question_id == question_id)
