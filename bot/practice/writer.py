"""Recording answers: one writer task, group commit, and an outcome for every press.

SQLite has one writer at a time, and through aiosqlite each transaction costs a round trip to the
driver thread plus an fsync, so one transaction per answer tops out at a few thousand answers a
second (see docs/benchmarks.md). Here every press puts a job on a queue and waits; a single task
takes whatever has queued up, records the whole batch in one transaction and only then wakes the
callers. A member is therefore never told an answer counts before it is durable, and a burst costs
one commit per batch instead of one per answer.

One transaction per batch does everything: it reads each attempt with its member, mock, stored
answer and review card in one query, inserts the answers, closes the attempts, writes the FSRS
cards (so stored card state is never behind the review log, across any restart) and adds the answers to
the aggregates the leaderboard and `/stats` read (`bot.store.practice.count_answers`), one row per
member and window per batch. With group commit
the database is no longer the limit, the event loop is; so on a SQLite file a running writer hands
each batch, as plain tuples, to its own `sqlite3` connection in one synchronous call (`SqliteBatches`
says why that beats aiosqlite and a thread, and how it waits for locks without blocking the loop).
PostgreSQL keeps the SQLAlchemy Core statements (`commit_jobs`), which apply the same rules
(`_decide`) and which also run alone when no writer is running.

A failed batch is retried job by job, so one bad job cannot take its neighbours down with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sqlite3
from collections import deque
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from fsrs import Scheduler
from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.metrics import Metrics, observe_batch
from bot.practice.review import CardState, Grader, make_scheduler
from bot.store import practice as practice_store
from bot.store.compiled import CompiledSqlite
from bot.store.db import LoopSqlite, sqlite_path
from bot.store.schema import members, mock_exams, practice_answers, practice_attempts, review_cards

log = logging.getLogger(__name__)

Status = Literal["recorded", "duplicate", "closed", "expired", "unknown", "not_yours"]
MAX_BATCH = 512  # also keeps the SQLite `IN (?, …)` list under the old 999-variable limit


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


_UNKNOWN = Outcome("unknown")


class _Found(NamedTuple):
    """An attempt as the batch sees it: one row of the read query, in its column order.

    `_CORE_READ` selects its columns in this order, on both paths. Times are whatever the connection
    returns (aware datetimes through SQLAlchemy, SQLite's text on the `sqlite3` path); `_when` reads
    both, and only where a check needs the value, which keeps parsing off the hot path.
    """

    attempt_id: int
    member_id: int
    question_id: str
    exam: str
    domain: str
    source: str
    mock_id: int | None
    option_order: str
    channel: str
    closed_at: Any
    platform: str
    workspace: str
    user_id: str
    ends_at: Any
    finished_at: Any
    chosen: str | None  # the stored answer, if any
    correct: Any
    card_id: int | None  # the member's card for this question, if any
    state: int | None
    step: int | None
    stability: float | None
    difficulty: float | None
    due: Any
    last_review: Any
    reviews: int | None
    lapses: int | None


def _when(value: Any) -> dt.datetime | None:
    """An aware UTC datetime from either driver's representation (`UTCDateTime` parses SQLite's text)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed: dt.datetime = _parse_time(value)
    return parsed


@dataclass(slots=True)
class _Batch:
    """What a batch decided: an outcome per job, the answers to insert and the cards to write."""

    outcomes: list[Outcome]
    answers: list[tuple[AnswerJob, _Found]]
    # (member_id, question_id) → (stored card id or None for a new card, new state, exam)
    cards: dict[tuple[int, str], tuple[int | None, CardState, str]]


FINAL = "final"
"""The source of a final mock's attempts (`bot.practice.mock_run`)."""


