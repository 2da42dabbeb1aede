"""The composition root: the one place that builds, and later closes, every resource.

`async with Runtime(settings) as rt:` opens the database (migrating it), loads the content, builds the
registry, the services and the core, then connects the platforms it was given; leaving the block
closes them in reverse order.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from types import TracebackType
from typing import Protocol

from bot.catalog import Catalog, load_catalog
from bot.catalog.ask import AskEngine
from bot.catalog.questions import QuestionIndex
from bot.clock import Clock, SystemClock
from bot.commands.dispatch import Core
from bot.features import build_registry
from bot.metrics import Metrics
from bot.paths.context import PathContext
from bot.practice.writer import AnswerWriter
from bot.schedule.ports import Poster, Posters
from bot.schedule.scheduler import ScheduleService
from bot.services import Ownership, Services
from bot.settings import Settings
from bot.store import create_engine, upgrade
from bot.store import held_out as held_out_store
from bot.store.moderators import ModeratorCache

log = logging.getLogger(__name__)

# The collector's thresholds while a runtime runs: a young generation of 50,000 allocations instead
# of 700, the older ones collected after 20 and 100 younger collections instead of 10 and 10. A burst
# of presses keeps thousands of handlers in flight at once, and with the defaults each burst of 10,000
# ran four full collections over all of them, about a third of the burst's CPU time
# (docs/benchmarks.md); almost nothing a press allocates is cyclic garbage, and what is still gets
# collected, only less often.
GC_THRESHOLDS = (50_000, 20, 100)


class Platform(Protocol):
    """A connected adapter; the runtime only needs its poster."""

    @property
    def poster(self) -> Poster: ...


PlatformFactory = Callable[[Core, Settings], AbstractAsyncContextManager[Platform]]
"""How the runtime connects an adapter once the core exists (adapters import the core, never the reverse)."""


class Runtime:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        catalog: Catalog | None = None,
        platforms: Iterable[PlatformFactory] = (),
        posters: Iterable[Poster] = (),
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        # Counted only where someone can read it: the health server's /metrics, or a test's own registry.
        if metrics is None and settings.health_port is not None:
            metrics = Metrics()
        self.metrics = metrics
        self._catalog = catalog
        self._platforms = tuple(platforms)
        self._posters = tuple(posters)
        self._stack: AsyncExitStack | None = None
        self._thresholds: tuple[int, int, int] | None = None  # the collector's, to restore on exit
        self._core: Core | None = None
        self._schedule: ScheduleService | None = None

    @property
    def core(self) -> Core:
        if self._core is None:
            raise RuntimeError("the runtime is not open; use `async with Runtime(...)`")
        return self._core

    @property
    def services(self) -> Services:
        return self.core.services

    @property
    def schedule(self) -> ScheduleService:
        """The scheduler; `async with rt.schedule:` starts its wake-ups once the platforms are connected."""
        if self._schedule is None:
            raise RuntimeError("the runtime is not open; use `async with Runtime(...)`")
        return self._schedule

    async def __aenter__(self) -> Runtime:
        catalog = self._catalog or load_catalog(self.settings.content_dir)
        stack = AsyncExitStack()
        await stack.__aenter__()
        try:
            engine = create_engine(self.settings.database_url)
            stack.push_async_callback(engine.dispose)
            await upgrade(engine)
            writer = AnswerWriter(engine, metrics=self.metrics)
            await writer.start()
            stack.push_async_callback(writer.stop)  # queued answers are recorded before the engine closes
            registry = build_registry()
            questions = QuestionIndex(catalog)
            await held_out_store.sync(engine, questions.finals)  # what review reads leave out, in SQL
            posters = Posters()
            for poster in self._posters:
                posters.add(poster)
            services = Services(
                settings=self.settings,
                engine=engine,
                catalog=catalog,
                clock=self.clock,
                questions=questions,
                ask=_ask_engine(catalog),
                paths=PathContext(catalog),
                writer=writer,
                posters=posters,
                moderators=ModeratorCache(engine),
                metrics=self.metrics,
                owns=ownership(self.settings),
            )
            jobs = [_bind(job.run, services) for job in registry.delivery_jobs]
            self._schedule = ScheduleService(services, jobs=jobs)
            services.schedule = self._schedule
            stack.push_async_callback(self._schedule.stop)
            self._core = Core(services, registry)
            stack.push_async_callback(self._core.deliveries.close)  # claims in flight end before the engine
            for connect in self._platforms:
                platform = await stack.enter_async_context(connect(self._core, self.settings))
                posters.add(platform.poster)
        except BaseException:
            await stack.__aexit__(None, None, None)
            raise
        self._stack = stack
        # Everything loaded so far (libraries, content, indexes) lives as long as the process. Moving it
        # out of the collector's reach stops each full collection from walking ~120,000 objects, which
        # under a burst of presses cost as much as the answers themselves (docs/benchmarks.md).
        gc.collect()
        gc.freeze()
        self._thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        log.info(
            "runtime ready",
            extra={"exams": len(catalog.exams), "commands": len(registry.commands), "platforms": posters.names()},
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        stack, self._stack = self._stack, None
        try:
            if stack is not None:
                await stack.__aexit__(exc_type, exc, tb)
        finally:
            self._core = None
            self._schedule = None
            gc.unfreeze()
            if self._thresholds is not None:
                gc.set_threshold(*self._thresholds)
                self._thresholds = None


def ownership(settings: Settings) -> Ownership:
    """Which workspaces this process serves: a Discord guild is its own when the guild's shard is one
    of `DISCORD_SHARD_IDS` (Discord's rule, shard = (guild id >> 22) % shard count; direct messages
    reach shard 0 only). Every other platform, and an unsharded or all-shards process, serves all."""
    shards, count = settings.discord_shards_here, settings.discord_shard_count
    if shards is None or count is None:
        return Ownership()
    here = frozenset(shards)

    def discord_guild(workspace: str) -> bool:
        guild = int(workspace) if workspace.isdigit() else 0
        return (guild >> 22) % count in here

    return Ownership({"discord": discord_guild})


_ASK_ENGINES: dict[int, tuple[Catalog, AskEngine]] = {}


def _ask_engine(catalog: Catalog) -> AskEngine:
    """One index per loaded catalog for the life of the process: content never changes once loaded,
    and a process that opens runtimes again (tests, `studybot exec` loops) need not index it again."""
    found = _ASK_ENGINES.get(id(catalog))
    if found is None or found[0] is not catalog:
        _ASK_ENGINES.clear()
        found = _ASK_ENGINES[id(catalog)] = (catalog, AskEngine(catalog))
    return found[1]


def _bind(
    run: Callable[[Services, dt.datetime], Awaitable[int]], services: Services
) -> Callable[[dt.datetime], Awaitable[int]]:
    async def job(now: dt.datetime) -> int:
        return await run(services, now)

    return job
