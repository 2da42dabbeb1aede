"""Looking a question up: the shipped banks by id in memory, a workspace's own questions from the store.

This is the one place a question id becomes a `Question`; practice, mocks, reviews and group prompts all
ask the `QuestionIndex` that the runtime builds once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.catalog.loader import Catalog
from bot.catalog.models import Exam, Question
from bot.practice.mocks import allocate
from bot.shared import Shared
from bot.store import errata as errata_store
from bot.store.db import reading
from bot.store.schema import workspace_questions

W = workspace_questions.c
OVERLAY_TTL_S = 5.0
"""How long a process trusts its copy of a workspace's errata overlay on the press path. A decision made
in this process is seen at once; one made in another process (replicas) within this many seconds."""
MAX_CACHED_PLACES = 10_000


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
        self._fixed: dict[Place, tuple[float, dict[str, Question]]] = {}
        self._loading: dict[Place, Shared[dict[str, Question]]] = {}

    def is_held_out(self, question_id: str) -> bool:
        """True for a question of a final-mock slice, which only a final mock may serve."""
        return question_id in self.held

    def held_out_ids(self, exam: str | None = None) -> frozenset[str]:
        """The final-mock slice of one exam, or of every exam."""
        return self.finals.get(exam, frozenset()) if exam is not None else self.held

    async def pressed(self, engine: AsyncEngine, place: Place, question_id: str) -> Question | None:
        """The question a press names, as `place` asks it, without a database read per press for a
        shipped question: the workspace's overlay is read at most once per `OVERLAY_TTL_S` by one
        press, the others wait for that read (a burst of presses would otherwise each take a
        connection). A workspace's own question is read from the store as before."""
        shipped = self.get(question_id)
        if shipped is None:
            async with reading(engine) as conn:
                return await self.find(conn, place, question_id)
        return (self.fixed_now(place) or await self._overlay(engine, place)).get(question_id, shipped)

    def fixed_now(self, place: Place) -> dict[str, Question] | None:
        """The workspace's fixed questions from this process's copy while it is fresh, else None; no
        await, so a press on a shipped question in the common case costs no coroutine at all."""
        cached = self._fixed.get(place)
        if cached is not None and time.monotonic() - cached[0] < OVERLAY_TTL_S:
            return cached[1]
        return None

    def forget(self, place: Place) -> None:
        """This process changed the workspace's overlay: the next press reads it again."""
        self._fixed.pop(place, None)

    async def _overlay(self, engine: AsyncEngine, place: Place) -> dict[str, Question]:
        cached = self.fixed_now(place)
        if cached is not None:
            return cached
        loading = self._loading.get(place)
        if loading is not None:
            return await loading.wait()
        future: asyncio.Future[dict[str, Question]] = asyncio.get_running_loop().create_future()
        self._loading[place] = Shared(future)
        try:
            async with reading(engine) as conn:
                rows = await errata_store.overlays(conn, place.platform, place.workspace)
            fixed = {o.question_id: Question.model_validate(json.loads(o.body)) for o in rows}
            if len(self._fixed) >= MAX_CACHED_PLACES:
                self._fixed.clear()
            self._fixed[place] = (time.monotonic(), fixed)
            future.set_result(fixed)
            return fixed
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so a failed read with no other waiter is not logged twice
            raise
        finally:
            del self._loading[place]

    def get(self, question_id: str) -> Question | None:
        found = self.by_id.get(question_id)
        return found[1] if found else None

    def exam_of(self, question_id: str) -> str | None:
        found = self.by_id.get(question_id)
        return found[0] if found else None

    async def find(self, conn: AsyncConnection | None, place: Place, question_id: str) -> Question | None:
        """The question as `place` asks it: its errata overlay when a moderator fixed it there (retired
        ones too, so old answers still read), else a shipped question from memory, else the
        workspace's own from the store."""
        if conn is not None:
            fixed = await errata_store.overlay(conn, place.platform, place.workspace, question_id)
            if fixed is not None:
                return Question.model_validate(json.loads(fixed.body))
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

    async def servable(self, conn: AsyncConnection, place: Place, question_id: str) -> Question | None:
        """`find`, but None for a question this workspace retired or has suspended for its reports: what
        `/review` may still ask (a card's question is otherwise served as `pool` would serve it)."""
        fixed = await errata_store.overlay(conn, place.platform, place.workspace, question_id)
        if fixed is not None and fixed.retired:
            return None
        exam = fixed.exam if fixed is not None else self.exam_of(question_id)
        if question_id in await errata_store.suspended(conn, place.platform, place.workspace, exam):
            return None
        return await self.find(conn, place, question_id)

    async def pool(self, conn: AsyncConnection, place: Place, exam: str) -> list[Question]:
        """Every question a member in `place` can be asked for `exam` in practice, review, a mock or a
        group prompt: the shipped bank without its final-mock slice, and the workspace's own questions
        (a group's own bank is theirs to use as they like, so none of it is held out), as asked here."""
        final = self.finals.get(exam, frozenset())
        shipped = [q for q in self.catalog.questions.get(exam, ()) if q.id not in final]
        return await self._as_asked(conn, place, exam, [*shipped, *await workspace_bank(conn, place, exam)])

    def final_slice(self, exam: str) -> list[Question]:
        """The held-out slice of `exam` as shipped, in bank order (the same in every workspace)."""
        final = self.finals.get(exam, frozenset())
        return [q for q in self.catalog.questions.get(exam, ()) if q.id in final]

    async def final_pool(self, conn: AsyncConnection, place: Place, exam: str) -> list[Question]:
        """The questions a final mock of `exam` draws from in `place`: its slice as asked here."""
        return await self._as_asked(conn, place, exam, self.final_slice(exam))

    async def _as_asked(
        self, conn: AsyncConnection, place: Place, exam: str, questions: list[Question]
    ) -> list[Question]:
        """`questions` as the workspace's errata overlay has them, without retired ones and without those
        suspended by enough reports: one rule for every pool."""
        fixed = {o.question_id: o for o in await errata_store.overlays(conn, place.platform, place.workspace, exam)}
        held = await errata_store.suspended(conn, place.platform, place.workspace, exam)
        if not fixed and not held:
            return questions
        served = []
        for question in questions:
            overlay = fixed.get(question.id)
            if question.id in held or (overlay is not None and overlay.retired):
                continue
            served.append(question if overlay is None else Question.model_validate(json.loads(overlay.body)))
        return served