def _decide(jobs: Sequence[AnswerJob], found: dict[int, _Found], grade: Grader) -> _Batch:
    """Check every job against its stored attempt and grade the accepted ones; no I/O, so both
    database paths share exactly the same rules."""
    outcomes: list[Outcome | None] = []
    stored: dict[int, tuple[str, bool]] = {}
    accepted: list[tuple[int, AnswerJob, _Found]] = []
    for index, job in enumerate(jobs):
        row = found.get(job.attempt_id)
        if row is None or row.question_id != job.question_id or row.option_order != job.option_order:
            outcomes.append(_UNKNOWN)
            continue
        if row.user_id != job.user_id or row.workspace != job.workspace or row.platform != job.platform:
            outcomes.append(Outcome("not_yours", source=row.source, mock_id=row.mock_id, exam=row.exam))
            continue
        prior = stored.get(job.attempt_id)
        if prior is None and row.chosen is not None:
            prior = (row.chosen, bool(row.correct))
        if prior is not None:
            outcomes.append(
                Outcome(
                    "duplicate",
                    source=row.source,
                    mock_id=row.mock_id,
                    exam=row.exam,
                    chosen=prior[0],
                    correct=prior[1],
                )
            )
        elif row.finished_at is not None or row.closed_at is not None:
            outcomes.append(Outcome("closed", source=row.source, mock_id=row.mock_id, exam=row.exam))
        elif row.ends_at is not None and job.at >= _when(row.ends_at):  # type: ignore[operator]
            outcomes.append(Outcome("expired", source=row.source, mock_id=row.mock_id, exam=row.exam))
        else:
            stored[job.attempt_id] = (job.chosen, job.correct)
            accepted.append((index, job, row))
            outcomes.append(None)  # filled in below, with the card's new due time
    cards: dict[tuple[int, str], tuple[int | None, CardState | None]] = {}
    touched: dict[tuple[int, str], tuple[int | None, CardState, str]] = {}
    # In answer order, so two answers to one question in one batch move its card twice, in turn.
    for index, job, row in sorted(accepted, key=lambda item: item[1].at):
        key = (row.member_id, row.question_id)
        if key in cards:
            card_id, current = cards[key]
        else:
            card_id, current = row.card_id, _card_state(row)
        # A new card's id is its future primary key; 0 is an explicit id, which keeps fsrs from sleeping.
        if row.source == FINAL:
            # A final mock's questions are held out of review, so its answers schedule no card.
            outcomes[index] = Outcome(
                "recorded",
                source=row.source,
                mock_id=row.mock_id,
                exam=row.exam,
                chosen=job.chosen,
                correct=job.correct,
            )
            continue
        new = grade(card_id or 0, current, job.correct, job.at)
        cards[key] = (card_id, new)
        touched[key] = (card_id, new, row.exam)
        outcomes[index] = Outcome(
            "recorded",
            source=row.source,
            mock_id=row.mock_id,
            exam=row.exam,
            chosen=job.chosen,
            correct=job.correct,
            due=new.due,
        )
    answers = [(job, row) for _index, job, row in accepted]
    return _Batch(outcomes, answers, touched)  # type: ignore[arg-type]


def _card_state(row: _Found) -> CardState | None:
    if row.card_id is None:
        return None
    return CardState(
        row.state,  # type: ignore[arg-type]
        row.step,
        row.stability,
        row.difficulty,
        _when(row.due),  # type: ignore[arg-type]
        _when(row.last_review),
        row.reviews,  # type: ignore[arg-type]
        row.lapses,  # type: ignore[arg-type]
    )


async def commit_jobs(engine: AsyncEngine, jobs: Sequence[AnswerJob], scheduler: Scheduler | Grader) -> list[Outcome]:
    """Record `jobs` in one transaction and say what happened to each, in order."""
    grade = scheduler if isinstance(scheduler, Grader) else Grader(scheduler)
    return await _commit_core(engine, jobs, grade)


