"""Platform mode: every configured adapter, sharing one event loop, one runtime and one database.

With STUDYBOT_HEALTH_PORT set, the same loop also serves `/healthz`, `/readyz` and `/metrics`
(`bot.ops.health`), from the `Metrics` the runtime builds for it (`Services.metrics`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from bot.commands.dispatch import Core
from bot.errors import ConfigurationError
from bot.metrics import Metrics
from bot.ops.doctor import Finding, PlatformProbe, Target
from bot.ops.health import HealthServer, PlatformCheck
from bot.runtime import Platform, PlatformFactory, Runtime
from bot.schedule.ports import Poster
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


# -- `studybot schedule deliver-due`: posting without the live connections -----------------------------


@asynccontextmanager
async def rest_posters(settings: Settings) -> AsyncIterator[list[Poster]]:
    """The scheduler's poster of every platform whose tokens are set, over its web API alone (a Discord
    REST login without the gateway; Slack's Web API without Socket Mode or an HTTP server): what one
    `deliver-due` run from an operator's cron posts with, so it posts where the running bot would.

    A token the platform refuses ends the run as a configuration problem before anything is claimed."""
    from adapters.console.poster import ConsolePoster

    posters: list[Poster] = [ConsolePoster()]
    async with AsyncExitStack() as stack:
        if settings.discord_token is not None:
            import discord

            from adapters.discord.client import intents
            from adapters.discord.poster import DiscordPoster

            client = discord.Client(intents=intents())
            stack.push_async_callback(client.close)
            try:
                await client.login(settings.discord_token.get_secret_value())
            except discord.LoginFailure:
                raise ConfigurationError(
                    ["DISCORD_TOKEN: Discord refused it; reset the token (Developer Portal → Bot) and set it again"]
                ) from None
            posters.append(DiscordPoster(client))
        if settings.slack_oauth and settings.token_key is not None:
            from slack_sdk.web.async_client import AsyncWebClient

            from adapters.slack.installations import SlackInstallations, WorkspacePosters
            from bot.clock import SystemClock
            from bot.store import create_engine
            from bot.store.installations import TokenCipher

            engine = create_engine(settings.database_url)
            stack.push_async_callback(engine.dispose)
            cipher = TokenCipher(settings.token_key.get_secret_value())
            web = AsyncWebClient(base_url=AsyncWebClient.BASE_URL)  # read when called (tests point it at a fake)
            posters.append(WorkspacePosters(web, SlackInstallations(engine, cipher, SystemClock())))
        elif settings.slack_bot_token is not None:
            from slack_sdk.errors import SlackApiError
            from slack_sdk.web.async_client import AsyncWebClient

            from adapters.slack.poster import SlackPoster

            token = settings.slack_bot_token.get_secret_value()
            web = AsyncWebClient(token=token, base_url=AsyncWebClient.BASE_URL)
            try:
                await web.auth_test()  # a refused token ends the run here, as Discord's login does
            except SlackApiError as exc:
                error = exc.response.get("error")
                raise ConfigurationError(
                    [f"SLACK_BOT_TOKEN: Slack refused it ({error}); copy the Bot User OAuth Token (xoxb-…) again"]
                ) from None
            posters.append(SlackPoster(web))
        yield posters


# -- `studybot doctor`: each enabled platform's checks -------------------------------------------------


def platform_probes(settings: Settings) -> dict[str, PlatformProbe]:
    """The doctor's checks for every platform whose token is set, keyed by platform name."""
    probes: dict[str, PlatformProbe] = {}
    if settings.discord_token is not None:
        probes["discord"] = partial(_discord_probe, settings)
    if settings.slack_oauth:
        probes["slack"] = partial(_slack_oauth_probe, settings)
    elif settings.slack_bot_token is not None:
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
    found += _scope_findings(auth.headers, "the bot token", _REINSTALL)
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


_UNINSTALLED_FIX = "install the app in that workspace again (Add to Slack), or remove the schedule"
_REINSTALL = "then reinstall the app to the workspace"
_OAUTH_REINSTALL = "then open the install link again in each workspace (Slack asks its admin to approve the new scopes)"
_CREDENTIALS_FIX = "copy Client ID and Client Secret from the app's Basic Information → App Credentials"


def _scope_findings(headers: Mapping[str, Any], whose: str, then: str, *, listed: str = "scopes") -> list[Finding]:
    """Which of the manifest's scopes a token lacks, from the x-oauth-scopes header Slack sends on auth.test."""
    from adapters.slack.manifest import SCOPES

    granted_header = headers.get("x-oauth-scopes") or headers.get("X-OAuth-Scopes")
    if granted_header is None:
        return [Finding("slack", f"Slack did not list the scopes of {whose}; not checked")]
    granted = {s.strip() for s in str(granted_header).split(",") if s.strip()}
    lacking = [scope for scope in SCOPES if scope not in granted]
    found = [
        _bad(
            "slack",
            f"{whose} lacks the scope {scope} ({SCOPES[scope]})",
            f"add {scope} under OAuth & Permissions → Bot Token Scopes (or update the app from "
            f"`studybot slack manifest`), {then}",
        )
        for scope in lacking
    ]
    return found or [Finding("slack", f"{listed}: {', '.join(SCOPES)}")]


