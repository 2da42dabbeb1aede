"""Claim-once delivery of scheduled prompts and their reveals.

Every delivery is first claimed by inserting a row under a unique key: `p:<schedule>:<local date and
wall-clock time>` for a prompt, `r:<prompt>` for its reveal, `d:<channel>:<ISO week>` for a weekly
digest (`bot.schedule.digest`), so a channel's digest is posted once a week whichever schedule fires.
Only the caller whose insert went in posts. That one rule makes a restart, a second process on the
same database (SQLite or PostgreSQL), APScheduler firing a repeated fall-back hour twice, and
`deliver-due` run twice all post once.

A process can die between claiming and recording the post. A claim left in `claimed` for longer than
the lease is taken over (compare-and-set on `claimed_at`); if a message id was stored it is only
marked posted, otherwise it is posted again with the same nonce, which Discord uses to drop the
duplicate. Slack has no nonce: there the retried post is first looked for in the channel's history by
the delivery named in its metadata (`Sender.post`, `FindsEarlierPosts`), and only posted if not found.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.errors import Conflict, NotFound
from bot.schedule import texts
from bot.schedule.cron import make_trigger, occurrences, wall_key
from bot.schedule.digest import build_digest, digest_key
from bot.schedule.picking import Pools, pick_question
from bot.schedule.ports import KnowsItsIds, PostOutcome, PostResult
from bot.schedule.prompts import DEFAULT_REVEAL_MINUTES, build_prompt, build_reveal, close_prompt, feed_practice
from bot.schedule.sending import Sender
from bot.services import Services
from bot.store import deliveries as outbox
from bot.store import schedules as schedule_store
from bot.store.claims import restored_at
from bot.store.db import pool_capacity, reading
from bot.store.deliveries import Delivery
from bot.store.schedules import Schedule
from bot.words import plural

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=2)
LOOKBACK = dt.timedelta(days=8)  # how far back a start-up looks for missed prompts to record
REVEAL_RETRY = dt.timedelta(hours=24)  # a reveal that keeps failing is given up after this
DIGEST_GRACE = dt.timedelta(hours=24)  # a weekly digest is still worth posting this late (a day's outage)
PAUSE_AFTER = 3  # permanent failures in a row before a schedule is paused
FAN_OUT = 256  # posts in flight at once; the rate limiter decides when each actually goes
POOL_RESERVE = 3  # connections of a pool left to commands and presses while a pass posts
CLAIM_CHUNK = 50  # schedules claimed per write transaction (a few milliseconds of SQLite's write lock)
LOOKUP_CHUNK = 500  # schedules whose last run one query looks up

DeliveryJob = Callable[[dt.datetime], Awaitable[int]]
"""Another feature's share of a delivery run (expiry reminders): given the time, returns how many it sent."""


@dataclass(frozen=True)
class Skip:
    """A scheduled prompt that was not posted, and why: what `deliver-due` tells the operator."""

    schedule_id: int
    channel: str
    due: dt.datetime
    timezone: str
    reason: str


@dataclass
class Counts:
    prompts: int = 0
    reveals: int = 0
    reminders: int = 0
    digests: int = 0
    skipped: int = 0
    posted: list[tuple[str, str]] = field(default_factory=list)  # (kind, channel) in order
    skips: list[Skip] = field(default_factory=list)
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, channel, why) not posted

    @property
    def failed(self) -> int:
        return len(self.failures)

    def summary(self) -> str:
        """What one run delivered, in words: "1 prompt, 0 reveals, 0 reminders, 0 digests, 0 skipped"."""
        return ", ".join(
            [
                plural(self.prompts, "prompt"),
                plural(self.reveals, "reveal"),
                plural(self.reminders, "reminder"),
                plural(self.digests, "digest"),
                f"{self.skipped:,} skipped",
            ]
        )

    def as_json(self) -> dict[str, int]:
        return {
            "prompts": self.prompts,
            "reveals": self.reveals,
            "reminders": self.reminders,
            "digests": self.digests,
            "skipped": self.skipped,
        }


def nonce_for(key: str) -> str:
    """A Discord nonce (at most 25 characters) that is the same for every retry of one delivery."""
    return hashlib.sha256(key.encode()).hexdigest()[:25]


def prompt_key(schedule_id: int, fire: dt.datetime, zone: str) -> str:
    return f"p:{schedule_id}:{wall_key(fire, zone)}"


