"""`/healthz`, `/readyz` and `/metrics` on a small aiohttp server in the bot's own event loop.

`/healthz` answers 200 while the event loop runs: a supervisor restarts the process when it stops.
`/readyz` answers 200 only when the database answers with this code's schema and every platform the
process was started for is connected, else 503 with what is missing, so a load balancer sends work
elsewhere meanwhile; it turns ready again by itself when the cause goes away. `/metrics` is the
Prometheus text format of the process's `Metrics`, with the outbox and pool gauges read at scrape
time. The server binds 127.0.0.1 unless told otherwise: the metrics name workspaces' commands.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock, SystemClock
from bot.metrics import Metrics
from bot.store import deliveries as outbox
from bot.store import pool_usage, schema_problem

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 5.0  # a probe that hangs is a failed probe; orchestrators time out at about 10 s

PlatformCheck = Callable[[], Awaitable[bool]]
"""True while one platform's connection is up."""


async def readiness(
    engine: AsyncEngine, platforms: Mapping[str, PlatformCheck], *, within: float = CHECK_TIMEOUT_S
) -> dict[str, str]:
    """Each check's state: "ok" or what is wrong. Ready when every value is "ok"."""
    checks: dict[str, str] = {}
    try:
        problem = await asyncio.wait_for(schema_problem(engine), within)
    except TimeoutError:
        problem = f"the database did not answer within {within:g} s"
    checks["database"] = problem or "ok"
    for name, connected in platforms.items():
        try:
            up = await asyncio.wait_for(connected(), within)
        except TimeoutError:
            up = False
        checks[name] = "ok" if up else "not connected"
    return checks


async def outbox_counts(engine: AsyncEngine, now: dt.datetime) -> tuple[dict[tuple[str, str], int], float]:
    """Deliveries by (kind, state), and the age in seconds of the oldest open claim (0 when none)."""
    async with engine.connect() as conn:
        counts = await outbox.counts_by_state(conn)
        oldest = await outbox.oldest_open_claim(conn)
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return counts, age


class HealthServer:
    """`async with HealthServer(...) as health:` serves until the block ends; `health.port` is the bound port."""

    def __init__(
        self,
        engine: AsyncEngine,
        metrics: Metrics,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        platforms: Mapping[str, PlatformCheck] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.engine = engine
        self.metrics = metrics
        self.host = host
        self.port = port
        self.platforms = dict(platforms or {})
        self.clock = clock or SystemClock()
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> HealthServer:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("health: serving /healthz, /readyz and /metrics on %s:%d", self.host, self.port)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"alive": True})

    async def _readyz(self, _request: web.Request) -> web.Response:
        checks = await readiness(self.engine, self.platforms)
        ready = all(state == "ok" for state in checks.values())
        if not ready:
            log.info("not ready: %s", {k: v for k, v in checks.items() if v != "ok"})
        return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        self.metrics.set_pool(pool_usage(self.engine))
        try:
            counts, age = await asyncio.wait_for(outbox_counts(self.engine, self.clock.now()), CHECK_TIMEOUT_S)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:  # a database that is away keeps the rest
            log.info("metrics: outbox not read (%s)", type(exc).__name__)
        else:
            self.metrics.set_deliveries(counts, age)
        body = generate_latest(self.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