# -- SQLite: the whole batch in one synchronous call on the writer's own connection -----------------
# Every statement and every time conversion below comes from the table definitions in
# bot/store/schema.py, compiled once for SQLite (see `bot.store.compiled`); nothing repeats the schema.

_ANSWER_COLUMNS = (
    "attempt_id", "member_id", "question_id", "exam", "domain", "source", "channel", "chosen", "correct",
    "answered_at",
)  # fmt: skip
_SQLITE_INSERT_ANSWER = CompiledSqlite(insert(practice_answers), columns=_ANSWER_COLUMNS).expect(_ANSWER_COLUMNS)
# Closing the batch's attempts at one time is one statement: one conversion of the time, not one per attempt.
_SQLITE_CLOSE = CompiledSqlite(
    update(practice_attempts)
    .where(practice_attempts.c.id.in_(bindparam("ids", expanding=True)))
    .values(closed_at=bindparam("closed_at", type_=practice_attempts.c.closed_at.type))
).expect(("closed_at", "ids"))


# The unique (member, question) key makes this one statement for new and known cards alike; a card
# keeps the exam it was created with, as the SQLAlchemy path does.
_CARD_STATE = ("state", "step", "stability", "difficulty", "due", "last_review", "reviews", "lapses")
_upsert = sqlite_insert(review_cards)
_SQLITE_UPSERT_CARD = CompiledSqlite(
    _upsert.on_conflict_do_update(
        index_elements=[review_cards.c.member_id, review_cards.c.question_id],
        set_={name: _upsert.excluded[name] for name in _CARD_STATE},
    ),
    columns=("member_id", "question_id", "exam", *_CARD_STATE),
).expect(("member_id", "question_id", "exam", *_CARD_STATE))
_parse_time = CompiledSqlite.parser(practice_attempts.c.closed_at)