def run_key(schedule: Schedule, fire: dt.datetime) -> str:
    """The claim key of one run of a schedule of either kind."""
    if schedule.kind == "digest":
        return digest_key(schedule.platform, schedule.workspace, schedule.channel, fire, schedule.timezone)
    return prompt_key(schedule.id, fire, schedule.timezone)


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
    retry_since: dt.datetime | None = None  # a claim taken over: an earlier attempt may have gone out since then

    @classmethod
    def retry(cls, row: Delivery) -> Job:
        """A stale claim taken over; its due time bounds where a platform looks for an earlier post."""
        return cls(
            row.id, row.key, row.kind, row.platform, row.workspace, row.channel, row.schedule_id, row.nonce, row.due_at
        )


class Deliverer:
    """Delivers whatever is due, once; shared by the scheduler's wake-ups and `deliver-due`."""

    def __init__(
        self,
        svc: Services,
        sender: Sender,
        *,
        jobs: Sequence[DeliveryJob] = (),
        lease: dt.timedelta = LEASE,
        pause_after: int = PAUSE_AFTER,
    ) -> None:
        self.svc = svc
        self.sender = sender
        self.jobs = tuple(jobs)
        self.lease = lease
        self.pause_after = pause_after
        self._lock = asyncio.Lock()
        self._database = asyncio.Semaphore(self.database_slots)
        self._restored: dt.datetime | None = None  # when the database was put back from a backup, per pass

    @property
    def grace(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.svc.settings.grace_minutes)

    # -- the one entry point ---------------------------------------------------------------------

    async def deliver_due(self, now: dt.datetime) -> Counts:
        """Post every prompt and reveal due at `now` that nobody has claimed; record skips.

        Prompts are claimed a chunk at a time and each chunk starts posting as soon as its claims
        commit, so the first post of a big minute goes out while later chunks are still being claimed,
        and no transaction holds SQLite's write lock for more than one chunk's inserts."""
        async with self._lock:  # one pass at a time per process; other processes are kept out by claims
            counts = Counts()
            async with reading(self.svc.engine) as conn:
                active = [s for s in await schedule_store.active(conn) if self.svc.owns(s.platform, s.workspace)]
                self._restored = await restored_at(conn)
            prompts = [s for s in active if s.kind != "digest"]
            digests = [s for s in active if s.kind == "digest"]
            posting = _Posting(self, now, counts)
            try:
                posting.start(await self._recover(now))
                async for jobs in self._claim_prompts(prompts, now, counts):
                    posting.start(jobs)
            finally:
                await posting.finish()
            posting = _Posting(self, now, counts)
            try:
                posting.start(await self._claim_reveals(now))
            finally:
                await posting.finish()
            # Digests last: a reveal due now records its prompt's answers, which this week's digest counts.
            posting = _Posting(self, now, counts)
            try:
                async for jobs in self._claim_prompts(digests, now, counts):
                    posting.start(jobs)
            finally:
                await posting.finish()
            for job in self.jobs:
                counts.reminders += await job(now)
            return counts

    @property
    def database_slots(self) -> int:
        """Posts that may use the database at once. Each holds a connection only briefly (building the
        message, recording it), but a pool-backed engine must never be asked for more connections than
        it has while commands and presses need some too."""
        capacity = pool_capacity(self.svc.engine)
        return FAN_OUT if capacity is None else max(1, capacity - POOL_RESERVE)

    async def preview(self, schedule: Schedule, now: dt.datetime, *, post: bool = True) -> tuple[int, PostResult]:
        """Claim and post one prompt of `schedule` now, outside its cron; its reveal follows as usual.

        With `post=False` the caller shows the prompt itself (as a command reply) and it is only
        recorded as posted, without a message id to edit.
        """
        counts = Counts()
        async with self.svc.engine.begin() as conn:
            job = await self._claim_prompt(conn, schedule, f"preview:{schedule.id}:{now.isoformat()}", now, now, counts)
        if job is None and counts.skips:
            raise NotFound(
                f"Schedule #{schedule.id} has nothing to preview: {counts.skips[0].reason}.",
                "Widen its domain or difficulty with `/studyadmin schedule edit`.",
            )
        if job is None:  # the claim of this very instant is taken: a preview pressed twice at once
            raise Conflict(f"Schedule #{schedule.id} was previewed this very moment.", "Try again in a moment.")
        if not post:
            async with self.svc.engine.begin() as conn:
                await self._mark_posted(conn, job.id, "prompt", "", now, schedule.id)
            return job.id, PostResult(PostOutcome.OK)
        return job.id, await self._post(job, now, Counts())

    # -- prompts ---------------------------------------------------------------------------------

    async def _claim_prompts(
        self, active: Sequence[Schedule], now: dt.datetime, counts: Counts
    ) -> AsyncIterator[list[Job]]:
        """The runs of `active` schedules due at `now`, claimed `CLAIM_CHUNK` schedules at a time.

        One read finds the schedules with runs due (each schedule's last run in lookups of
        `LOOKUP_CHUNK`, cron times worked out once per pass), so a pass with nothing due costs that
        read and no more. Each chunk of due schedules then picks its questions in a read transaction
        (which takes no lock) and claims them in its own short write transaction; the caller posts a
        chunk's prompts while the next is read. A claim that another process won in between is simply
        not ours: the unique key decides."""
        if not active:
            return
        async with reading(self.svc.engine) as conn:
            lasts: dict[int, dt.datetime] = {}
            for start in range(0, len(active), LOOKUP_CHUNK):
                chunk = [s.id for s in active[start : start + LOOKUP_CHUNK]]
                lasts.update(await outbox.last_prompt_dues(conn, chunk, now))
        runs = _Runs()
        due: list[tuple[Schedule, list[dt.datetime]]] = []
        for schedule in active:
            last = lasts.get(schedule.id)
            since = max(schedule.active_from, now - LOOKBACK, *([last] if last else []))
            try:
                fires = runs.between(schedule.cron, schedule.timezone, since, now)
            except Exception:
                log.exception("schedule %s has an unusable cron %r", schedule.id, schedule.cron)
                counts.skips.append(
                    Skip(schedule.id, schedule.channel, now, schedule.timezone, "its cron cannot be read")
                )
                continue
            if fires:
                due.append((schedule, fires))
        pools: Pools = {}
        for start in range(0, len(due), CLAIM_CHUNK):
            planned = await self._plan(due[start : start + CLAIM_CHUNK], now, counts, pools)
            if planned:
                yield await self._claim(planned, now, counts)

    async def _plan(
        self, chunk: Sequence[tuple[Schedule, list[dt.datetime]]], now: dt.datetime, counts: Counts, pools: Pools
    ) -> list[_Planned]:
        """Per schedule of the chunk: the latest run within the grace window to post, with its
        question; every earlier run, or a latest one past the grace window, to record as skipped,
        with why."""
        planned: list[_Planned] = []
        async with reading(self.svc.engine) as conn:
            for schedule, fires in chunk:
                digest = schedule.kind == "digest"
                grace = max(self.grace, DIGEST_GRACE) if digest else self.grace
                window = "a day's" if digest else f"the {int(grace.total_seconds() // 60)}-minute"
                for fire in fires:
                    key = run_key(schedule, fire)
                    if fire == fires[-1] and self._before_restore(fire):
                        # Its post may have gone out after the backup was taken: the restored database
                        # cannot know, so it is reported rather than risk posting it twice.
                        why = "due before the database was restored from a backup (it may have gone out already)"
                        planned.append(_Planned(schedule, key, fire, None, why))
                    elif fire == fires[-1] and now - fire <= grace and digest:
                        planned.append(_Planned(schedule, key, fire, "", None))  # a digest asks no question
                    elif fire == fires[-1] and now - fire <= grace:
                        picked = await pick_question(conn, self.svc, schedule, key, fire, pools)
                        if picked is None:
                            log.warning("schedule %s: no question matches exam/domain/difficulty", schedule.id)
                            why = "no question in its bank matches its exam, domain and difficulty"
                            counts.skips.append(Skip(schedule.id, schedule.channel, fire, schedule.timezone, why))
                            continue
                        planned.append(_Planned(schedule, key, fire, picked.question.id, None, picked.note))
                    else:
                        why = (
                            f"missed by more than {window} grace window"
                            if fire == fires[-1]
                            else "missed, and a later run was due as well (only the latest is posted)"
                            if now - fires[-1] <= grace
                            else "missed, and so was every later run, the latest too (nothing was posted)"
                        )
                        planned.append(_Planned(schedule, key, fire, None, why))
        return planned

    def _before_restore(self, fire: dt.datetime) -> bool:
        return self._restored is not None and fire <= self._restored

    async def _claim(self, planned: Sequence[_Planned], now: dt.datetime, counts: Counts) -> list[Job]:
        """One write transaction for a chunk's claims and skips; the jobs this process won."""
        jobs: list[Job] = []
        if not planned:
            return jobs
        async with self.svc.engine.begin() as conn:
            for plan in planned:
                schedule, key = plan.schedule, plan.key
                if plan.question_id is not None:
                    new_id = await outbox.insert_claim(
                        conn, _row(schedule, key, plan.question_id, plan.due, now, "claimed", plan.note)
                    )
                    if new_id is not None:
                        jobs.append(
                            Job(
                                new_id, key, schedule.kind, schedule.platform, schedule.workspace, schedule.channel,
                                schedule.id, nonce_for(key),
                            )
                        )  # fmt: skip
                elif await self._record_skip(conn, schedule, key, plan.due, now):
                    counts.skipped += 1
                    counts.skips.append(
                        Skip(schedule.id, schedule.channel, plan.due, schedule.timezone, plan.why or "")
                    )
                    log.info("schedule %s: skipped %s (%s)", schedule.id, key, plan.why)
        return jobs

    async def _claim_prompt(
        self, conn: Any, schedule: Schedule, key: str, due: dt.datetime, now: dt.datetime, counts: Counts
    ) -> Job | None:
        picked = await pick_question(conn, self.svc, schedule, key, due)
        if picked is None:
            log.warning("schedule %s: no question matches exam/domain/difficulty; nothing posted", schedule.id)
            why = "no question in its bank matches its exam, domain and difficulty"
            counts.skips.append(Skip(schedule.id, schedule.channel, due, schedule.timezone, why))
            return None
        nonce = nonce_for(key)
        row = _row(schedule, key, picked.question.id, due, now, "claimed", picked.note)
        new_id = await outbox.insert_claim(conn, row)
        if new_id is None:
            return None
        return Job(new_id, key, "prompt", schedule.platform, schedule.workspace, schedule.channel, schedule.id, nonce)

    async def _record_skip(self, conn: Any, schedule: Schedule, key: str, due: dt.datetime, now: dt.datetime) -> bool:
        row = _row(schedule, key, "", due, now, "skipped")
        row["detail"] = "missed while the bot was down, outside the grace window"
        return await outbox.insert_claim(conn, row) is not None

    # -- reveals ---------------------------------------------------------------------------------

    async def _claim_reveals(self, now: dt.datetime) -> list[Job]:
        jobs: list[Job] = []
        async with self.svc.engine.begin() as conn:
            for prompt in await outbox.due_reveals(conn, now):
                if not self.svc.owns(prompt.platform, prompt.workspace):
                    continue  # another process's shard: its reveal is that process's to post
                key = f"r:{prompt.id}"
                new_id = await outbox.insert_claim(
                    conn,
                    {
                        "schedule_id": prompt.schedule_id,
                        "platform": prompt.platform,
                        "workspace": prompt.workspace,
                        "channel": prompt.channel,
                        "exam": prompt.exam,
                        "question_id": prompt.question_id,
                        "key": key,
                        "kind": "reveal",
                        "prompt_id": prompt.id,
                        "due_at": prompt.reveal_at,
                        "state": "claimed",
                        "nonce": nonce_for(key),
                        "claimed_at": now,
                    },
                )
                if new_id is not None:
                    jobs.append(
                        Job(
                            new_id,
                            key,
                            "reveal",
                            prompt.platform,
                            prompt.workspace,
                            prompt.channel,
                            prompt.schedule_id,
                            nonce_for(key),
                        )
                    )
        return jobs

    # -- crash recovery --------------------------------------------------------------------------

    async def _recover(self, now: dt.datetime) -> list[Job]:
        """Claims left behind by a process that died; each taken over by exactly one process."""
        jobs: list[Job] = []
        async with self.svc.engine.begin() as conn:
            for row in await outbox.stale_claims(conn, now - self.lease):
                if not self.svc.owns(row.platform, row.workspace):
                    continue  # left to a process serving that workspace
                if not await outbox.take_over(conn, row, now):
                    continue  # another process took it over first
                if row.message_id:
                    await self._mark_posted(conn, row.id, row.kind, row.message_id, now, row.schedule_id)
                    continue
                limit = {"prompt": self.grace, "digest": max(self.grace, DIGEST_GRACE)}.get(row.kind, REVEAL_RETRY)
                if now - row.due_at > limit:
                    await outbox.mark_failed(conn, row.id, f"not posted within {limit} of its time")
                    continue
                jobs.append(Job.retry(row))
        return jobs

    # -- posting ---------------------------------------------------------------------------------

    async def _post(self, job: Job, now: dt.datetime, counts: Counts) -> PostResult:
        """Build, record and send one delivery. The database work before and after the send runs under
        `_database`, so however many posts wait on the rate limiter, only a bounded number use a
        connection at once; the send itself holds none."""
        async with self._database:
            try:
                if job.kind == "prompt":
                    reply = await build_prompt(self.svc, job.id, now)
                elif job.kind == "digest":
                    reply = await build_digest(self.svc, job.id)
                else:
                    reply, answers = await build_reveal(self.svc, job.id)
                    await feed_practice(self.svc, job.id, answers, now)
            except Exception:
                log.exception("building %s %s failed", job.kind, job.key)
                await self._finish(job, PostResult(PostOutcome.FAILED, detail="could not build the message"), now)
                counts.failures.append((job.kind, job.channel, "could not build the message (see the log)"))
                return PostResult(PostOutcome.FAILED)
            poster = self.sender.poster(job.platform)
            recorded = isinstance(poster, KnowsItsIds)
            if isinstance(poster, KnowsItsIds):
                # Recorded before it is sent: a crash after this line loses the post, never doubles it.
                async with self.svc.engine.begin() as conn:
                    await self._mark_posted(conn, job.id, job.kind, poster.planned_id(job.nonce), now, job.schedule_id)
        result = await self.sender.post(
            job.platform, job.workspace, job.channel, reply, nonce=job.nonce, retry_since=job.retry_since
        )
        async with self._database:
            await self._finish(job, result, now, recorded=recorded)
            if result.ok:
                counts.posted.append((job.kind, job.channel))
                if job.kind == "prompt":
                    counts.prompts += 1
                elif job.kind == "digest":
                    counts.digests += 1
                else:
                    counts.reveals += 1
                    await close_prompt(self.svc, self.sender, job.id)
            else:
                counts.failures.append((job.kind, job.channel, result.detail or result.outcome.value))
        return result

    async def _finish(self, job: Job, result: PostResult, now: dt.datetime, *, recorded: bool = False) -> None:
        paused = None
        async with self.svc.engine.begin() as conn:
            if result.ok:
                if not recorded:
                    await self._mark_posted(conn, job.id, job.kind, result.message_id or "", now, job.schedule_id)
                return
            if recorded:
                await outbox.reopen(conn, job.id)  # recorded first, but it did not go out: claimed again
            if result.permanent:
                await outbox.mark_failed(conn, job.id, _describe(result))
                if job.schedule_id is not None:
                    if await schedule_store.record_failure(conn, job.schedule_id, self.pause_after, _describe(result)):
                        paused = await schedule_store.get(conn, job.schedule_id)
            else:
                # Rate limited after every retry, or a passing failure: leave the claim, so it is
                # taken over and retried after the lease (prompts within the grace window only).
                await outbox.note(conn, job.id, _describe(result))
        if paused is not None:
            log.warning("schedule %s paused: %s", paused.id, paused.pause_reason)
            await self._tell_creator(paused)

    async def _mark_posted(
        self, conn: Any, delivery_id: int, kind: str, message_id: str, now: dt.datetime, schedule_id: int | None
    ) -> None:
        reveal_at = None
        if kind == "prompt":
            minutes = DEFAULT_REVEAL_MINUTES
            if schedule_id is not None:
                found = await schedule_store.get(conn, schedule_id)
                minutes = found.reveal_minutes if found else minutes
            reveal_at = now + dt.timedelta(minutes=minutes)
        await outbox.mark_posted(conn, delivery_id, message_id, now, reveal_at)
        if schedule_id is not None:
            await schedule_store.record_success(conn, schedule_id)

    async def _tell_creator(self, schedule: Schedule) -> None:
        poster = self.sender.poster(schedule.platform)
        if poster is None:
            return
        reply = texts.paused_dm(schedule.id, schedule.channel, schedule.pause_reason or "")
        result = await poster.direct_message(schedule.workspace, schedule.created_by, reply)
        if not result.ok:
            log.warning("could not tell %s that schedule %s was paused: %s", schedule.created_by, schedule.id, result)

    async def next_reveal(self) -> dt.datetime | None:
        """When the scheduler must wake besides the schedules' own times: the earliest pending reveal,
        or the moment a claim left open (a process died while posting) passes its lease and can be
        taken over, whichever comes first."""
        async with reading(self.svc.engine) as conn:
            if self.svc.owns.everything:
                reveal = await outbox.next_reveal_at(conn)
                claimed = await outbox.oldest_open_claim(conn)
            else:  # waking for another process's reveal or claim would find nothing to do, at once, again
                ahead = self.svc.clock.now() + dt.timedelta(days=3650)
                mine = [d for d in await outbox.due_reveals(conn, ahead) if self.svc.owns(d.platform, d.workspace)]
                reveal = min((d.reveal_at for d in mine if d.reveal_at), default=None)
                open_ = await outbox.stale_claims(conn, ahead)
                claimed = min((d.claimed_at for d in open_ if self.svc.owns(d.platform, d.workspace)), default=None)
        times = [t for t in (reveal, claimed + self.lease + dt.timedelta(seconds=1) if claimed else None) if t]
        return min(times) if times else None


