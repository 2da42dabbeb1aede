"""The composition root: the one place that builds, and later closes, every resource.

`async with Runtime(settings) as rt:` opens the database (migrating it), loads the content, builds the
registry and the core; leaving the block disposes of them in reverse order.
"""

from __future__ import annotations

import gc
import logging
from functools import partial
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog, load_catalog
from bot.clock import Clock, SystemClock
from bot.commands.dispatch import Core
from bot.features import build_registry, prepare
from bot.features.admin_config import is_configured_moderator
from bot.practice.writer import AnswerWriter
from bot.schedule.scheduler import ScheduleService
from bot.services import Services
from bot.settings import Settings
from bot.store import create_engine, upgrade

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, *, clock: Clock | None = None, catalog: Catalog | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self._catalog = catalog
        self._engine: AsyncEngine | None = None
        self._core: Core | None = None
        self._schedule: ScheduleService | None = None
        self._writer: AnswerWriter | None = None

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
        """The scheduler; `async with rt.schedule:` starts its wake-ups once the posters are in place."""
        if self._schedule is None:
            raise RuntimeError("the runtime is not open; use `async with Runtime(...)`")
        return self._schedule

    async def __aenter__(self) -> Runtime:
        catalog = self._catalog or load_catalog(self.settings.content_dir)
        self._engine = create_engine(self.settings.database_url)
        try:
            await upgrade(self._engine)
            services = Services(
                settings=self.settings,
                engine=self._engine,
                catalog=catalog,
                clock=self.clock,
                registry=build_registry(),
            )
            prepare(services)
            self._schedule = ScheduleService(services)
            self._core = Core(services, moderator_check=partial(is_configured_moderator, services))
            services.extras["is_moderator"] = self._core.is_moderator
            # The single answer writer (group commit); see bot/practice/writer.py.
            self._writer = AnswerWriter(self._engine)
            await self._writer.start()
            services.extras["answer_writer"] = self._writer
        except BaseException:
            if self._writer is not None:
                await self._writer.stop()
            await self._engine.dispose()
            raise
        # Everything loaded so far (libraries, content, indexes) lives as long as the process. Moving it
        # out of the collector's reach stops each full collection from walking ~120,000 objects, which
        # under a burst of presses cost as much as the answers themselves (docs/benchmarks.md).
        gc.collect()
        gc.freeze()
        log.info("runtime ready: %d exams, %d commands", len(catalog.exams), len(services.registry.commands))
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._schedule is not None:
            await self._schedule.stop()
            self._schedule = None
        self._core = None
        if self._writer is not None:
            await self._writer.stop()  # answers already queued are recorded before the engine closes
            self._writer = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
        gc.unfreeze()
