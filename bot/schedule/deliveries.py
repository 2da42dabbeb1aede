"""Claim-once delivery of scheduled prompts and their reveals.

Every delivery is first claimed by inserting a row under a unique key: `p:<schedule>:<local date and
wall-clock time>` for a prompt, `r:<prompt>` for its reveal. Only the caller whose insert went in
posts. That one rule makes a restart, a second process on the same database (SQLite or PostgreSQL),
APScheduler firing a repeated fall-back hour twice, and `deliver-due` run twice all post once.

A process can die between claiming and recording the post. A claim left in `claimed` for longer than
the lease is taken over (compare-and-set on `claimed_at`); if a message id was stored it is only
marked posted, otherwise it is posted again with the same nonce, which Discord uses to drop the
duplicate. Slack has no nonce, so there the window between its answer and our update remains.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.catalog.models import Question
from bot.schedule import texts
from bot.schedule.cron import make_trigger, occurrences, wall_key
from bot.schedule.ports import Poster, PostOutcome, PostResult
from bot.schedule.ratelimit import RateLimiter, limiter_for
from bot.services import Services
from bot.store import schedules as schedule_store
from bot.store.schedules import Schedule
from bot.store.schema import prompt_answers, schedule_deliveries

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=2)
LOOKBACK = dt.timedelta(days=8)  # how far back a start-up looks for missed prompts to record
REVEAL_RETRY = dt.timedelta(hours=24)  # a reveal that keeps failing is given up after this
PAUSE_AFTER = 3  # permanent failures in a row before a schedule is paused
RECENT = 200  # how many past prompts of a channel count as "recent" when picking a question
FAN_OUT = 256  # posts in flight at once; the rate limiter decides when each actually goes

# The hook study-path expiry reminders register in `services.extras`: (services, now) -> posted count.
REMINDERS_HOOK = "deliver_reminders"


@dataclass
class Counts:
    prompts: int = 0
    reveals: int = 0
    reminders: int = 0
    skipped: int = 0
    failed: int = 0
    posted: list[tuple[str, str]] = field(default_factory=list)  # (kind, channel) in order

    def as_json(self) -> dict[str, int]:
        return {"prompts": self.prompts, "reveals": self.reveals, "reminders": self.reminders, "skipped": self.skipped}


def nonce_for(key: str) -> str:
    """A Discord nonce (at most 25 characters) that is the same for every retry of one delivery."""
    return hashlib.sha256(key.encode()).hexdigest()[:25]


def prompt_key(schedule_id: int, fire: dt.datetime, zone: str) -> str:
    return f"p:{schedule_id}:{wall_key(fire, zone)}"


async def insert_claim(conn: AsyncConnection, values: dict[str, Any]) -> int | None:
    """Insert a delivery row unless its key exists; the new id when this call won, else None."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(schedule_deliveries)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(schedule_deliveries.c.id)
    )
    return (await conn.execute(stmt)).scalar_one_or_none()


def _questions(svc: Services, exam: str) -> list[Question]:
    return list(svc.catalog.questions.get(exam, ()))


async def question_pool(
    conn: AsyncConnection, svc: Services, platform: str, workspace: str, exam: str
) -> list[Question]:
    """The shipped bank plus the workspace's own questions when the practice engine provides them."""
    try:
        from bot.practice.questions import Place, pool
    except ImportError:  # the practice engine is optional for prompts; the shipped bank always works
        return _questions(svc, exam)
    return await pool(conn, svc.catalog, Place(platform, workspace), exam)


def matches_domain(exam_domains: list[str], wanted: str, question_domain: str) -> bool:
    """`domain:security` matches "Design Secure Architectures", as in /practice."""
    words = wanted.casefold().replace("-", " ").split()
    if wanted.isdigit() and 1 <= int(wanted) <= len(exam_domains):
        return question_domain.casefold() == exam_domains[int(wanted) - 1].casefold()
    return all(w[:5] in question_domain.casefold() for w in words)


