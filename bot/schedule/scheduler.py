"""APScheduler 3.x as an alarm clock over the schedules in the database.

The database is the source of truth. AsyncIOScheduler (in-memory job store) only decides *when* to
wake up: one date job at the earliest next run of any active schedule (each read in its own timezone
by its cron trigger), one date job for the next pending reveal, and a periodic resync so a change made
by another process is picked up. One wake-up serves every schedule due that minute: with a job per
schedule, 3,000 schedules due at 09:00 meant 3,000 wake-ups, each scanning every schedule under the
write lock, for about two hours. Every wake-up runs the same `Deliverer.deliver_due`, whose database
claims make a double wake-up (two processes, a repeated fall-back hour) harmless. APScheduler's own
persistent store is not used: it pickles jobs through a blocking engine and cannot be shared between
processes (platform-limits §3.3).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from types import TracebackType

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.schedule.counts import CountUpdater
from bot.schedule.cron import make_trigger
from bot.schedule.deliveries import Counts, Deliverer, DeliveryJob
from bot.schedule.ports import PostResult
from bot.schedule.sending import Sender
from bot.services import Services
from bot.store import schedules as schedule_store
from bot.store.db import reading
from bot.store.schedules import Schedule

log = logging.getLogger(__name__)

RESYNC = dt.timedelta(minutes=1)


class ScheduleService:
    """The deliverer, the live-count updater and (when started) the APScheduler wake-ups."""

    def __init__(self, svc: Services, *, jobs: Sequence[DeliveryJob] = ()) -> None:
        self.svc = svc
        self.sender = Sender(svc.posters, metrics=svc.metrics)
        self.deliverer = Deliverer(svc, self.sender, jobs=jobs)
        self.counts = CountUpdater(svc, self.sender)
        self._scheduler: AsyncIOScheduler | None = None
        self._fingerprint: tuple[object, ...] = ()
        self._triggers: list[CronTrigger] = []
        self._planned: dt.datetime | None = None  # the run time of the current "due" job

    async def preview(self, schedule: Schedule, now: dt.datetime, *, post: bool = True) -> tuple[int, PostResult]:
        return await self.deliverer.preview(schedule, now, post=post)

    def touch(self, delivery_id: int) -> None:
        """A member answered a group prompt: refresh its "N answered"."""
        self.counts.touch(delivery_id)

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    async def deliver_due(self, now: dt.datetime | None = None) -> Counts:
        counts = await self.deliverer.deliver_due(now or self.svc.clock.now())
        await self.counts.flush()
        return counts

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> Counts:
        """Catch up on what fell due while down (within the grace window), then start the wake-ups."""
        counts = await self.deliver_due()
        self._scheduler = AsyncIOScheduler(
            timezone=dt.UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": self.svc.settings.grace_minutes * 60,
            },
        )
        await self.rebuild()
        self._scheduler.start()
        log.info("scheduler started; at start: %s", counts.as_json())
        return counts

    async def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        await self.counts.flush()

    async def __aenter__(self) -> ScheduleService:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- jobs --------------------------------------------------------------------------------------

    async def changed(self) -> None:
        """Called by the admin commands after every change to a schedule."""
        if self._scheduler is not None:
            await self.rebuild()

    async def rebuild(self) -> None:
        """Replace every job with ones built from the database as it is now."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        async with reading(self.svc.engine) as conn:
            active = await schedule_store.active(conn)
        self._fingerprint = tuple((s.id, s.cron, s.timezone, s.updated_at) for s in active)
        triggers: list[CronTrigger] = []
        for schedule in active:
            try:
                triggers.append(make_trigger(schedule.cron, schedule.timezone))
            except Exception:
                log.exception("schedule %s has an unusable cron %r; not scheduled", schedule.id, schedule.cron)
        self._triggers = triggers
        scheduler.remove_all_jobs()
        scheduler.add_job(self._resync, IntervalTrigger(seconds=RESYNC.total_seconds()), id="resync")
        self._plan_due()
        await self._plan_reveal()

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self._scheduler.get_jobs()) if self._scheduler else []

    def next_due(self) -> dt.datetime | None:
        """When the one schedule wake-up is set for (the earliest next run of any active schedule)."""
        return self._planned if self._scheduler is not None else None

    def _plan_due(self, served: dt.datetime | None = None) -> None:
        """One date job at the earliest next run of any schedule; each wake-up plans the next one."""
        if self._scheduler is None:
            return
        if self._scheduler.get_job("due"):
            self._scheduler.remove_job("due")
        after = self.svc.clock.now()
        if served is not None and served >= after:
            # After a wake-up, plan strictly later than the run just served, even if the clock reads
            # a moment earlier than the scheduler fired: the same minute is never planned twice.
            after = served + dt.timedelta(seconds=1)
        # In UTC: a trigger answers in its schedule's zone, and the second 02:30 of a fall-back night
        # (fold=1) plus a second, added in that zone, reads as the first one, an hour earlier.
        upcoming = [t.get_next_fire_time(None, after) for t in self._triggers]
        times = [t.astimezone(dt.UTC) for t in upcoming if t is not None]
        self._planned = min(times) if times else None
        if self._planned is not None:
            self._scheduler.add_job(self._wake_due, DateTrigger(run_date=self._planned), id="due")

    async def _wake_due(self) -> None:
        served = self._planned
        try:
            await self._wake()
        finally:
            self._plan_due(served)

    async def _plan_reveal(self) -> None:
        if self._scheduler is None:
            return
        at = await self.deliverer.next_reveal()
        if self._scheduler.get_job("reveal"):
            self._scheduler.remove_job("reveal")
        if at is not None:
            self._scheduler.add_job(self._wake, DateTrigger(run_date=max(at, self.svc.clock.now())), id="reveal")

    async def _wake(self) -> None:
        try:
            counts = await self.deliver_due()
            if counts.prompts or counts.reveals or counts.digests or counts.skipped:
                log.info("delivered: %s", counts.as_json())
        except Exception:
            log.exception("delivering due prompts failed")
        await self._plan_reveal()

    async def _resync(self) -> None:
        """Pick up schedules changed by another process sharing this database."""
        async with reading(self.svc.engine) as conn:
            active = await schedule_store.active(conn)
        if tuple((s.id, s.cron, s.timezone, s.updated_at) for s in active) != self._fingerprint:
            await self.rebuild()
            return
        if self._scheduler is not None and self._scheduler.get_job("due") is None:
            # The wake-up was dropped (the machine slept past the grace window, or its run is over
            # without a successor): plan it again, so schedules never stop until the next change.
            self._plan_due()
        await self._plan_reveal()
