"""Looking a question up: the shipped banks by id in memory, a workspace's own questions from the store.

This is the one place a question id becomes a `Question`; practice, mocks, reviews and group prompts all
ask the `QuestionIndex` that the runtime builds once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.catalog.loader import Catalog
from bot.catalog.models import Exam, Question
from bot.practice.mocks import allocate
from bot.store.schema import workspace_questions

W = workspace_questions.c


@dataclass(frozen=True, slots=True)
class Place:
    """A workspace: questions imported by its moderators are visible only there."""

    platform: str
    workspace: str


async def workspace_bank(conn: AsyncConnection, place: Place, exam: str | None = None) -> list[Question]:
    """A workspace's own questions, optionally for one exam."""
    stmt = select(W.body).where((W.platform == place.platform) & (W.workspace == place.workspace))
    if exam is not None:
        stmt = stmt.where(W.exam == exam)
    rows = (await conn.execute(stmt.order_by(W.question_id))).scalars().all()
    return [Question.model_validate(json.loads(body)) for body in rows]


FULL_LENGTH = 65  # an exam whose guide gives no question count is held to the usual associate length


def held_out(exam: Exam | None, bank: Sequence[Question]) -> frozenset[str]:
    """The final-mock slice of a shipped bank: as many questions as the real exam has, and never more
    than half the bank, so practice keeps the other half; spread over the guide's domains by weight.

    Which questions is decided by a hash of each id alone, so the slice is the same in every process
    and after every restart, and adding questions to a bank moves few others in or out of it.
    """
    if exam is None or not exam.domains:
        return frozenset()
    full = exam.questions.total if exam.questions else FULL_LENGTH
    size = min(full, len(bank) // 2)
    by_domain: dict[str, list[Question]] = {d.name: [] for d in exam.domains}
    for q in bank:
        domain = exam.domain(q.domain)
        if domain is not None:
            by_domain[domain.name].append(q)
    for pool in by_domain.values():
        pool.sort(key=lambda q: hashlib.sha256(f"held-out|{q.id}".encode()).hexdigest())
    counts = allocate({d.name: d.weight for d in exam.domains}, {d: len(p) for d, p in by_domain.items()}, size)
    return frozenset(q.id for domain, n in counts.items() for q in by_domain[domain][:n])


class QuestionIndex:
    """Shipped questions by id, built once per runtime (scanning every bank is too slow for a press).

    It is also the one answer to "which questions may this use": every shipped bank's final-mock slice
    (`held_out`) is served by `/mock final:true` only, never by practice, review, mocks or group prompts.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.by_id = {q.id: (exam, q) for exam, bank in catalog.questions.items() for q in bank}
        self.finals = {code: held_out(catalog.exam(code), bank) for code, bank in catalog.questions.items()}
        self.held = frozenset().union(*self.finals.values())

    def is_held_out(self, question_id: str) -> bool:
        """True for a question of a final-mock slice, which only a final mock may serve."""
        return question_id in self.held

    def held_out_ids(self, exam: str | None = None) -> frozenset[str]:
        """The final-mock slice of one exam, or of every exam."""
        return self.finals.get(exam, frozenset()) if exam is not None else self.held

    def get(self, question_id: str) -> Question | None:
        found = self.by_id.get(question_id)
        return found[1] if found else None

    def exam_of(self, question_id: str) -> str | None:
        found = self.by_id.get(question_id)
        return found[0] if found else None

    async def find(self, conn: AsyncConnection | None, place: Place, question_id: str) -> Question | None:
        """A shipped question from memory, else the workspace's own from the store."""
        found = self.get(question_id)
        if found is not None or conn is None:
            return found
        body = (
            await conn.execute(
                select(W.body).where(
                    (W.platform == place.platform) & (W.workspace == place.workspace) & (W.question_id == question_id)
                )
            )
        ).scalar_one_or_none()
        return Question.model_validate(json.loads(body)) if body is not None else None

    async def pool(self, conn: AsyncConnection, place: Place, exam: str) -> list[Question]:
        """Every question a member in `place` can be asked for `exam` in practice, review, a mock or a
        group prompt: the shipped bank without its final-mock slice, and the workspace's own questions
        (a group's own bank is theirs to use as they like, so none of it is held out)."""
        held = self.finals.get(exam, frozenset())
        shipped = [q for q in self.catalog.questions.get(exam, ()) if q.id not in held]
        return [*shipped, *await workspace_bank(conn, place, exam)]

    def final_pool(self, exam: str) -> list[Question]:
        """The questions a final mock of `exam` draws from: its held-out slice, in bank order."""
        held = self.finals.get(exam, frozenset())
        return [q for q in self.catalog.questions.get(exam, ()) if q.id in held]