async def pick_question(conn: AsyncConnection, svc: Services, schedule: Schedule | Any, seed: str) -> Question | None:
    """A question honouring exam, domain and difficulty that this channel has not seen lately."""
    questions = await question_pool(conn, svc, schedule.platform, schedule.workspace, schedule.exam)
    exam = svc.catalog.exam(schedule.exam)
    names = [d.name for d in exam.domains] if exam else []
    if schedule.domain:
        questions = [q for q in questions if matches_domain(names, schedule.domain, q.domain)]
    if schedule.difficulty:
        questions = [q for q in questions if q.difficulty == schedule.difficulty]
    if not questions:
        return None
    recent = (
        (
            await conn.execute(
                select(schedule_deliveries.c.question_id)
                .where(
                    (schedule_deliveries.c.kind == "prompt")
                    & (schedule_deliveries.c.platform == schedule.platform)
                    & (schedule_deliveries.c.workspace == schedule.workspace)
                    & (schedule_deliveries.c.channel == schedule.channel)
                    & (schedule_deliveries.c.state != "skipped")
                )
                .order_by(schedule_deliveries.c.due_at.desc())
                .limit(RECENT)
            )
        )
        .scalars()
        .all()
    )
    rng = random.Random(seed)
    fresh = [q for q in questions if q.id not in set(recent)]
    if fresh:
        return rng.choice(fresh)
    age = {qid: pos for pos, qid in reversed(list(enumerate(recent)))}
    return max(questions, key=lambda q: age.get(q.id, RECENT))


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed delivery waiting to be posted."""

    id: int
    key: str
    kind: str
    platform: str
    workspace: str
    channel: str
    schedule_id: int | None
    nonce: str


class Deliverer:
    """Delivers whatever is due, once; shared by APScheduler's wake-ups and `deliver-due`."""

    def __init__(self, svc: Services, *, lease: dt.timedelta = LEASE, pause_after: int = PAUSE_AFTER) -> None:
        self.svc = svc
        self.lease = lease
        self.pause_after = pause_after
        self.limiters: dict[str, RateLimiter] = {}
        self._lock = asyncio.Lock()

    @property
    def grace(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.svc.settings.grace_minutes)

    def poster(self, platform: str) -> Poster | None:
        posters: dict[str, Poster] = self.svc.extras.get("posters") or {}
        return posters.get(platform)

    def limiter(self, platform: str) -> RateLimiter:
        if platform not in self.limiters:
            self.limiters[platform] = limiter_for(platform)
        return self.limiters[platform]

    async def send(self, platform: str, channel: str, call: Callable[[Poster], Awaitable[PostResult]]) -> PostResult:
        poster = self.poster(platform)
        if poster is None:
            return PostResult(PostOutcome.FAILED, detail=f"no {platform} connection in this process")
        return await self.limiter(platform).send(channel, lambda: call(poster))

    # -- the one entry point ---------------------------------------------------------------------

    async def deliver_due(self, now: dt.datetime) -> Counts:
        """Post every prompt and reveal due at `now` that nobody has claimed; record skips."""
        async with self._lock:  # one pass at a time per process; other processes are kept out by claims
            counts = Counts()
            jobs = await self._recover(now)
            jobs += await self._claim_prompts(now, counts)
            await self._post_all(jobs, now, counts)
            await self._post_all(await self._claim_reveals(now), now, counts)
            counts.reminders += await self._reminders(now)
            return counts

    async def _reminders(self, now: dt.datetime) -> int:
        """Certification expiry reminders (bot.paths), claimed once each by their own keys."""
        hook = self.svc.extras.get(REMINDERS_HOOK)
        if hook is not None:
            return int(await hook(self.svc, now))
        try:
            from bot.paths.reminders import deliver_reminders
        except ImportError:
            return 0
        posters = self.svc.extras.get("posters") or {}
        sent = await deliver_reminders(self.svc, posters, now)
        return sum(1 for delivered in sent if delivered.result.ok)

    async def preview(self, schedule: Schedule, now: dt.datetime, *, post: bool = True) -> tuple[int, PostResult]:
        """Claim and post one prompt of `schedule` now, outside its cron; its reveal follows as usual.

        With `post=False` the caller shows the prompt itself (as a command reply) and it is only
        recorded as posted, without a message id to edit.
        """
        async with self.svc.engine.begin() as conn:
            job = await self._claim_prompt(conn, schedule, f"preview:{schedule.id}:{now.isoformat()}", now, now)
        if job is None:
            raise LookupError("no question matches this schedule")
        if not post:
            async with self.svc.engine.begin() as conn:
                await self._mark_posted(conn, job.id, "prompt", "", now, schedule.id)
            return job.id, PostResult(PostOutcome.OK)
        return job.id, await self._post(job, now, Counts())

    # -- prompts ---------------------------------------------------------------------------------

    async def _claim_prompts(self, now: dt.datetime, counts: Counts) -> list[Job]:
        jobs: list[Job] = []
        async with self.svc.engine.begin() as conn:
            for schedule in await schedule_store.active(conn):
                last = (
                    await conn.execute(
                        select(func.max(schedule_deliveries.c.due_at)).where(
                            (schedule_deliveries.c.schedule_id == schedule.id)
                            & (schedule_deliveries.c.kind == "prompt")
                            & ~schedule_deliveries.c.key.like("preview:%")
                        )
                    )
                ).scalar_one_or_none()
                since = max(schedule.active_from, now - LOOKBACK, *([last] if last else []))
                try:
                    trigger = make_trigger(schedule.cron, schedule.timezone)
                except Exception:
                    log.exception("schedule %s has an unusable cron %r", schedule.id, schedule.cron)
                    continue
                fires = occurrences(trigger, since, now)
                if not fires:
                    continue
                latest = fires[-1]
                for fire in fires:
                    key = prompt_key(schedule.id, fire, schedule.timezone)
                    if fire == latest and now - fire <= self.grace:
                        job = await self._claim_prompt(conn, schedule, key, fire, now)
                        if job is not None:
                            jobs.append(job)
                    elif await self._record_skip(conn, schedule, key, fire, now):
                        counts.skipped += 1
                        log.info("schedule %s: skipped %s (missed by more than the grace window)", schedule.id, key)
        return jobs

    async def _claim_prompt(
        self, conn: AsyncConnection, schedule: Schedule, key: str, due: dt.datetime, now: dt.datetime
    ) -> Job | None:
        question = await pick_question(conn, self.svc, schedule, key)
        if question is None:
            log.warning("schedule %s: no question matches exam/domain/difficulty; nothing posted", schedule.id)
            return None
        nonce = nonce_for(key)
        new_id = await insert_claim(conn, self._row(schedule, key, "prompt", question.id, due, now, nonce, "claimed"))
        if new_id is None:
            return None
        return Job(new_id, key, "prompt", schedule.platform, schedule.workspace, schedule.channel, schedule.id, nonce)

    async def _record_skip(
        self, conn: AsyncConnection, schedule: Schedule, key: str, due: dt.datetime, now: dt.datetime
    ) -> bool:
        row = self._row(schedule, key, "prompt", "", due, now, nonce_for(key), "skipped")
        row["detail"] = "missed while the bot was down, outside the grace window"
        return await insert_claim(conn, row) is not None

    @staticmethod
    def _row(
        schedule: Schedule,
        key: str,
        kind: str,
        question_id: str,
        due: dt.datetime,
        now: dt.datetime,
        nonce: str,
        state: str,
    ) -> dict[str, Any]:
        return {
            "key": key,
            "kind": kind,
            "schedule_id": schedule.id,
            "platform": schedule.platform,
            "workspace": schedule.workspace,
            "channel": schedule.channel,
            "exam": schedule.exam,
            "question_id": question_id,
            "due_at": due,
            "state": state,
            "nonce": nonce,
            "claimed_at": now,
        }

    # -- reveals ---------------------------------------------------------------------------------

    async def _claim_reveals(self, now: dt.datetime) -> list[Job]:
        reveal = schedule_deliveries.alias("reveal")
        jobs: list[Job] = []
        async with self.svc.engine.begin() as conn:
            due = (
                (
                    await conn.execute(
                        select(schedule_deliveries)
                        .outerjoin(reveal, reveal.c.prompt_id == schedule_deliveries.c.id)
                        .where(
                            (schedule_deliveries.c.kind == "prompt")
                            & (schedule_deliveries.c.state == "posted")
                            & (schedule_deliveries.c.reveal_at <= now)
                            & reveal.c.id.is_(None)
                        )
                        .order_by(schedule_deliveries.c.reveal_at)
                    )
                )
                .mappings()
                .all()
            )
            for prompt in due:
                key = f"r:{prompt['id']}"
                values = {
                    name: prompt[name]
                    for name in ("schedule_id", "platform", "workspace", "channel", "exam", "question_id")
                }
                nonce = nonce_for(key)
                new_id = await insert_claim(
                    conn,
                    {
                        **values,
                        "key": key,
                        "kind": "reveal",
                        "prompt_id": prompt["id"],
                        "due_at": prompt["reveal_at"],
                        "state": "claimed",
                        "nonce": nonce,
                        "claimed_at": now,
                    },
                )
                if new_id is not None:
                    jobs.append(
                        Job(
                            new_id,
                            key,
                            "reveal",
                            prompt["platform"],
                            prompt["workspace"],
                            prompt["channel"],
                            prompt["schedule_id"],
                            nonce,
                        )
                    )
        return jobs

    # -- crash recovery --------------------------------------------------------------------------

    async def _recover(self, now: dt.datetime) -> list[Job]:
        """Claims left behind by a process that died; each taken over by exactly one process."""
        jobs: list[Job] = []
        async with self.svc.engine.begin() as conn:
            stale = (
                (
                    await conn.execute(
                        select(schedule_deliveries).where(
                            (schedule_deliveries.c.state == "claimed")
                            & (schedule_deliveries.c.claimed_at < now - self.lease)
                        )
                    )
                )
                .mappings()
                .all()
            )
            for row in stale:
                taken = await conn.execute(
                    update(schedule_deliveries)
                    .where(
                        (schedule_deliveries.c.id == row["id"])
                        & (schedule_deliveries.c.claimed_at == row["claimed_at"])
                    )
                    .values(claimed_at=now)
                )
                if not taken.rowcount:
                    continue  # another process took it over first
                if row["message_id"]:
                    await self._mark_posted(conn, row["id"], row["kind"], row["message_id"], now, row["schedule_id"])
                    continue
                limit = self.grace if row["kind"] == "prompt" else REVEAL_RETRY
                if now - row["due_at"] > limit:
                    await conn.execute(
                        update(schedule_deliveries)
                        .where(schedule_deliveries.c.id == row["id"])
                        .values(state="failed", detail=f"not posted within {limit} of its time")
                    )
                    continue
                jobs.append(
                    Job(
                        row["id"],
                        row["key"],
                        row["kind"],
                        row["platform"],
                        row["workspace"],
                        row["channel"],
                        row["schedule_id"],
                        row["nonce"],
                    )
                )
        return jobs

    # -- posting ---------------------------------------------------------------------------------

    async def _post_all(self, jobs: list[Job], now: dt.datetime, counts: Counts) -> None:
        gate = asyncio.Semaphore(FAN_OUT)

        async def one(job: Job) -> None:
            async with gate:
                await self._post(job, now, counts)

        await asyncio.gather(*(one(job) for job in jobs))

    async def _post(self, job: Job, now: dt.datetime, counts: Counts) -> PostResult:
        from bot.schedule.prompts import build_prompt, build_reveal, close_prompt, feed_practice

        try:
            if job.kind == "prompt":
                reply = await build_prompt(self.svc, job.id, now)
            else:
                reply, answers = await build_reveal(self.svc, job.id)
                await feed_practice(self.svc, job.id, answers, now)
        except Exception:
            log.exception("building %s %s failed", job.kind, job.key)
            await self._finish(job, PostResult(PostOutcome.FAILED, detail="could not build the message"), now)
            counts.failed += 1
            return PostResult(PostOutcome.FAILED)
        result = await self.send(
            job.platform,
            job.channel,
            lambda poster: poster.post(job.workspace, job.channel, reply, nonce=job.nonce),
        )
        await self._finish(job, result, now)
        if result.ok:
            counts.posted.append((job.kind, job.channel))
            if job.kind == "prompt":
                counts.prompts += 1
            else:
                counts.reveals += 1
                await close_prompt(self, job.id)
        else:
            counts.failed += 1
        return result

    async def _finish(self, job: Job, result: PostResult, now: dt.datetime) -> None:
        paused = None
        async with self.svc.engine.begin() as conn:
            if result.ok:
                await self._mark_posted(conn, job.id, job.kind, result.message_id or "", now, job.schedule_id)
            elif result.permanent:
                await conn.execute(
                    update(schedule_deliveries)
                    .where(schedule_deliveries.c.id == job.id)
                    .values(state="failed", detail=_describe(result))
                )
                if result.permanent and job.schedule_id is not None:
                    if await schedule_store.record_failure(conn, job.schedule_id, self.pause_after, _describe(result)):
                        paused = await schedule_store.get(conn, job.schedule_id)
            else:
                # Rate limited after every retry, or a passing failure: leave the claim, so it is
                # taken over and retried after the lease (prompts within the grace window only).
                await conn.execute(
                    update(schedule_deliveries)
                    .where(schedule_deliveries.c.id == job.id)
                    .values(detail=_describe(result))
                )
        if paused is not None:
            log.warning("schedule %s paused: %s", paused.id, paused.pause_reason)
            await self._tell_creator(paused)

    async def _mark_posted(
        self,
        conn: AsyncConnection,
        delivery_id: int,
        kind: str,
        message_id: str,
        now: dt.datetime,
        schedule_id: int | None,
    ) -> None:
        values: dict[str, Any] = {"state": "posted", "message_id": message_id or None, "posted_at": now}
        if kind == "prompt":
            minutes = 12 * 60
            if schedule_id is not None:
                found = await schedule_store.get(conn, schedule_id)
                minutes = found.reveal_minutes if found else minutes
            values["reveal_at"] = now + dt.timedelta(minutes=minutes)
        await conn.execute(update(schedule_deliveries).where(schedule_deliveries.c.id == delivery_id).values(**values))
        if schedule_id is not None:
            await schedule_store.record_success(conn, schedule_id)

    async def _tell_creator(self, schedule: Schedule) -> None:
        poster = self.poster(schedule.platform)
        if poster is None:
            return
        reply = texts.paused_dm(schedule.id, schedule.channel, schedule.pause_reason or "")
        result = await poster.direct_message(schedule.workspace, schedule.created_by, reply)
        if not result.ok:
            log.warning("could not tell %s that schedule %s was paused: %s", schedule.created_by, schedule.id, result)

    async def next_reveal(self) -> dt.datetime | None:
        """When the earliest pending reveal falls due, for APScheduler's next wake-up."""
        reveal = schedule_deliveries.alias("reveal")
        async with self.svc.engine.connect() as conn:
            return (
                await conn.execute(
                    select(func.min(schedule_deliveries.c.reveal_at))
                    .outerjoin(reveal, reveal.c.prompt_id == schedule_deliveries.c.id)
                    .where(
                        and_(
                            schedule_deliveries.c.kind == "prompt",
                            schedule_deliveries.c.state == "posted",
                            reveal.c.id.is_(None),
                        )
                    )
                )
            ).scalar_one_or_none()


def _describe(result: PostResult) -> str:
    words = {
        PostOutcome.MISSING_ACCESS: "the bot may not post in this channel",
        PostOutcome.UNKNOWN_CHANNEL: "the channel no longer exists",
        PostOutcome.ARCHIVED: "the channel is archived",
        PostOutcome.RATE_LIMITED: "still rate limited after several retries",
        PostOutcome.FAILED: "posting failed",
    }
    text = words.get(result.outcome, str(result.outcome))
    return f"{text} ({result.detail})" if result.detail else text


__all__ = ["Counts", "Deliverer", "insert_claim", "nonce_for", "pick_question", "prompt_answers", "prompt_key"]
