"""Platform mode: every configured adapter, sharing one event loop, one runtime and one database.

With STUDYBOT_HEALTH_PORT set, the same loop also serves `/healthz`, `/readyz` and `/metrics`
(`bot.ops.health`), from the `Metrics` the runtime builds for it (`Services.metrics`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from bot.commands.dispatch import Core
from bot.metrics import Metrics
from bot.ops.doctor import Finding, PlatformProbe, Target
from bot.ops.health import HealthServer, PlatformCheck
from bot.runtime import Platform, PlatformFactory, Runtime
from bot.settings import Settings

log = logging.getLogger(__name__)


class Connected(Platform, Protocol):
    """An adapter readiness can ask: `connected` is True while its platform connection is up."""

    @property
    def connected(self) -> bool: ...


ConnectedFactory = Callable[[Core, Settings], AbstractAsyncContextManager[Connected]]


def platform_factories(settings: Settings, *, slack_http: bool = False, port: int = 3000) -> list[ConnectedFactory]:
    """The adapters whose tokens are set, for the runtime to connect once the core exists."""
    factories: list[ConnectedFactory] = []
    if settings.discord_enabled:
        from adapters.discord.client import DiscordAdapter

        factories.append(DiscordAdapter)
    if settings.slack_enabled:
        from adapters.slack.app import SlackAdapter

        factories.append(partial(SlackAdapter, http=slack_http, port=port))
    return factories


@dataclass
class Served:
    """What `serving` opened: the runtime (its metrics are `runtime.services.metrics`), the health
    server (when enabled) and the connected platforms."""

    runtime: Runtime
    health: HealthServer | None
    platforms: dict[str, Connected] = field(default_factory=dict)


def _watched(factory: ConnectedFactory, into: dict[str, Connected]) -> PlatformFactory:
    """`factory`, remembering the platform it opens so readiness can ask it whether it is connected."""

    @asynccontextmanager
    async def connect(core: Core, settings: Settings) -> AsyncIterator[Connected]:
        cm: AbstractAsyncContextManager[Connected] = factory(core, settings)
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
    """Open the runtime with every configured platform, the scheduler and the health server.

    `metrics` replaces the registry the runtime would build (tests read their own)."""
    opened: dict[str, Connected] = {}
    factories = [_watched(f, opened) for f in platform_factories(settings, slack_http=slack_http, port=port)]
    expected = [name for name, on in (("discord", settings.discord_enabled), ("slack", settings.slack_enabled)) if on]
    async with Runtime(settings, platforms=factories, metrics=metrics) as rt:
        served = Served(rt, None, opened)
        async with rt.schedule:  # after the platforms: it catches up on missed prompts first
            if settings.health_port is None:
                yield served
                return
            counted = rt.services.metrics
            assert counted is not None  # the runtime builds one whenever a health port is set
            checks = {name: _check(opened, name) for name in expected}
            async with HealthServer(
                rt.services.engine,
                counted,
                host=settings.health_host,
                port=settings.health_port,
                platforms=checks,
                clock=rt.clock,
            ) as health:
                served.health = health
                yield served


def _check(opened: dict[str, Connected], name: str) -> PlatformCheck:
    async def connected() -> bool:
        platform = opened.get(name)
        return platform is not None and platform.connected

    return connected


async def serve(settings: Settings, *, slack_http: bool = False, port: int = 3000) -> None:
    """Run until cancelled (Ctrl-C). Adapters open after the runtime's core and close before it."""
    async with serving(settings, slack_http=slack_http, port=port) as served:
        log.info("serving", extra={"platforms": served.runtime.services.posters.names()})
        await asyncio.Event().wait()


# -- `studybot doctor`: each enabled platform's checks -------------------------------------------------


def platform_probes(settings: Settings) -> dict[str, PlatformProbe]:
    """The doctor's checks for every platform whose token is set, keyed by platform name."""
    probes: dict[str, PlatformProbe] = {}
    if settings.discord_token is not None:
        probes["discord"] = partial(_discord_probe, settings)
    if settings.slack_bot_token is not None:
        probes["slack"] = partial(_slack_probe, settings)
    return probes


