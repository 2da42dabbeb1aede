"""Recording answers: one writer task, group commit, and an outcome for every press.

SQLite has one writer at a time, and through aiosqlite each transaction costs a round trip to the
driver thread plus an fsync, so one transaction per answer tops out at a few thousand answers a
second (see docs/benchmarks.md). Here every press puts a job on a queue and waits; a single task
takes whatever has queued up, records the whole batch in one transaction and only then wakes the
callers. A member is therefore never told an answer counts before it is durable, and a burst costs
one commit per batch instead of one per answer.

The same batch function also runs alone (`commit_jobs`) when no writer is running, and again job by
job when a batch fails, so one bad job cannot take its neighbours down with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from fsrs import Scheduler
from sqlalchemy import bindparam, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.practice.review import CardState, grade, make_scheduler
from bot.store.schema import members, mock_exams, practice_answers, practice_attempts, review_cards

log = logging.getLogger(__name__)

Status = Literal["recorded", "duplicate", "closed", "expired", "unknown", "not_yours"]
MAX_BATCH = 512


@dataclass(frozen=True, slots=True)
class AnswerJob:
    """One press, already graded against the question it claims to answer."""

    attempt_id: int
    platform: str
    workspace: str
    user_id: str
    question_id: str
    option_order: str
    chosen: str  # original option indexes, "02"
    correct: bool
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to a job; for duplicates `chosen`/`correct` are those of the stored answer."""

    status: Status
    source: str | None = None
    mock_id: int | None = None
    exam: str | None = None
    chosen: str | None = None
    correct: bool | None = None
    due: dt.datetime | None = None


@dataclass(slots=True)
class _Pending:
    job: AnswerJob
    future: asyncio.Future[Outcome] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


async def commit_jobs(engine: AsyncEngine, jobs: Sequence[AnswerJob], scheduler: Scheduler) -> list[Outcome]:
    """Record `jobs` in one transaction and say what happened to each, in order."""
    ids = list({j.attempt_id for j in jobs})
    async with engine.begin() as conn:
        attempt_rows = {
            row.id: row
            for row in (
                await conn.execute(
                    select(
                        practice_attempts.c.id,
                        practice_attempts.c.member_id,
                        practice_attempts.c.question_id,
                        practice_attempts.c.exam,
                        practice_attempts.c.domain,
                        practice_attempts.c.source,
                        practice_attempts.c.mock_id,
                        practice_attempts.c.option_order,
                        practice_attempts.c.channel,
                        practice_attempts.c.closed_at,
                        members.c.platform,
                        members.c.workspace,
                        members.c.user_id,
                        mock_exams.c.ends_at,
                        mock_exams.c.finished_at,
                    )
                    .select_from(
                        practice_attempts.join(members, members.c.id == practice_attempts.c.member_id).outerjoin(
                            mock_exams, mock_exams.c.id == practice_attempts.c.mock_id
                        )
                    )
                    .where(practice_attempts.c.id.in_(ids))
                )
            ).all()
        }
        stored = {
            row.attempt_id: (row.chosen, bool(row.correct))
            for row in (
                await conn.execute(
                    select(practice_answers.c.attempt_id, practice_answers.c.chosen, practice_answers.c.correct).where(
                        practice_answers.c.attempt_id.in_(ids)
                    )
                )
            ).all()
        }
        outcomes: list[Outcome] = []
        accepted: list[tuple[AnswerJob, object]] = []
        for job in jobs:
            row = attempt_rows.get(job.attempt_id)
            if row is None or row.question_id != job.question_id or row.option_order != job.option_order:
                outcomes.append(Outcome("unknown"))
                continue
            common = {"source": row.source, "mock_id": row.mock_id, "exam": row.exam}
            if (row.platform, row.workspace, row.user_id) != (job.platform, job.workspace, job.user_id):
                outcomes.append(Outcome("not_yours", **common))
            elif job.attempt_id in stored:
                chosen, correct = stored[job.attempt_id]
                outcomes.append(Outcome("duplicate", chosen=chosen, correct=correct, **common))
            elif row.finished_at is not None or (row.closed_at is not None):
                outcomes.append(Outcome("closed", **common))
            elif row.ends_at is not None and job.at >= row.ends_at:
                outcomes.append(Outcome("expired", **common))
            else:
                stored[job.attempt_id] = (job.chosen, job.correct)
                accepted.append((job, row))
                outcomes.append(Outcome("recorded", chosen=job.chosen, correct=job.correct, **common))
        if accepted:
            dues = await _write(conn, accepted, scheduler)
            for index, outcome in enumerate(outcomes):
                if outcome.status == "recorded":
                    job = jobs[index]
                    outcomes[index] = Outcome(
                        "recorded",
                        source=outcome.source,
                        mock_id=outcome.mock_id,
                        exam=outcome.exam,
                        chosen=outcome.chosen,
                        correct=outcome.correct,
                        due=dues.get(job.attempt_id),
                    )
    return outcomes


