"""Benchmark: bursts of 10,000 practice answers from 1,000 members through the core, beside a raw baseline.

Run by hand: `python bench/practice_answers.py` (SQLite) or `python bench/practice_answers.py --postgres
postgresql+asyncpg://user:pw@host/db` (PostgreSQL: two scratch databases are created on that server
and dropped at the end). Target (issue 8): at least 10,000 answers/s, p99 under 50 ms, and the count in
the database equal to the answers sent. Every answer is a button press handled by
`Core.handle(Action(...))` exactly as an adapter would deliver it: decode the id, grade, queue for the
single writer, wait for the group commit, build the verdict reply with every explanation.

Three ways of sending, each with its own 10,000 fresh questions:

- burst: all 10,000 presses arrive at once (the worst case for latency; the throughput ceiling);
- members: 1,000 members pressing concurrently, each answering their 10 questions one after another;
- paced: presses arriving at a steady 10,000/s, the target rate (open loop, so slow answers do not
  slow down the arrivals and hide their own latency).

Two latencies per press (issue 14, "benchmarks made honest"): from the moment the core starts handling
it until its reply is ready ("handle"), and from the moment the press arrived ("arrival"): the burst's
start, a member's previous reply, or for the paced run press i's scheduled time, i / rate after the
start. Only the second counts the time a press waits for the event loop before the core sees it.

The baseline does the same database work as the writer, batch by batch, without our writer class:
while the core runs, the writer's batches are observed (which jobs, in which batches, how long each
took), and afterwards the same jobs are replayed in the same batches on a second database created by
our migrations (`bot.store.db.upgrade`, so the indexes, keys and foreign keys are the real ones) and
filled by the same setup: read the batch's attempts joined as the writer does, insert the answers,
close the attempts, write the FSRS cards (graded by the same `Grader`), add the answers to the
aggregate tables. On SQLite through `sqlite3` with the writer's compiled statements and pragmas; on
PostgreSQL through one raw asyncpg connection with the statements SQLAlchemy sends for the writer.
Then the same jobs once more, one transaction each, on a third database. At the end the baseline's
tables must hold what the core's hold (a digest of answers, cards and aggregates is compared).

`--writer-alone` is a diagnostic: the writer's SQLite batch path (`SqliteBatches`) on its own, with no
core and no presses waiting, against the raw baseline on the same batches.
`--gc-freeze` is a diagnostic left from before the runtime froze its start-up objects itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import hashlib
import itertools
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog
from bot.practice.engine import Served, answer_components, member_key
from bot.practice.questions import shuffled_order
from bot.practice.review import CardState, Grader, make_scheduler
from bot.practice.writer import (
    _SQLITE_CLOSE,
    _SQLITE_INSERT_ANSWER,
    _SQLITE_READ,
    _SQLITE_UPSERT_CARD,
    AnswerJob,
    AnswerWriter,
)
from bot.requests import Action, Identity
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.db import BUSY_TIMEOUT_MS, create_engine, upgrade
from bot.store.practice import (
    _SQLITE_DAYS,
    _SQLITE_LATEST,
    _SQLITE_PERIODS,
    _SQLITE_TOTALS,
    _periods,
    _sqlite_period_start,
    period_start,
)
from bot.store.schema import members, practice_answers, practice_attempts

EXAM = "SAA-C03"
MEMBERS = 1_000
PER_MEMBER = 10
RATE = 10_000.0
SCENARIOS = ("burst", "members", "paced")
PG_ONE_PER_TX = 1_000  # jobs per scenario replayed one transaction each on PostgreSQL (a round trip each)


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def identity(n: int) -> Identity:
    return Identity("console", "bench", "c1", f"u{n}", f"Member {n}")


def load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


async def setup(engine: AsyncEngine, catalog: Catalog, now: dt.datetime) -> dict[str, list[list[str]]]:
    """Members and served questions, written straight to the store (setting up is not what we measure).

    Returns, per scenario, per member, the action ids of the presses to send. Run on a fresh database,
    it gives the same rows the same ids every time, which is what lets the baseline replay the core's jobs.
    """
    exam = catalog.exam(EXAM)
    assert exam is not None
    questions = list(catalog.questions[EXAM])
    async with engine.begin() as conn:
        await conn.execute(
            insert(members),
            [
                {
                    "platform": "console",
                    "workspace": "bench",
                    "user_id": f"u{n}",
                    "display_name": f"Member {n}",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(MEMBERS)
            ],
        )
        ids = dict((await conn.execute(select(members.c.user_id, members.c.id))).all())
    presses: dict[str, list[list[str]]] = {s: [[] for _ in range(MEMBERS)] for s in SCENARIOS}
    for scenario_index, scenario in enumerate(SCENARIOS):
        rows, picks = [], []
        for n in range(MEMBERS):
            who = identity(n)
            for k in range(PER_MEMBER):
                q = questions[(n * 7 + k * 13 + scenario_index * PER_MEMBER) % len(questions)]
                order = shuffled_order(member_key(who), q)
                rows.append(
                    {
                        "member_id": ids[who.user_id],
                        "question_id": q.id,
                        "exam": EXAM,
                        "domain": q.domain,
                        "source": "practice",
                        "option_order": order,
                        "channel": "c1",
                        "created_at": now,
                    }
                )
                picks.append((n, q, order))
        async with engine.begin() as conn:
            attempt_ids = (
                (
                    await conn.execute(
                        insert(practice_attempts).returning(practice_attempts.c.id, sort_by_parameter_order=True), rows
                    )
                )
                .scalars()
                .all()
            )
        for attempt_id, (n, q, order) in zip(attempt_ids, picks, strict=True):
            buttons, select_ = answer_components(Served(attempt_id, q, order, exam))
            if select_ is not None:  # multiple response: the menu itself submits the chosen letters
                presses[scenario][n].append(select_.action_id + "|" + "AB"[: q.choose])
            else:
                presses[scenario][n].append(buttons[(n + attempt_id) % len(buttons)].action_id)
    return presses


# -- watching the writer -----------------------------------------------------------------------------


@dataclass
class Observed:
    """The writer's batches during one scenario: the jobs of each, in order, and its commit time."""

    batches: list[list[AnswerJob]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def observe(writer: AnswerWriter) -> Callable[[], Observed]:
    """Wrap the running writer's batch commit to note each batch; changes nothing it does.

    Returns a function that hands over what was noted since the last call.
    """
    current = [Observed()]
    inner = writer._commit

    async def commit(batch: list[Any]) -> None:
        start = time.perf_counter()
        await inner(batch)
        current[0].batches.append([p.job for p in batch])
        current[0].seconds.append(time.perf_counter() - start)

    writer._commit = commit  # type: ignore[method-assign]

    def take() -> Observed:
        taken, current[0] = current[0], Observed()
        return taken

    return take


# -- through the core -----------------------------------------------------------------------------


async def run_scenario(
    rt: Runtime, scenario: str, presses: list[list[str]], *, delivery_ids: bool = False
) -> dict[str, float]:
    handled: list[float] = []  # from the core starting the press to its reply
    waited: list[float] = []  # from the press's arrival to its reply
    titles: list[str] = []
    total = sum(len(p) for p in presses)
    writer = rt.services.writer
    batches_before = writer.batches
    serial = itertools.count()
    cpu = time.process_time()
    started = time.perf_counter()

    async def one(n: int, raw: str, arrival: float) -> float:
        # A Slack press carries its trigger id, which the dispatcher claims once (the delivery ledger).
        delivery = f"slack:{scenario}.{next(serial)}.t:1700000000.0" if delivery_ids else None
        action_id, _, letters = raw.partition("|")
        values = tuple(letters) if letters else ()
        start = time.perf_counter()
        reply = await rt.core.handle(Action(identity(n), action_id, values=values, delivery_id=delivery))
        done = time.perf_counter()
        handled.append(done - start)
        waited.append(done - arrival)
        titles.append(reply.title or "")
        return done

    if scenario == "burst":
        await asyncio.gather(*(one(n, raw, started) for n, mine in enumerate(presses) for raw in mine))
    elif scenario == "members":

        async def member(n: int) -> None:
            arrival = started
            for raw in presses[n]:
                arrival = await one(n, raw, arrival)  # the next press arrives when this reply is shown

        await asyncio.gather(*(member(n) for n in range(len(presses))))
    else:
        # One producer starts each press when its time comes (every millisecond, the ones now due),
        # so the arrivals cost the loop as much as real ones would, spread over the second. Press i
        # arrives at i / RATE after the start, whether or not the loop gets round to it then.
        flat = [(n, raw) for k in range(PER_MEMBER) for n, mine in enumerate(presses) for raw in mine[k : k + 1]]
        tasks: list[asyncio.Task[float]] = []
        sent = 0
        while sent < len(flat):
            due = min(len(flat), int((time.perf_counter() - started) * RATE) + 1)
            tasks.extend(
                asyncio.create_task(one(n, raw, started + i / RATE))
                for i, (n, raw) in enumerate(flat[sent:due], start=sent)
            )
            sent = due
            await asyncio.sleep(0.001)
        await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    bad = [t for t in titles if t not in ("Correct", "Not quite")]
    if bad:
        raise SystemExit(f"{scenario}: {len(bad)} presses did not get a verdict, e.g. {bad[0]!r}")
    return {
        "sent": total,
        "rate": total / elapsed,
        "p50": 1000 * statistics.median(handled),
        "p99": 1000 * pct(handled, 0.99),
        "max": 1000 * max(handled),
        "arrival_p50": 1000 * statistics.median(waited),
        "arrival_p99": 1000 * pct(waited, 0.99),
        "arrival_max": 1000 * max(waited),
        "batches": writer.batches - batches_before,
        "elapsed": elapsed,
        "cpu": cpu,
    }


# -- the raw baselines ------------------------------------------------------------------------------
# Columns of the writer's read, in its order (`bot.practice.writer._Found`).
ATTEMPT, MEMBER, QUESTION, EXAM_, DOMAIN, SOURCE, MOCK, ORDER, CHANNEL, CLOSED = range(10)
PLATFORM, WORKSPACE, USER, ENDS, FINISHED, CHOSEN, CORRECT, CARD = range(10, 18)
CARD_STATE = slice(18, 26)  # state, step, stability, difficulty, due, last_review, reviews, lapses


def _checked(row: Sequence[Any] | None, job: AnswerJob) -> Sequence[Any]:
    """The checks the writer makes before accepting an answer (in this bench every one passes)."""
    if (
        row is None
        or row[QUESTION] != job.question_id
        or row[ORDER] != job.option_order
        or (row[PLATFORM], row[WORKSPACE], row[USER]) != (job.platform, job.workspace, job.user_id)
        or row[CHOSEN] is not None
        or row[CLOSED] is not None
        or row[FINISHED] is not None
        or row[ENDS] is not None
    ):
        raise SystemExit(f"baseline: attempt {job.attempt_id} is not as the core left it before answering")
    return row


def _graded(
    rows: dict[int, Sequence[Any]], jobs: Sequence[AnswerJob], grade: Grader, when: Callable[[Any], Any]
) -> tuple[list[tuple[AnswerJob, Sequence[Any]]], dict[tuple[int, str], tuple[int | None, CardState, str]]]:
    """Each job's attempt, and each touched card's new state, answers in time order (as the writer)."""
    answers = [(job, _checked(rows.get(job.attempt_id), job)) for job in jobs]
    cards: dict[tuple[int, str], tuple[int | None, CardState, str]] = {}
    for job, row in sorted(answers, key=lambda pair: pair[0].at):
        key = (row[MEMBER], row[QUESTION])
        if key in cards:
            card_id, current, _exam = cards[key]
        elif row[CARD] is not None:
            s = row[CARD_STATE]
            card_id, current = row[CARD], CardState(s[0], s[1], s[2], s[3], when(s[4]), when(s[5]), s[6], s[7])
        else:
            card_id, current = None, None
        cards[key] = (card_id, grade(card_id or 0, current, job.correct, job.at), row[EXAM_])
    return answers, cards


def _folded(
    answers: list[tuple[AnswerJob, Sequence[Any]]], stamp: Callable[[dt.datetime], Any], day: Callable[[Any], Any]
) -> tuple[dict[Any, list[int]], dict[Any, list[Any]], dict[Any, tuple[Any, bool]]]:
    """The aggregate rows of a batch: totals per (member, exam, domain), days, latest per question."""
    totals: dict[Any, list[int]] = {}
    days: dict[Any, list[Any]] = {}
    latest: dict[Any, tuple[Any, bool]] = {}
    for job, row in answers:
        at = stamp(job.at)
        ok = int(job.correct)
        t = totals.setdefault((row[MEMBER], row[EXAM_], row[DOMAIN]), [0, 0])
        t[0] += 1
        t[1] += ok
        d = days.setdefault((row[MEMBER], day(at), row[EXAM_]), [0, 0, at, at])
        d[0] += 1
        d[1] += ok
        d[2], d[3] = min(d[2], at), max(d[3], at)
        key = (row[MEMBER], row[EXAM_], row[QUESTION])
        if key not in latest or at >= latest[key][0]:
            latest[key] = (at, job.correct)
    return totals, days, latest


def _text(at: dt.datetime | None) -> str | None:
    """SQLite's stored form of a UTC time (what `UTCDateTime` binds)."""
    return None if at is None else at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _from_text(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


class RawSqlite:
    """The writer's work per batch on a plain `sqlite3` connection: its statements, its pragmas."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", f"busy_timeout={BUSY_TIMEOUT_MS}", "synchronous=NORMAL"):
            self.db.execute(f"PRAGMA {pragma}")
        self.grade = Grader(make_scheduler())

    def batch(self, jobs: Sequence[AnswerJob]) -> None:
        db = self.db
        ids = list(dict.fromkeys(job.attempt_id for job in jobs))
        db.execute("BEGIN IMMEDIATE")
        rows = {row[0]: row for row in db.execute(_SQLITE_READ.sized(len(ids)), ids)}
        answers, cards = _graded(rows, jobs, self.grade, _from_text)
        db.executemany(
            _SQLITE_INSERT_ANSWER.sql,
            [
                (job.attempt_id, r[MEMBER], r[QUESTION], r[EXAM_], r[DOMAIN], r[SOURCE], r[CHANNEL], job.chosen,
                 job.correct, _text(job.at))
                for job, r in answers
            ],
        )  # fmt: skip
        db.execute(_SQLITE_CLOSE.sized(len(ids)), [_text(max(job.at for job in jobs)), *ids])
        db.executemany(
            _SQLITE_UPSERT_CARD.sql,
            [
                (m, q, exam, s.state, s.step, s.stability, s.difficulty, _text(s.due), _text(s.last_review),
                 s.reviews, s.lapses)
                for (m, q), (_id, s, exam) in cards.items()
            ],
        )  # fmt: skip
        totals, days, latest = _folded(answers, _text, lambda at: at[:10])  # type: ignore[arg-type]
        db.executemany(_SQLITE_TOTALS.sql, [(m, e, d, 0, n, c) for (m, e, d), (n, c) in totals.items()])
        db.executemany(_SQLITE_DAYS.sql, [(m, day, e, *v) for (m, day, e), v in days.items()])
        db.executemany(_SQLITE_LATEST.sql, [(m, e, q, at, ok) for (m, e, q), (at, ok) in latest.items()])
        periods = _periods(days, _sqlite_period_start)
        db.executemany(_SQLITE_PERIODS.sql, [(m, p, start, e, n, c) for (m, p, start, e), (n, c) in periods.items()])
        db.execute("COMMIT")

    async def close(self) -> None:
        self.db.close()


# The statements SQLAlchemy sends to asyncpg for the writer's PostgreSQL path (`_commit_core`), as
# seen on the wire with an engine event listener; the IN lists are sized per batch like SQLAlchemy's.
PG_READ = (
    "SELECT practice_attempts.id AS attempt_id, practice_attempts.member_id AS member_id, "
    "practice_attempts.question_id AS question_id, practice_attempts.exam AS exam, "
    "practice_attempts.domain AS domain, practice_attempts.source AS source, practice_attempts.mock_id AS mock_id, "
    "practice_attempts.option_order AS option_order, practice_attempts.channel AS channel, "
    "practice_attempts.closed_at AS closed_at, members.platform AS platform, members.workspace AS workspace, "
    "members.user_id AS user_id, mock_exams.ends_at AS ends_at, mock_exams.finished_at AS finished_at, "
    "practice_answers.chosen AS chosen, practice_answers.correct AS correct, review_cards.id AS card_id, "
    "review_cards.state AS state, review_cards.step AS step, review_cards.stability AS stability, "
    "review_cards.difficulty AS difficulty, review_cards.due AS due, review_cards.last_review AS last_review, "
    "review_cards.reviews AS reviews, review_cards.lapses AS lapses \n"
    "FROM practice_attempts JOIN members ON members.id = practice_attempts.member_id "
    "LEFT OUTER JOIN mock_exams ON mock_exams.id = practice_attempts.mock_id "
    "LEFT OUTER JOIN practice_answers ON practice_answers.attempt_id = practice_attempts.id "
    "LEFT OUTER JOIN review_cards ON review_cards.member_id = practice_attempts.member_id "
    "AND review_cards.question_id = practice_attempts.question_id \n"
    "WHERE practice_attempts.id IN ({ids})"
)
PG_INSERT_ANSWER = (
    "INSERT INTO practice_answers (attempt_id, member_id, question_id, exam, domain, source, channel, chosen, "
    "correct, answered_at) VALUES ($1::INTEGER, $2::INTEGER, $3::VARCHAR, $4::VARCHAR, $5::VARCHAR, $6::VARCHAR, "
    "$7::VARCHAR, $8::VARCHAR, $9::BOOLEAN, $10::TIMESTAMP WITH TIME ZONE)"
)
PG_CLOSE = "UPDATE practice_attempts SET closed_at=$1::TIMESTAMP WITH TIME ZONE WHERE practice_attempts.id IN ({ids})"
PG_UPDATE_CARD = (
    "UPDATE review_cards SET state=$1::INTEGER, step=$2::INTEGER, stability=$3::FLOAT, difficulty=$4::FLOAT, "
    "due=$5::TIMESTAMP WITH TIME ZONE, last_review=$6::TIMESTAMP WITH TIME ZONE, reviews=$7::INTEGER, "
    "lapses=$8::INTEGER WHERE review_cards.id = $9::INTEGER"
)
PG_INSERT_CARD = (
    "INSERT INTO review_cards (member_id, question_id, exam, state, step, stability, difficulty, due, last_review, "
    "reviews, lapses) VALUES ($1::INTEGER, $2::VARCHAR, $3::VARCHAR, $4::INTEGER, $5::INTEGER, $6::FLOAT, "
    "$7::FLOAT, $8::TIMESTAMP WITH TIME ZONE, $9::TIMESTAMP WITH TIME ZONE, $10::INTEGER, $11::INTEGER)"
)
PG_TOTALS = (
    "INSERT INTO member_totals (member_id, exam, domain, served, answered, correct) VALUES ($1::INTEGER, "
    "$2::VARCHAR, $3::VARCHAR, $4::INTEGER, $5::INTEGER, $6::INTEGER) ON CONFLICT (member_id, exam, domain) DO "
    "UPDATE SET answered = (member_totals.answered + excluded.answered), correct = (member_totals.correct + "
    "excluded.correct)"
)
PG_DAYS = (
    "INSERT INTO member_days (member_id, day, exam, answered, correct, first_at, last_at) VALUES ($1::INTEGER, "
    "$2::DATE, $3::VARCHAR, $4::INTEGER, $5::INTEGER, $6::TIMESTAMP WITH TIME ZONE, $7::TIMESTAMP WITH TIME ZONE) "
    "ON CONFLICT (member_id, day, exam) DO UPDATE SET answered = (member_days.answered + excluded.answered), "
    "correct = (member_days.correct + excluded.correct), first_at = least(member_days.first_at, "
    "excluded.first_at), last_at = greatest(member_days.last_at, excluded.last_at)"
)
PG_LATEST = (
    "INSERT INTO member_questions (member_id, exam, question_id, last_at, last_correct) VALUES ($1::INTEGER, "
    "$2::VARCHAR, $3::VARCHAR, $4::TIMESTAMP WITH TIME ZONE, $5::BOOLEAN) ON CONFLICT (member_id, exam, "
    "question_id) DO UPDATE SET last_at = excluded.last_at, last_correct = excluded.last_correct WHERE "
    "excluded.last_at >= member_questions.last_at"
)

PG_PERIODS = (
    "INSERT INTO member_periods (member_id, period, starts, exam, answered, correct) VALUES ($1::INTEGER, "
    "$2::VARCHAR, $3::DATE, $4::VARCHAR, $5::INTEGER, $6::INTEGER) ON CONFLICT (member_id, period, starts, exam) "
    "DO UPDATE SET answered = (member_periods.answered + excluded.answered), correct = (member_periods.correct + "
    "excluded.correct)"
)


def _in_list(count: int, first: int) -> str:
    return ", ".join(f"${i}::INTEGER" for i in range(first, first + count))


class RawAsyncpg:
    """The writer's PostgreSQL work per batch on one raw asyncpg connection: the same statements."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.grade = Grader(make_scheduler())

    async def batch(self, jobs: Sequence[AnswerJob]) -> None:
        conn = self.conn
        ids = list(dict.fromkeys(job.attempt_id for job in jobs))
        async with conn.transaction():
            found = await conn.fetch(PG_READ.format(ids=_in_list(len(ids), 1)), *ids)
            answers, cards = _graded({row[0]: row for row in found}, jobs, self.grade, lambda value: value)
            await conn.executemany(
                PG_INSERT_ANSWER,
                [
                    (job.attempt_id, r[MEMBER], r[QUESTION], r[EXAM_], r[DOMAIN], r[SOURCE], r[CHANNEL], job.chosen,
                     job.correct, job.at)
                    for job, r in answers
                ],
            )  # fmt: skip
            await conn.execute(PG_CLOSE.format(ids=_in_list(len(ids), 2)), max(job.at for job in jobs), *ids)
            updates = [
                (s.state, s.step, s.stability, s.difficulty, s.due, s.last_review, s.reviews, s.lapses, card)
                for card, s, _exam in cards.values()
                if card is not None
            ]
            inserts = [
                (m, q, exam, s.state, s.step, s.stability, s.difficulty, s.due, s.last_review, s.reviews, s.lapses)
                for (m, q), (card, s, exam) in cards.items()
                if card is None
            ]
            if updates:
                await conn.executemany(PG_UPDATE_CARD, updates)
            if inserts:
                await conn.executemany(PG_INSERT_CARD, inserts)
            totals, days, latest = _folded(answers, lambda at: at, lambda at: at.astimezone(dt.UTC).date())
            await conn.executemany(PG_TOTALS, [(m, e, d, 0, n, c) for (m, e, d), (n, c) in sorted(totals.items())])
            await conn.executemany(PG_DAYS, [(m, day, e, *v) for (m, day, e), v in sorted(days.items())])
            await conn.executemany(PG_LATEST, [(m, e, q, at, ok) for (m, e, q), (at, ok) in sorted(latest.items())])
            periods = sorted(_periods(days, period_start).items())
            await conn.executemany(PG_PERIODS, [(m, p, start, e, n, c) for (m, p, start, e), (n, c) in periods])

    async def close(self) -> None:
        await self.conn.close()


Baseline = RawSqlite | RawAsyncpg


async def replay(base: Baseline, batches: Sequence[Sequence[AnswerJob]]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of this process to run these batches, each in its own transaction."""
    start, cpu = time.perf_counter(), time.process_time()
    for jobs in batches:
        if isinstance(base, RawSqlite):
            base.batch(jobs)
        else:
            await base.batch(jobs)
    return time.perf_counter() - start, time.process_time() - cpu


# -- databases ----------------------------------------------------------------------------------------

# What must be equal between the core's database and the baseline's after the same jobs.
DIGEST = (
    "SELECT attempt_id, member_id, question_id, chosen, correct, answered_at FROM practice_answers ORDER BY attempt_id",
    "SELECT id, closed_at FROM practice_attempts WHERE closed_at IS NOT NULL ORDER BY id",
    "SELECT member_id, question_id, exam, state, step, stability, difficulty, due, last_review, reviews, lapses "
    "FROM review_cards ORDER BY member_id, question_id",
    "SELECT member_id, exam, domain, served, answered, correct FROM member_totals ORDER BY member_id, exam, domain",
    "SELECT member_id, day, exam, answered, correct, first_at, last_at FROM member_days ORDER BY member_id, day, exam",
    "SELECT member_id, exam, question_id, last_at, last_correct FROM member_questions "
    "ORDER BY member_id, exam, question_id",
    "SELECT member_id, period, starts, exam, answered, correct FROM member_periods "
    "ORDER BY member_id, period, starts, exam",
)


def _normal(value: Any) -> str:
    """One text for a value from either driver (times as UTC, floats rounded, booleans as 0/1)."""
    if isinstance(value, dt.datetime):
        return _text(value if value.tzinfo else value.replace(tzinfo=dt.UTC)) or ""
    if isinstance(value, str) and len(value) == 26 and value[4] == "-" and value[10] == " ":
        return value  # SQLite's stored time
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.9g}"
    return str(value)


def _digest(results: list[list[Sequence[Any]]]) -> str:
    h = hashlib.sha256()
    for rows in results:
        h.update(f"{len(rows)}|".encode())
        for row in rows:
            h.update("|".join(_normal(v) for v in row).encode() + b"\n")
    return h.hexdigest()[:16]


@dataclass
class Backend:
    """Where the core runs and where each baseline runs, and how to reach them."""

    core_url: str
    base_urls: tuple[str, str]  # batched baseline, one-per-transaction baseline
    describe: str

    async def open_baseline(self, url: str) -> Baseline:
        if url.startswith("sqlite"):
            return RawSqlite(Path(make_url(url).database or ""))
        return RawAsyncpg(await asyncpg.connect(_plain(url)))

    async def digest(self, url: str) -> str:
        if url.startswith("sqlite"):
            db = sqlite3.connect(make_url(url).database or "")
            try:
                return _digest([db.execute(sql).fetchall() for sql in DIGEST])
            finally:
                db.close()
        conn = await asyncpg.connect(_plain(url))
        try:
            return _digest([list(await conn.fetch(sql)) for sql in DIGEST])
        finally:
            await conn.close()


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def backend(postgres: str | None) -> AsyncIterator[Backend]:
    """Three fresh databases: SQLite files in a temporary folder, or scratch databases on the server."""
    if postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            urls = [f"sqlite+aiosqlite:///{Path(tmp) / name}.sqlite3" for name in ("core", "raw", "raw1")]
            yield Backend(urls[0], (urls[1], urls[2]), f"SQLite {sqlite3.sqlite_version}")
        return
    server = make_url(postgres)
    names = [f"bench_answers_{name}_{os.getpid()}" for name in ("core", "raw", "raw1")]
    admin = await asyncpg.connect(_plain(postgres))
    try:
        version = await admin.fetchval("SHOW server_version")
        for name in names:
            await admin.execute(f'CREATE DATABASE "{name}"')
        urls = [server.set(database=name).render_as_string(hide_password=False) for name in names]
        yield Backend(urls[0], (urls[1], urls[2]), f"PostgreSQL {version}, asyncpg {asyncpg.__version__}")
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def prepared(url: str, catalog: Catalog, now: dt.datetime) -> None:
    """A baseline database: our migrations, then the same setup as the core's."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        await setup(engine, catalog, now)
    finally:
        await engine.dispose()


# -- the run --------------------------------------------------------------------------------------------


async def main(
    scenarios: list[str], *, postgres: str | None = None, gc_freeze: bool = False, delivery_ids: bool = False
) -> None:
    print(
        f"Python {platform.python_version()}, {platform.machine()}, {len(os.sched_getaffinity(0))} CPUs usable, "
        f"{load()}" + ("; DIAGNOSTIC: gc.freeze() after setup" if gc_freeze else "")
    )
    async with backend(postgres) as where:
        print(where.describe)
        settings = Settings.from_env({"STUDYBOT_DATABASE_URL": where.core_url}, env_file=None)
        async with Runtime(settings) as rt:
            now = rt.clock.now()
            presses = await setup(rt.services.engine, rt.services.catalog, now)
            for url in where.base_urls:
                await prepared(url, rt.services.catalog, now)
            batched, single = [await where.open_baseline(url) for url in where.base_urls]
            take = observe(rt.services.writer)
            if gc_freeze:
                gc.collect()
                gc.freeze()
            sent = 0
            try:
                for scenario in scenarios:
                    before = load()
                    r = await run_scenario(rt, scenario, presses[scenario], delivery_ids=delivery_ids)
                    seen = take()
                    sent += int(r["sent"])
                    jobs = [job for batch in seen.batches for job in batch]
                    raw, raw_cpu = await replay(batched, seen.batches)
                    ones = jobs if isinstance(single, RawSqlite) else jobs[:PG_ONE_PER_TX]
                    raw1, raw1_cpu = await replay(single, [[job] for job in ones])
                    sizes = [len(b) for b in seen.batches]
                    writer_s = sum(seen.seconds)
                    print(
                        f"{scenario:8} {int(r['sent']):,} answers in {r['elapsed']:.2f} s = {r['rate']:,.0f} "
                        f"answers/s, {r['cpu']:.2f} s CPU ({before}); latency from handling p50 {r['p50']:.1f} ms, "
                        f"p99 {r['p99']:.1f} ms, max {r['max']:.1f} ms; from arrival p50 {r['arrival_p50']:.1f} ms, "
                        f"p99 {r['arrival_p99']:.1f} ms, max {r['arrival_max']:.1f} ms"
                    )
                    print(
                        f"         writer: {int(r['batches'])} commits (sizes median {statistics.median(sizes):.0f}, "
                        f"max {max(sizes)}), {writer_s:.3f} s in its batches = {len(jobs) / writer_s:,.0f} answers/s; "
                        f"raw, same batches: {raw:.3f} s = {len(jobs) / raw:,.0f} answers/s, {raw_cpu:.2f} s CPU; "
                        f"raw, one per transaction: {len(ones) / raw1:,.0f} answers/s, {raw1_cpu:.2f} s CPU "
                        f"({len(ones):,} answers); core/raw {r['rate'] / (len(jobs) / raw):.2f}x end to end, "
                        f"writer/raw {raw / writer_s:.2f}x in the batches, raw/core CPU {raw_cpu / r['cpu']:.2f}x; "
                        f"{load()}"
                    )
            finally:
                await batched.close()
                await single.close()
            async with rt.services.engine.connect() as conn:
                stored = (await conn.execute(select(func.count()).select_from(practice_answers))).scalar_one()
        core, base = await where.digest(where.core_url), await where.digest(where.base_urls[0])
        print(f"stored answers: {stored:,} of {sent:,} sent" + ("" if stored == sent else "  <-- MISMATCH"))
        print(
            f"tables after the run (answers, closed attempts, cards, aggregates): core {core}, raw baseline {base}"
            + ("" if core == base else "  <-- THE BASELINE DID NOT DO THE SAME WORK")
        )
        if stored != sent or core != base:
            raise SystemExit(1)


async def writer_alone() -> None:
    """Diagnostic: the writer's SQLite batch path on its own (no core, no presses waiting) against the raw
    baseline, batch by batch alternating, the same 30,000 jobs in batches of 512 on two fresh databases."""
    from bot.catalog.loader import load_catalog
    from bot.practice.writer import SqliteBatches

    catalog = load_catalog()
    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        urls = [f"sqlite+aiosqlite:///{Path(tmp) / name}.sqlite3" for name in ("writer", "raw")]
        for url in urls:
            await prepared(url, catalog, now)
        db = sqlite3.connect(Path(tmp) / "writer.sqlite3")
        attempts = db.execute(
            "SELECT a.id, m.platform, m.workspace, m.user_id, a.question_id, a.option_order "
            "FROM practice_attempts a JOIN members m ON m.id = a.member_id ORDER BY a.id"
        ).fetchall()
        db.close()
        jobs = [
            AnswerJob(a, plat, ws, user, q, order, "0", i % 3 != 0, now + dt.timedelta(microseconds=i))
            for i, (a, plat, ws, user, q, order) in enumerate(attempts)
        ]
        writer, grade = SqliteBatches(Path(tmp) / "writer.sqlite3"), Grader(make_scheduler())
        raw = RawSqlite(Path(tmp) / "raw.sqlite3")
        spent = {"writer": [0.0, 0.0], "raw": [0.0, 0.0]}
        for base in range(0, len(jobs), 512):
            batch = jobs[base : base + 512]
            start, cpu = time.perf_counter(), time.process_time()
            await writer.commit(batch, grade)
            spent["writer"][0] += time.perf_counter() - start
            spent["writer"][1] += time.process_time() - cpu
            start, cpu = time.perf_counter(), time.process_time()
            raw.batch(batch)
            spent["raw"][0] += time.perf_counter() - start
            spent["raw"][1] += time.process_time() - cpu
        writer.close()
        await raw.close()
        same = await Backend("", ("", ""), "").digest(urls[0]) == await Backend("", ("", ""), "").digest(urls[1])
        (w, wc), (r, rc) = spent["writer"], spent["raw"]
        print(
            f"{len(jobs):,} answers in batches of 512 ({load()}): writer's SqliteBatches {w:.3f} s, {wc:.2f} s CPU; "
            f"raw {r:.3f} s, {rc:.2f} s CPU; writer/raw {w / r:.2f}x wall, {wc / rc:.2f}x CPU; "
            + ("tables equal" if same else "TABLES DIFFER")
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="run only these scenarios")
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL: scratch databases on this server")
    parser.add_argument("--gc-freeze", action="store_true", help="diagnostic: gc.freeze() after setup (see above)")
    parser.add_argument(
        "--delivery-ids", action="store_true", help="give each press a Slack-shaped delivery id, as Slack presses have"
    )
    parser.add_argument(
        "--writer-alone", action="store_true", help="diagnostic: the writer's SQLite batches alone against the raw ones"
    )
    args = parser.parse_args()
    if args.writer_alone:
        asyncio.run(writer_alone())
        raise SystemExit(0)
    asyncio.run(
        main(
            args.only or list(SCENARIOS),
            postgres=args.postgres,
            gc_freeze=args.gc_freeze,
            delivery_ids=args.delivery_ids,
        )
    )
