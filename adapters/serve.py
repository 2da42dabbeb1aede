"""Platform mode: every configured adapter, sharing one event loop, one runtime and one database.

With STUDYBOT_HEALTH_PORT set, the same loop also serves `/healthz`, `/readyz` and `/metrics`
(`bot.ops.health`); the metrics are in effect for everything the serving task starts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from bot.commands.dispatch import Core
from bot.metrics import Metrics, recording
from bot.ops.health import HealthServer, PlatformCheck
from bot.runtime import Platform, PlatformFactory, Runtime
from bot.settings import Settings

log = logging.getLogger(__name__)


def platform_factories(settings: Settings, *, slack_http: bool = False, port: int = 3000) -> list[PlatformFactory]:
    """The adapters whose tokens are set, for the runtime to connect once the core exists."""
    factories: list[PlatformFactory] = []
    if settings.discord_enabled:
        from adapters.discord.client import DiscordAdapter

        factories.append(DiscordAdapter)
    if settings.slack_enabled:
        from adapters.slack.app import SlackAdapter

        factories.append(partial(SlackAdapter, http=slack_http, port=port))
    return factories


async def is_connected(platform: Any) -> bool:
    """Whether an opened adapter's connection is up (readiness), read from the clients it holds."""
    client = getattr(platform, "_client", None)
    if client is not None and hasattr(client, "is_ready"):  # Discord: READY received and not closed since
        return bool(client.is_ready() and not client.is_closed())
    if getattr(platform, "http", False):  # Slack over HTTP: up while its site is
        return getattr(platform, "_runner", None) is not None
    socket = getattr(platform, "_socket", None)  # Slack Socket Mode: the websocket is open
    return socket is not None and bool(await socket.client.is_connected())


@dataclass
class Served:
    """What `serving` opened: the runtime, the health server (when enabled) and the connected platforms."""

    runtime: Runtime
    metrics: Metrics
    health: HealthServer | None
    platforms: dict[str, Platform] = field(default_factory=dict)


def _watched(factory: PlatformFactory, into: dict[str, Platform]) -> PlatformFactory:
    """`factory`, remembering the platform it opens so readiness can ask it whether it is connected."""

    @asynccontextmanager
    async def connect(core: Core, settings: Settings) -> AsyncIterator[Platform]:
        cm: AbstractAsyncContextManager[Platform] = factory(core, settings)
        async with cm as platform:
            into[platform.poster.platform] = platform
            try:
                yield platform
            finally:
                into.pop(platform.poster.platform, None)

    return connect


@asynccontextmanager
async def serving(
    settings: Settings, *, slack_http: bool = False, port: int = 3000, metrics: Metrics | None = None
) -> AsyncIterator[Served]:
    """Open the runtime with every configured platform, the scheduler and the health server."""
    metrics = metrics or Metrics()
    opened: dict[str, Platform] = {}
    factories = [_watched(f, opened) for f in platform_factories(settings, slack_http=slack_http, port=port)]
    expected = [name for name, on in (("discord", settings.discord_enabled), ("slack", settings.slack_enabled)) if on]
    with recording(metrics):
        async with Runtime(settings, platforms=factories) as rt:
            served = Served(rt, metrics, None, opened)
            async with rt.schedule:  # after the platforms: it catches up on missed prompts first
                if settings.health_port is None:
                    yield served
                    return
                checks = {name: _check(opened, name) for name in expected}
                async with HealthServer(
                    rt.services.engine,
                    metrics,
                    host=settings.health_host,
                    port=settings.health_port,
                    platforms=checks,
                    clock=rt.clock,
                ) as health:
                    served.health = health
                    yield served


def _check(opened: dict[str, Platform], name: str) -> PlatformCheck:
    async def connected() -> bool:
        platform = opened.get(name)
        return platform is not None and await is_connected(platform)

    return connected


async def serve(settings: Settings, *, slack_http: bool = False, port: int = 3000) -> None:
    """Run until cancelled (Ctrl-C). Adapters open after the runtime's core and close before it."""
    async with serving(settings, slack_http=slack_http, port=port) as served:
        log.info("serving", extra={"platforms": served.runtime.services.posters.names()})
        await asyncio.Event().wait()