async def _write(conn, accepted, scheduler: Scheduler) -> dict[int, dt.datetime]:  # type: ignore[no-untyped-def]
    """Insert the answers, close their attempts and move each card on; returns attempt → card due."""
    await conn.execute(
        insert(practice_answers),
        [
            {
                "attempt_id": job.attempt_id,
                "member_id": row.member_id,
                "question_id": row.question_id,
                "exam": row.exam,
                "domain": row.domain,
                "source": row.source,
                "channel": row.channel,
                "chosen": job.chosen,
                "correct": job.correct,
                "answered_at": job.at,
            }
            for job, row in accepted
        ],
    )
    # One statement for the whole batch: the attempts close when the batch commits.
    await conn.execute(
        update(practice_attempts)
        .where(practice_attempts.c.id.in_([job.attempt_id for job, _row in accepted]))
        .values(closed_at=max(job.at for job, _row in accepted))
    )
    pairs = list({(row.member_id, row.question_id) for _job, row in accepted})
    cards: dict[tuple[int, str], tuple[int | None, CardState]] = {}
    for row in (
        await conn.execute(
            select(review_cards).where(tuple_(review_cards.c.member_id, review_cards.c.question_id).in_(pairs))
        )
    ).mappings():
        state = CardState(
            row["state"],
            row["step"],
            row["stability"],
            row["difficulty"],
            row["due"],
            row["last_review"],
            row["reviews"],
            row["lapses"],
        )
        cards[(row["member_id"], row["question_id"])] = (row["id"], state)
    touched: dict[tuple[int, str], tuple[int | None, CardState, str]] = {}
    dues: dict[int, dt.datetime] = {}
    for job, row in sorted(accepted, key=lambda pair: pair[0].at):
        key = (row.member_id, row.question_id)
        card_id, current = cards.get(key, (None, None))
        # A new card's id is its future primary key; 0 is an explicit id, which keeps fsrs from sleeping.
        new = grade(scheduler, card_id or 0, current, job.correct, job.at)
        cards[key] = (card_id, new)
        touched[key] = (card_id, new, row.exam)
        dues[job.attempt_id] = new.due
    # Bound names must differ from column names in an UPDATE's SET clause, hence the prefix.
    updates = [
        {"card": cid, **{f"v_{k}": v for k, v in state.as_row().items()}}
        for (cid, state, _exam) in touched.values()
        if cid is not None
    ]
    inserts = [
        {"member_id": key[0], "question_id": key[1], "exam": exam, **state.as_row()}
        for key, (cid, state, exam) in touched.items()
        if cid is None
    ]
    if updates:
        await conn.execute(
            update(review_cards)
            .where(review_cards.c.id == bindparam("card"))
            .values({name[2:]: bindparam(name) for name in updates[0] if name != "card"}),
            updates,
        )
    if inserts:
        await conn.execute(insert(review_cards), inserts)
    return dues


class AnswerWriter:
    """The single writer: start it once, `record` from anywhere on the loop, `stop` drains the queue.

    A stopped writer refuses new jobs instead of silently dropping them.
    """

    def __init__(self, engine: AsyncEngine, *, max_batch: int = MAX_BATCH, scheduler: Scheduler | None = None) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.scheduler = scheduler or make_scheduler()
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.batches = 0

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="studybot-answer-writer")

    async def stop(self) -> None:
        """Record everything already queued, then end the task."""
        self._closed = True
        if self._task is None:
            return
        await self._queue.put(None)
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def record(self, job: AnswerJob) -> Outcome:
        """Queue `job` and wait until the batch holding it has committed."""
        if self._closed:
            raise RuntimeError("the answer writer is stopped; no more answers can be recorded")
        if self._task is None:
            return (await commit_jobs(self.engine, [job], self.scheduler))[0]
        pending = _Pending(job)
        self._queue.put_nowait(pending)
        return await pending.future

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            await self._commit(batch)

    async def _commit(self, batch: list[_Pending]) -> None:
        self.batches += 1
        try:
            outcomes = await commit_jobs(self.engine, [p.job for p in batch], self.scheduler)
        except Exception:
            if len(batch) == 1:
                log.exception("recording answer to attempt %s failed", batch[0].job.attempt_id)
                _settle(batch[0], exc=RuntimeError("the answer could not be recorded"))
                return
            # Find the culprit: every job on its own, so the others still get recorded.
            log.warning("a batch of %d answers failed; retrying them one by one", len(batch))
            for pending in batch:
                await self._commit([pending])
            return
        for pending, outcome in zip(batch, outcomes, strict=True):
            _settle(pending, outcome=outcome)


def _settle(pending: _Pending, *, outcome: Outcome | None = None, exc: BaseException | None = None) -> None:
    if pending.future.done():  # the caller gave up waiting; the answer is stored all the same
        return
    if exc is not None:
        pending.future.set_exception(exc)
    else:
        assert outcome is not None
        pending.future.set_result(outcome)
