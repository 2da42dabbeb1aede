"""Platform mode: every configured adapter, sharing one event loop, one runtime and one database."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from bot.runtime import PlatformFactory, Runtime
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


async def serve(settings: Settings, *, slack_http: bool = False, port: int = 3000) -> None:
    """Run until cancelled (Ctrl-C). Adapters open after the runtime's core and close before it."""
    async with Runtime(settings, platforms=platform_factories(settings, slack_http=slack_http, port=port)) as rt:
        async with rt.schedule:  # after the platforms: it catches up on missed prompts first
            log.info("serving", extra={"platforms": rt.services.posters.names()})
            await asyncio.Event().wait()