class _Runs:
    """Cron run times for one pass. Thousands of schedules share a handful of crons and, once they have
    posted, the same last run, so each (cron, zone, since) is worked out once per pass; an idle pass
    then costs a lookup per schedule instead of a cron walk."""

    def __init__(self) -> None:
        self._triggers: dict[tuple[str, str], Any] = {}
        self._between: dict[tuple[str, str, dt.datetime, dt.datetime], list[dt.datetime]] = {}

    def between(self, cron: str, zone: str, since: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
        """Run times in (since, until], in UTC; raises as `make_trigger` does for an unusable cron."""
        key = (cron, zone, since, until)
        found = self._between.get(key)
        if found is None:
            trigger = self._triggers.get((cron, zone))
            if trigger is None:
                trigger = self._triggers[(cron, zone)] = make_trigger(cron, zone)
            found = self._between[key] = occurrences(trigger, since, until)
        return found


@dataclass(frozen=True, slots=True)
class _Planned:
    """One fire of a schedule as a chunk plans it: claimed with `question_id`, or skipped for `why`."""

    schedule: Schedule
    key: str
    due: dt.datetime
    question_id: str | None
    why: str | None
    note: str | None = None  # the prompt's domain and why its focus drew it, shown at the reveal


class _Posting:
    """The posts of one pass, started as their claims commit, at most `FAN_OUT` at once (the rate limiter
    decides when each goes; `Deliverer._database` bounds their use of the database)."""

    def __init__(self, deliverer: Deliverer, now: dt.datetime, counts: Counts) -> None:
        self.deliverer = deliverer
        self.now = now
        self.counts = counts
        self.gate = asyncio.Semaphore(FAN_OUT)
        self.tasks: list[asyncio.Task[None]] = []

    def start(self, jobs: Sequence[Job]) -> None:
        self.tasks.extend(asyncio.create_task(self._one(job), name=f"post-{job.key}") for job in jobs)

    async def _one(self, job: Job) -> None:
        async with self.gate:
            await self.deliverer._post(job, self.now, self.counts)

    async def finish(self) -> None:
        """Wait for every post started, then raise the first failure, as `gather` would, but only once
        none of the others is left running."""
        results = await asyncio.gather(*self.tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result


def _row(
    schedule: Schedule,
    key: str,
    question_id: str,
    due: dt.datetime,
    now: dt.datetime,
    state: str,
    note: str | None = None,
) -> dict[str, Any]:
    return {
        "focus_note": note,
        "key": key,
        "kind": schedule.kind,
        "schedule_id": schedule.id,
        "platform": schedule.platform,
        "workspace": schedule.workspace,
        "channel": schedule.channel,
        "exam": schedule.exam,
        "question_id": question_id,
        "due_at": due,
        "state": state,
        "nonce": nonce_for(key),
        "claimed_at": now,
    }


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


__all__ = ["Counts", "Deliverer", "DeliveryJob", "nonce_for", "prompt_key"]
