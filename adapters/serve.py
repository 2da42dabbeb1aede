"""Platform mode: every configured adapter, sharing one event loop, one runtime and one database."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack

from bot.runtime import Runtime
from bot.settings import Settings

log = logging.getLogger(__name__)


async def serve(settings: Settings, *, slack_http: bool = False, port: int = 3000) -> None:
    """Run until cancelled (Ctrl-C). Adapters open after the runtime and close before it."""
    async with Runtime(settings) as rt, AsyncExitStack() as stack:
        posters = {}
        if settings.discord_enabled:
            from adapters.discord.client import DiscordAdapter

            discord = await stack.enter_async_context(DiscordAdapter(rt.core, settings))
            posters["discord"] = discord.poster
        if settings.slack_enabled:
            from adapters.slack.app import SlackAdapter

            slack = await stack.enter_async_context(SlackAdapter(rt.core, settings, http=slack_http, port=port))
            posters["slack"] = slack.poster
        rt.services.extras["posters"] = posters
        await stack.enter_async_context(rt.schedule)  # after the posters: it catches up on missed prompts first
        log.info("serving: %s", ", ".join(posters) or "nothing")
        await asyncio.Event().wait()