class SqliteBatches:
    """Group commits on a SQLite file through the plain `sqlite3` driver, run on the event loop itself.

    Why not aiosqlite: every statement there is a round trip to the driver thread (a queue, a thread
    wake-up, a self-pipe write), nine per batch with SQLAlchemy's begin, commit and pool return.
    Why not a thread of our own: the batch's statements release and retake the GIL on every row, and
    each retake waits up to the interpreter's switch interval (5 ms) while the loop is busy answering
    the previous batch, so a 512-answer batch took 30 ms of waiting for 7 ms of work. Run inline, a
    batch costs only its own CPU (about 30 µs an answer here), and the loop was going to spend that
    time on the GIL anyway.

    The connection, and the retries while another connection holds the lock, are
    `bot.store.db.LoopSqlite`'s. `BEGIN IMMEDIATE` takes the write lock first, after which nothing in
    the batch waits on another connection (WAL: readers never block the writer); the callers are
    released only after `COMMIT` returned.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sqlite = LoopSqlite(path)

    async def commit(self, jobs: Sequence[AnswerJob], grade: Grader) -> list[Outcome]:
        return await self._sqlite.run(lambda db: self._commit(db, jobs, grade))

    def close(self) -> None:
        self._sqlite.close()

    def _commit(self, db: sqlite3.Connection, jobs: Sequence[AnswerJob], grade: Grader) -> list[Outcome]:
        ids = list({j.attempt_id for j in jobs})
        db.execute("BEGIN IMMEDIATE")
        try:
            # The ids are the only parameters, in order, and integers need no conversion.
            rows = db.execute(_SQLITE_READ.sized(len(ids)), ids).fetchall()
            batch = _decide(jobs, {row[0]: _Found._make(row) for row in rows}, grade)
            if batch.answers:
                _write_sqlite(db, batch)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.rollback()
            raise
        return batch.outcomes


def _write_sqlite(db: sqlite3.Connection, batch: _Batch) -> None:
    """Insert the answers, close their attempts and write each touched card (`_write_core`'s rows, as
    positional rows in the compiled statements' order: no mapping per row on the hot path)."""
    answers = [
        (job.attempt_id, row.member_id, row.question_id, row.exam, row.domain, row.source, row.channel,
         job.chosen, job.correct, job.at)
        for job, row in batch.answers
    ]  # fmt: skip
    db.executemany(_SQLITE_INSERT_ANSWER.sql, _SQLITE_INSERT_ANSWER.rows(answers))
    ids = [job.attempt_id for job, _row in batch.answers]
    # The attempts close when the batch commits, all at the batch's latest answer time.
    closing = _SQLITE_CLOSE.rows([(max(job.at for job, _row in batch.answers), *ids)])[0]
    db.execute(_SQLITE_CLOSE.sized(len(ids)), closing)
    cards = [
        (member_id, question_id, exam, state.state, state.step, state.stability, state.difficulty, state.due,
         state.last_review, state.reviews, state.lapses)
        for (member_id, question_id), (_card_id, state, exam) in batch.cards.items()
    ]  # fmt: skip
    db.executemany(_SQLITE_UPSERT_CARD.sql, _SQLITE_UPSERT_CARD.rows(cards))
    practice_store.count_answers_sqlite(db, _tallies(batch))


def _tallies(batch: _Batch) -> list[practice_store.Tally]:
    """The batch's answers as the leaderboard, `/stats` and `/practice` aggregates count them."""
    return [(row.member_id, row.exam, row.domain, row.question_id, job.correct, job.at) for job, row in batch.answers]


def _answer_rows(batch: _Batch) -> list[dict[str, Any]]:
    """The batch's answers as rows named by column, for the SQLAlchemy path."""
    return [
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
        for job, row in batch.answers
    ]


# -- Through SQLAlchemy Core: PostgreSQL, and any writer that is not running -----------------------

_CARD_OF_ATTEMPT = and_(
    review_cards.c.member_id == practice_attempts.c.member_id,
    review_cards.c.question_id == practice_attempts.c.question_id,
)
# The columns of `_Found`, field by field; `strict=True` makes a missing or extra column fail at import.
_FOUND_COLUMNS = (
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
    practice_answers.c.chosen,
    practice_answers.c.correct,
    review_cards.c.id,
    review_cards.c.state,
    review_cards.c.step,
    review_cards.c.stability,
    review_cards.c.difficulty,
    review_cards.c.due,
    review_cards.c.last_review,
    review_cards.c.reviews,
    review_cards.c.lapses,
)
_CORE_READ = select(
    *(column.label(name) for name, column in zip(_Found._fields, _FOUND_COLUMNS, strict=True))
).select_from(
    practice_attempts.join(members, members.c.id == practice_attempts.c.member_id)
    .outerjoin(mock_exams, mock_exams.c.id == practice_attempts.c.mock_id)
    .outerjoin(practice_answers, practice_answers.c.attempt_id == practice_attempts.c.id)
    .outerjoin(review_cards, _CARD_OF_ATTEMPT)
)
# The SQLite path reads the same columns; the batch's attempt ids are one expanding parameter, compiled
# once and sized per batch (`CompiledSqlite.sized`).
_SQLITE_READ = CompiledSqlite(_CORE_READ.where(practice_attempts.c.id.in_(bindparam("ids", expanding=True))))


async def _commit_core(engine: AsyncEngine, jobs: Sequence[AnswerJob], grade: Grader) -> list[Outcome]:
    ids = list({j.attempt_id for j in jobs})
    async with engine.begin() as conn:
        rows = (await conn.execute(_CORE_READ.where(practice_attempts.c.id.in_(ids)))).all()
        found = {row[0]: _Found._make(row) for row in rows}
        batch = _decide(jobs, found, grade)
        if batch.answers:
            await _write_core(conn, batch)
    return batch.outcomes


async def _write_core(conn: AsyncConnection, batch: _Batch) -> None:
    """Insert the answers, close their attempts and write each touched card."""
    await conn.execute(insert(practice_answers), _answer_rows(batch))
    # One statement for the whole batch: the attempts close when the batch commits.
    await conn.execute(
        update(practice_attempts)
        .where(practice_attempts.c.id.in_([job.attempt_id for job, _row in batch.answers]))
        .values(closed_at=max(job.at for job, _row in batch.answers))
    )
    # Bound names must differ from column names in an UPDATE's SET clause, hence the prefix.
    updates = [
        {"card": cid, **{f"v_{k}": v for k, v in state.as_row().items()}}
        for (cid, state, _exam) in batch.cards.values()
        if cid is not None
    ]
    inserts = [
        {"member_id": key[0], "question_id": key[1], "exam": exam, **state.as_row()}
        for key, (cid, state, exam) in batch.cards.items()
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
    await practice_store.count_answers(conn, _tallies(batch))


# -- The writer task ---------------------------------------------------------------------------------


class _Pending:
    """A queued job and the future its caller waits on (a plain slotted class: one per press)."""

    __slots__ = ("future", "job")

    def __init__(self, job: AnswerJob, future: asyncio.Future[Outcome]) -> None:
        self.job = job
        self.future = future


class AnswerWriter:
    """The single writer: start it once, `record` from anywhere on the loop, `stop` drains the queue.

    A stopped writer refuses new jobs instead of silently dropping them.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        max_batch: int = MAX_BATCH,
        scheduler: Scheduler | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.engine = engine
        self.metrics = metrics  # batch sizes and commit times, when this process serves metrics
        self.max_batch = max_batch
        self.scheduler = scheduler or make_scheduler()
        self.grade = Grader(self.scheduler)
        # A plain deque plus one wake-up future: cheaper per press than asyncio.Queue's bookkeeping.
        self._queue: deque[_Pending] = deque()
        self._wake: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        # SQLite files get the one-call-per-batch path; PostgreSQL and in-memory SQLite use commit_jobs.
        self._sqlite: SqliteBatches | None = None
        self._closed = False
        self._stopping = False
        self.batches = 0

    async def start(self) -> None:
        if self._task is None:
            self._stopping = False
            path = sqlite_path(self.engine.url.render_as_string(hide_password=False))
            if path is not None and self._sqlite is None:
                self._sqlite = SqliteBatches(path)
            self._task = asyncio.create_task(self._run(), name="studybot-answer-writer")

    async def stop(self) -> None:
        """Record everything already queued, then end the task."""
        self._closed = True
        if self._task is not None:
            self._stopping = True
            self._poke()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None

    def record(self, job: AnswerJob) -> Awaitable[Outcome]:
        """Queue `job`; the returned future resolves once the batch holding it has committed.

        A plain method returning the future rather than a coroutine: thousands of presses wait here at
        once, and each coroutine frame is one more object for the garbage collector to walk.
        """
        if self._closed:
            raise RuntimeError("the answer writer is stopped; no more answers can be recorded")
        if self._task is None:
            return self._record_alone(job)
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(job, future))
        self._poke()
        return future

    async def _record_alone(self, job: AnswerJob) -> Outcome:
        return (await commit_jobs(self.engine, [job], self.grade))[0]

    def _poke(self) -> None:
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    async def _run(self) -> None:
        queue = self._queue
        while True:
            if not queue:
                if self._stopping:
                    return
                self._wake = asyncio.get_running_loop().create_future()
                await self._wake
                self._wake = None
                continue
            take = min(len(queue), self.max_batch)
            await observe_batch(self.metrics, take, self._commit([queue.popleft() for _ in range(take)]))

    async def _commit(self, batch: list[_Pending]) -> None:
        self.batches += 1
        try:
            jobs = [p.job for p in batch]
            if self._sqlite is not None:
                outcomes = await self._sqlite.commit(jobs, self.grade)
            else:
                outcomes = await commit_jobs(self.engine, jobs, self.grade)
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