async def _slack_oauth_probe(settings: Settings, targets: Sequence[Target]) -> list[Finding]:
    """ "Add to Slack" for many workspaces: the app's credentials, every stored installation (its token
    decrypts with STUDYBOT_TOKEN_KEY, Slack accepts it, it has the manifest's scopes), and posting in
    each scheduled channel with the token of the channel's workspace."""
    import aiohttp
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.app import _oauth_problems
    from adapters.slack.installations import NOT_INSTALLED, SlackInstallations, WorkspacePosters
    from bot.clock import SystemClock
    from bot.store import DatabaseUnavailable, create_engine
    from bot.store import installations as installation_store
    from bot.store.installations import TokenCipher

    problems = _oauth_problems(settings)
    if problems:
        return [_bad("slack", *problem.split(": ", 1)) for problem in problems]
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    assert settings.token_key is not None
    found = [Finding("slack", f"Add to Slack for many workspaces (OAuth), install path {settings.slack_redirect_path}")]
    app = AsyncWebClient(base_url=AsyncWebClient.BASE_URL)
    try:
        # A code nobody issued: Slack checks the app's credentials first, so invalid_code means they hold.
        await app.oauth_v2_access(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            code="studybot-doctor",
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "")
        if error in ("invalid_client_id", "bad_client_secret"):
            found.append(
                _bad("slack", f"Slack refused SLACK_CLIENT_ID or SLACK_CLIENT_SECRET ({error})", _CREDENTIALS_FIX)
            )
        elif error == "invalid_code":
            found.append(Finding("slack", "client id and secret accepted"))
        else:
            found.append(Finding("slack", f"client id and secret not checked (Slack answered {error})"))
    except (aiohttp.ClientError, TimeoutError) as exc:
        return [_bad("slack", f"Slack did not answer ({exc})", "check this machine's network, DNS and proxy")]
    cipher = TokenCipher(settings.token_key.get_secret_value())
    try:
        engine = create_engine(settings.database_url)
    except DatabaseUnavailable:
        return [*found, Finding("slack", "installations not checked: the database cannot be used (see above)")]
    try:
        try:
            async with engine.connect() as conn:
                stored = await installation_store.every(conn, cipher, "slack")
        except (SQLAlchemyError, DatabaseUnavailable, OSError):
            return [*found, Finding("slack", "installations not checked: the database cannot be used (see above)")]
        if not stored:
            found.append(Finding("slack", "no workspace has installed the app yet"))
        for workspace, installation in stored:
            if installation is None:
                found.append(
                    _bad(
                        "slack",
                        f"the stored token of workspace {workspace} cannot be decrypted with STUDYBOT_TOKEN_KEY",
                        "put the key it was saved with after the current one (comma-separated), or install "
                        "the app in that workspace again",
                    )
                )
                continue
            whose = f"the token of workspace {workspace}"
            try:
                auth = await AsyncWebClient(token=installation.bot_token, base_url=AsyncWebClient.BASE_URL).auth_test()
            except SlackApiError as exc:
                error = exc.response.get("error")
                fix = "install the app in that workspace again (or forget it: it may have uninstalled the app)"
                found.append(_bad("slack", f"Slack refused {whose} ({error})", fix))
                continue
            except (aiohttp.ClientError, TimeoutError) as exc:
                found.append(
                    _bad("slack", f"Slack did not answer ({exc})", "check this machine's network, DNS and proxy")
                )
                break
            found.append(Finding("slack", f"{whose} accepted ({auth.get('team')})"))
            found += _scope_findings(auth.headers, whose, _OAUTH_REINSTALL, listed=f"scopes of {whose}")
        posters = WorkspacePosters(
            AsyncWebClient(base_url=AsyncWebClient.BASE_URL), SlackInstallations(engine, cipher, SystemClock())
        )
        for target in targets:
            result = await posters.check_channel(target.workspace, target.channel)
            fix = _UNINSTALLED_FIX if result.detail == NOT_INSTALLED else _SLACK_FIX
            found.append(_channel_finding("slack", target, result.ok, result.detail, fix))
    finally:
        await engine.dispose()
    return found


def _bad(check: str, detail: str, fix: str) -> Finding:
    return Finding(check, detail, fix)


def _channel_finding(platform: str, target: Target, ok: bool, detail: str | None, fix: str) -> Finding:
    where = f"schedule {target.schedule_id} ({platform} channel {target.channel})"
    if ok:
        return Finding("schedule", f"{where}: the bot can post there")
    return Finding("schedule", f"{where}: {detail or 'the bot cannot post there'}", fix)