async def _discord_probe(settings: Settings, targets: Sequence[Target]) -> list[Finding]:
    """The token (a REST login, no gateway), the application, and posting in each scheduled channel."""
    import aiohttp
    import discord

    from adapters.discord.client import intents
    from adapters.discord.poster import DiscordPoster

    assert settings.discord_token is not None
    client = discord.Client(intents=intents())
    found: list[Finding] = []
    try:
        try:
            await client.login(settings.discord_token.get_secret_value())
        except discord.LoginFailure:
            fix = "reset the token (Developer Portal → Bot) and set DISCORD_TOKEN"
            return [_bad("discord", "Discord refused DISCORD_TOKEN", fix)]
        except (aiohttp.ClientError, discord.HTTPException) as exc:
            return [_bad("discord", f"Discord did not answer ({exc})", "check this machine's network, DNS and proxy")]
        found.append(Finding("discord", f"token accepted: logged in as {client.user}"))
        app = await client.application_info()
        wanted = settings.discord_application_id
        if wanted is not None and wanted != app.id:
            found.append(
                _bad(
                    "discord",
                    f"DISCORD_APPLICATION_ID is {wanted}, but the token belongs to application {app.id}",
                    f"set DISCORD_APPLICATION_ID={app.id}",
                )
            )
        found.append(Finding("discord", "intents: guilds only, none privileged, so nothing to enable in the portal"))
        poster = DiscordPoster(client)
        for target in targets:
            result = await poster.check_channel(target.workspace, target.channel)
            found.append(_channel_finding("discord", target, result.ok, result.detail, _DISCORD_FIX))
    finally:
        await client.close()
    return found


_DISCORD_FIX = (
    "in the channel's settings (Permissions), allow the bot's role View Channel, Send Messages and "
    "Embed Links, or pause the schedule with /studyadmin schedule pause"
)
_SLACK_FIX = "type /invite @studybot in the channel, or pause the schedule with /studyadmin schedule pause"


async def _slack_probe(settings: Settings, targets: Sequence[Target]) -> list[Finding]:
    """The bot token and its scopes (auth.test's x-oauth-scopes), the app token, and each scheduled channel."""
    import aiohttp
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.manifest import SCOPES
    from adapters.slack.poster import SlackPoster

    assert settings.slack_bot_token is not None
    client = AsyncWebClient(token=settings.slack_bot_token.get_secret_value(), base_url=AsyncWebClient.BASE_URL)
    found: list[Finding] = []
    try:
        auth = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error")
        return [_bad("slack", f"Slack refused SLACK_BOT_TOKEN ({error})", "copy the Bot User OAuth Token (xoxb-…)")]
    except aiohttp.ClientError as exc:
        return [_bad("slack", f"Slack did not answer ({exc})", "check this machine's network, DNS and proxy")]
    found.append(Finding("slack", f"bot token accepted in workspace {auth.get('team')} ({auth.get('team_id')})"))
    granted_header = auth.headers.get("x-oauth-scopes") or auth.headers.get("X-OAuth-Scopes")
    if granted_header is None:
        found.append(Finding("slack", "Slack did not list the token's scopes; not checked"))
    else:
        granted = {s.strip() for s in str(granted_header).split(",") if s.strip()}
        lacking = [scope for scope in SCOPES if scope not in granted]
        for scope in lacking:
            found.append(
                _bad(
                    "slack",
                    f"the bot token lacks the scope {scope} ({SCOPES[scope]})",
                    f"add {scope} under OAuth & Permissions → Bot Token Scopes (or update the app from "
                    "`studybot slack manifest`), then reinstall the app to the workspace",
                )
            )
        if not lacking:
            found.append(Finding("slack", f"scopes: {', '.join(SCOPES)}"))
    if settings.slack_app_token is not None:
        try:
            await AsyncWebClient(base_url=AsyncWebClient.BASE_URL).apps_connections_open(
                app_token=settings.slack_app_token.get_secret_value()
            )
            found.append(Finding("slack", "app token accepted for Socket Mode"))
        except SlackApiError as exc:
            error = exc.response.get("error")
            found.append(
                _bad(
                    "slack",
                    f"Slack refused SLACK_APP_TOKEN ({error})",
                    "create an app-level token with connections:write (Basic Information → App-Level Tokens)",
                )
            )
    poster = SlackPoster(client)
    for target in targets:
        result = await poster.check_channel(target.workspace, target.channel)
        found.append(_channel_finding("slack", target, result.ok, result.detail, _SLACK_FIX))
    return found


def _bad(check: str, detail: str, fix: str) -> Finding:
    return Finding(check, detail, fix)


def _channel_finding(platform: str, target: Target, ok: bool, detail: str | None, fix: str) -> Finding:
    where = f"schedule {target.schedule_id} ({platform} channel {target.channel})"
    if ok:
        return Finding("schedule", f"{where}: the bot can post there")
    return Finding("schedule", f"{where}: {detail or 'the bot cannot post there'}", fix)
