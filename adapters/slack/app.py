"""The Slack adapter: a Bolt `AsyncApp` on the shared event loop, in Socket Mode or over HTTP.

`async with SlackAdapter(core, settings) as slack:` connects Socket Mode (with `SLACK_APP_TOKEN`);
`SlackAdapter(core, settings, http=True, port=N)` serves Bolt's aiohttp app on N instead, where Bolt
verifies every signature and timestamp and `ReplayGuard` refuses replays; what it and the event dedup
remember is stored, so any number of workers may serve one app behind a load balancer.
`AsyncApp.start()` is never used: it runs its own loop, and studybot shares one loop with Discord and
the scheduler.

Every listener acknowledges first, before any lookup or database work, then asks the core and answers
through the request's `response_url` (falling back to `chat.postEphemeral`/`chat.postMessage`).
Choosing in a menu is only acknowledged: the choices reach the core with the next button press.
A command that takes a file, typed without it, opens a modal instead (`forms`) to pick the file or
paste it; its submission is handled as that command and answered in the channel with the bot token.

With `SLACK_CLIENT_ID`/`SLACK_CLIENT_SECRET` instead of `SLACK_BOT_TOKEN`, the app is for many workspaces
("Add to Slack"): it serves over HTTP with Bolt's OAuth flow on the install and redirect paths, keeps
each workspace's bot token in our database (`installations`), and Bolt's authorization hands every
listener a client with the token of the workspace the request came from; listeners use only that
client. Uninstalling the app (`app_uninstalled`, `tokens_revoked`) deletes the workspace's installation.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.files import deliver_file
from adapters.slack.forms import (
    FORM_CALLBACK,
    FormTooBig,
    UploadUnavailable,
    asked_form,
    form_channel,
    form_command,
    form_errors,
    form_files,
    form_for,
    form_request,
    form_view,
    read_upload,
)
from adapters.slack.installations import SlackInstallations, SlackOAuthStates, WorkspacePosters
from adapters.slack.manifest import EVENTS_PATH, SCOPES
from adapters.slack.members import MemberDirectory
from adapters.slack.middleware import EventDeduplication, ReplayGuard, refuse_unreadable_timestamps
from adapters.slack.payloads import BlockAction, Message, SlashCommandBody
from adapters.slack.poster import SlackPoster
from adapters.slack.render import RenderError, render, wire_blocks
from adapters.slack.translate import (
    action_channel,
    action_identity,
    command_identity,
    command_line,
    to_action,
    workspace_of,
)
from bot.commands.dispatch import Core
from bot.commands.options import file_limit
from bot.commands.spec import Permission
from bot.errors import ConfigurationError, new_reference
from bot.log import log_context
from bot.markup import code, esc
from bot.replies import Reply, error_reply, internal_error_reply
from bot.requests import Identity, Upload
from bot.settings import TOKEN_KEY_HINT, Settings
from bot.store.installations import TokenCipher

log = logging.getLogger(__name__)

# Menus in a message: Slack sends a `block_actions` for each change of choice; only presses go to the core.
MENU_TYPES = frozenset({"static_select", "multi_static_select"})
# What a member of a workspace without an installation (removed, or never added) is told.
NOT_INSTALLED_HERE = (
    "studybot is not installed in this workspace any more. A workspace admin can add it again with Add to Slack."
)
SHUTDOWN_GRACE = 10.0  # seconds to let answers already acknowledged finish on shutdown

Respond = Callable[..., Awaitable[Any]]


class SlackAdapter:
    """Owns the Bolt app, its Web API client and either the Socket Mode connection or the HTTP site.

    Args:
        core: the platform-neutral bot.
        settings: read for the tokens, the signing secret and the two command names.
        http: serve the Events/Interactivity endpoint instead of connecting Socket Mode.
        port: the HTTP port (0 picks a free one; see `port` after entering).
        host: the HTTP interface to bind.
        base_url: the Web API address; tests point it at a fake Slack.
        authorize_url: where "Add to Slack" sends installers (Slack's own page unless a test says).
    """

    def __init__(
        self,
        core: Core,
        settings: Settings,
        http: bool = False,
        port: int = 3000,
        *,
        host: str = "0.0.0.0",
        base_url: str | None = None,
        authorize_url: str | None = None,
    ) -> None:
        self.oauth = settings.slack_oauth
        http = http or self.oauth  # "Add to Slack" needs the install and redirect pages: HTTP only
        problems = _oauth_problems(settings) if self.oauth else []
        if not self.oauth and settings.slack_bot_token is None:
            problems.append("SLACK_BOT_TOKEN: required for Slack")
        if http and settings.slack_signing_secret is None:
            problems.append("SLACK_SIGNING_SECRET: required to serve Slack over HTTP")
        if not http and settings.slack_app_token is None:
            problems.append("SLACK_APP_TOKEN: required for Socket Mode (or run with --slack-http)")
        if problems:
            raise ConfigurationError(problems)
        self.core = core
        self.settings = settings
        self.http = http
        self.host = host
        self.port = port
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token and not self.oauth else None
        self.client = AsyncWebClient(token=token, base_url=base_url or AsyncWebClient.BASE_URL)
        self.members = MemberDirectory(self.client)
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
        self.installations: SlackInstallations | None = None
        oauth_settings: AsyncOAuthSettings | None = None
        if self.oauth:
            assert settings.token_key is not None and settings.slack_client_secret is not None
            services = core.services
            self.installations = SlackInstallations(
                services.engine, TokenCipher(settings.token_key.get_secret_value()), services.clock
            )
            states = SlackOAuthStates(services.engine, services.clock)
            oauth_settings = AsyncOAuthSettings(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret.get_secret_value(),
                scopes=list(SCOPES),
                redirect_uri=settings.slack_redirect_uri,
                install_path=settings.slack_install_path,
                install_page_rendering_enabled=False,  # /slack/install goes straight to Slack's consent page
                redirect_uri_path=settings.slack_redirect_path,
                authorization_url=authorize_url,
                installation_store=self.installations,
                installation_store_bot_only=True,
                state_store=states,
                state_expiration_seconds=int(states.lifetime.total_seconds()),
                callback_options=AsyncCallbackOptions(success=_installed, failure=self._install_failed),
            )
            # Bolt would ask auth.test about the workspace's token on every request, before the ack;
            # what it answers for a token never changes, so each process asks once per token. A deleted
            # installation is still refused at once: the token is looked up in our store first.
            oauth_settings.authorize = AsyncInstallationStoreAuthorize(
                logger=logging.getLogger("slack_bolt.authorize"),
                installation_store=self.installations,
                bot_only=True,
                cache_enabled=True,
            )
            self.poster: SlackPoster | WorkspacePosters = WorkspacePosters(self.client, self.installations)
        else:
            self.poster = SlackPoster(self.client)
        self.app = AsyncApp(
            name="studybot",
            client=self.client,
            signing_secret=secret,
            before_authorize=ReplayGuard(core.first_delivery) if http else None,
            process_before_response=False,
            oauth_settings=oauth_settings,
            user_facing_authorize_error_message=NOT_INSTALLED_HERE if self.oauth else None,
        )
        self.app.use(EventDeduplication(core.first_delivery))
        if self.oauth:
            self.app.enable_token_revocation_listeners()
        self._register()
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._inflight: set[asyncio.Task[Any]] = set()

    # -- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> SlackAdapter:
        if not self.oauth:  # with OAuth each workspace's token is checked as it installs
            await self._check_bot_token()
        if self.http:
            served = self.app.web_app(path=EVENTS_PATH, port=self.port)
            served.middlewares.append(refuse_unreadable_timestamps)
            runner = web.AppRunner(served)
            await runner.setup()
            try:
                await web.TCPSite(runner, self.host, self.port).start()
            except BaseException:
                await runner.cleanup()
                raise
            self._runner = runner
            self.port = int(runner.addresses[0][1])
            log.info("slack: serving HTTP on %s:%d%s", self.host, self.port, EVENTS_PATH)
            if self.oauth:
                log.info("slack: Add to Slack at %s", self.install_url)
        else:
            assert self.settings.slack_app_token is not None
            app_token = self.settings.slack_app_token.get_secret_value()
            first_url = await self._open_socket_url(app_token)
            self._socket = AsyncSocketModeHandler(self.app, app_token=app_token)
            # The URL we just opened serves the first connection; reconnects fetch fresh ones themselves.
            self._socket.client.wss_uri = first_url
            try:
                await self._socket.connect_async()
            except BaseException:
                await self._socket.close_async()
                self._socket = None
                raise
            log.info("slack: connected in Socket Mode")
        return self

    async def _check_bot_token(self) -> None:
        """Fail at start with a clear message, not at the first command, when Slack refuses the bot token."""
        try:
            auth = await self.client.auth_test()
        except SlackApiError as exc:
            error = exc.response.get("error")
            raise ConfigurationError([f"SLACK_BOT_TOKEN: Slack refused it ({error})"]) from None
        log.info("slack: bot user %s in workspace %s (%s)", auth.get("user_id"), auth.get("team"), auth.get("team_id"))

    async def _open_socket_url(self, app_token: str) -> str:
        """`apps.connections.open` once, here, so a bad app token stops start-up instead of retrying forever."""
        try:
            opened = await self.client.apps_connections_open(app_token=app_token)
        except SlackApiError as exc:
            error = exc.response.get("error")
            raise ConfigurationError(
                [f"SLACK_APP_TOKEN: Slack refused it ({error}); it needs the connections:write scope"]
            ) from None
        return str(opened["url"])

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Stop taking requests first, then let the answers already acknowledged finish.
        try:
            if self._socket is not None:
                await self._socket.close_async()
                self._socket = None
            if self._runner is not None:
                await self._runner.cleanup()
                self._runner = None
        finally:
            pending = {t for t in self._inflight if not t.done()}
            if pending:
                _done, late = await asyncio.wait(pending, timeout=SHUTDOWN_GRACE)
                for task in late:
                    task.cancel()
            log.info("slack: stopped")

    @property
    def connected(self) -> bool:
        """Whether Slack can reach this process, for `/readyz`: in HTTP mode while the site serves, in
        Socket Mode while the websocket is open and answering pings.

        The Socket Mode test is slack_sdk's `SocketModeClient.is_connected`, read from the client's public
        state here because that method is a coroutine only by the SDK's convention (it awaits nothing),
        and a property cannot await.
        """
        if self.http:
            return self._runner is not None
        if self._socket is None:
            return False
        client = self._socket.client
        session = client.current_session
        pings_failing = client.last_ping_pong_time is not None and (
            time.time() - client.last_ping_pong_time >= client.ping_interval * 4
        )
        open_session = session is not None and not session.closed
        return open_session and not client.closed and not client.stale and not pings_failing

    @property
    def url(self) -> str:
        """The HTTP endpoint (HTTP mode), after entering."""
        return f"{self._origin}{EVENTS_PATH}"

    @property
    def install_url(self) -> str:
        """The "Add to Slack" page on this server (OAuth mode), after entering."""
        return f"{self._origin}{self.settings.slack_install_path}"

    @property
    def redirect_url(self) -> str:
        """Where Slack sends an installer back to, on this server (OAuth mode), after entering."""
        return f"{self._origin}{self.settings.slack_redirect_path}"

    @property
    def _origin(self) -> str:
        return f"http://{'127.0.0.1' if self.host in ('0.0.0.0', '') else self.host}:{self.port}"

    async def _install_failed(self, args: AsyncFailureArgs) -> BoltResponse:
        """A refused install explained in words, with the way to start again; nothing was stored."""
        reason = args.reason
        again = f'<a href="{html.escape(self.settings.slack_install_path)}">Start again</a>.'
        message = _INSTALL_FAILURES.get(reason, "Slack could not finish the install; nothing was installed.")
        log.warning("slack: an install was refused (%s)", reason)
        return _page(args.suggested_status_code, "studybot was not installed", f"{html.escape(message)} {again}")

    # -- listeners ------------------------------------------------------------------------------

    def _register(self) -> None:
        self.app.command(self.settings.slack_command)(self._command_listener(admin=False))
        self.app.command(self.settings.slack_admin_command)(self._command_listener(admin=True))
        self.app.block_action(re.compile(".+"))(self._on_block_action)
        self.app.view(FORM_CALLBACK)(self._on_form)
        self.app.error(self._on_error)

    def _command_listener(self, *, admin: bool) -> Callable[..., Awaitable[None]]:
        async def on_command(
            ack: Callable[[], Awaitable[None]], body: SlashCommandBody, respond: Respond, client: AsyncWebClient
        ) -> None:
            await ack()  # within Slack's 3 s, before anything that could be slow
            self._track()
            await self._answer_command(body, respond, client, admin=admin)

        return on_command

    async def _on_block_action(
        self,
        ack: Callable[[], Awaitable[None]],
        body: dict[str, Any],
        action: BlockAction,
        respond: Respond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        if action.get("type") in MENU_TYPES:
            # Choosing in a menu is not an answer yet: Slack reports every change, and the choices
            # travel again, in `state`, with the button pressed next (Submit). See translate.to_action.
            return
        self._track()
        started = time.perf_counter()
        workspace = workspace_of(body)
        user = body["user"]["id"]
        with log_context(platform="slack", workspace=workspace, channel=action_channel(body)):
            member = await self.members.lookup(workspace, user, client=client)
            identity = action_identity(
                body, display_name=member.display_name, is_moderator=member.is_moderator, groups=member.groups
            )
            reply = await self.core.handle(to_action(body, action, identity))
            if reply.duplicate:
                return  # a retry of a press already answered
            if (
                reply.form is not None
                and body.get("trigger_id")
                and await self._open_asked(reply, body, identity, client)
            ):
                return
            await self._send(reply, body, respond, client, interactive=True)
            log.debug("slack: action answered in %.1f ms", (time.perf_counter() - started) * 1000)

    async def _answer_command(
        self, body: SlashCommandBody, respond: Respond, client: AsyncWebClient, *, admin: bool
    ) -> None:
        started = time.perf_counter()
        workspace = workspace_of(body)
        with log_context(
            platform="slack", workspace=workspace, channel=body.get("channel_id"), command=body["command"]
        ):
            member = await self.members.lookup(workspace, str(body["user_id"]), client=client)
            identity = command_identity(
                body, display_name=member.display_name, is_moderator=member.is_moderator, groups=member.groups
            )
            line = command_line(str(body.get("text") or ""), admin=admin)
            trigger = body.get("trigger_id")
            if trigger and await self._open_form(body, identity, line, respond, client):
                return
            reply = await self.core.handle_line(identity, line, delivery_id=f"slack:{trigger}" if trigger else None)
            if reply.duplicate:
                return  # a retry of a trigger already answered
            await self._send(reply, body, respond, client, interactive=False)
            log.debug("slack: command answered in %.1f ms", (time.perf_counter() - started) * 1000)

    async def _open_form(
        self, body: SlashCommandBody, identity: Identity, line: str, respond: Respond, client: AsyncWebClient
    ) -> bool:
        """Open the modal of a file-taking command typed without its file (see `forms`); False when the
        line is to be handled as typed, including a moderator command from someone who is not one."""
        form = form_for(self.core.registry, line)
        if form is None:
            return False
        if form.spec.permission is Permission.MODERATOR and not await self.core.is_moderator(identity):
            return False  # the core refuses it, as it refuses every moderator command
        try:
            view = dict(form_view(form, identity.channel))
        except FormTooBig as exc:
            log.info("slack: no form for /%s: %s", form.spec.name, exc)
            return False  # handled as typed, and the core says what is missing
        try:
            await client.views_open(trigger_id=str(body["trigger_id"]), view=view)
        except SlackApiError as exc:
            log.warning("slack: could not open the form for /%s: %s", form.spec.name, exc.response.get("error"))
            failed = error_reply(
                "I could not open the form.", "Type the command again: Slack opens a form only within 3 seconds."
            )
            await self._send(failed, body, respond, client, interactive=False)
        return True

    async def _open_asked(self, reply: Reply, body: dict[str, Any], identity: Identity, client: AsyncWebClient) -> bool:
        """Open the form a pressed button's reply asks for (Report); False to send the reply instead,
        whose text says what to type."""
        assert reply.form is not None
        form = asked_form(self.core.registry, reply.form)
        if form is None:
            return False
        try:
            view = dict(form_view(form, identity.channel))
            await client.views_open(trigger_id=str(body["trigger_id"]), view=view)
        except (FormTooBig, SlackApiError) as exc:
            log.warning("slack: could not open the form for /%s: %s", form.spec.name, exc)
            return False
        return True

    async def _on_form(
        self, ack: Callable[..., Awaitable[None]], body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A submitted form: kept open with its fields marked when a file option got neither a file
        nor text (or both), else closed at once by the ack and handled as its command; the answer is
        posted in the channel it was opened from (a view has no response URL)."""
        errors = form_errors(view)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        self._track()
        workspace = workspace_of(body)
        user = str(body["user"]["id"])
        channel = form_channel(view)
        with log_context(platform="slack", workspace=workspace, channel=channel):
            member = await self.members.lookup(workspace, user, client=client)
            identity = dataclasses.replace(
                action_identity(
                    body, display_name=member.display_name, is_moderator=member.is_moderator, groups=member.groups
                ),
                channel=channel,
            )
            reply = await self._form_reply(view, identity, client)
            if reply.duplicate:
                return
            reply = await deliver_file(client, reply, channel, user)
            await self._post_to(reply, self._message(reply), channel, user, client)

    async def _form_reply(self, view: dict[str, Any], identity: Identity, client: AsyncWebClient) -> Reply:
        """Read the files picked in the form (the adapter's I/O), then ask the core."""
        spec = self.core.registry.commands.get(form_command(view))
        uploads: dict[str, Upload] = {}
        for name, file_id in form_files(view).items():
            option = spec.option(name) if spec is not None else None
            if option is None:
                continue
            try:
                uploads[name] = await read_upload(client, client.token or "", file_id, file_limit(option))
            except UploadUnavailable as exc:
                log.warning("slack: could not read a picked file: %s", exc)
                return error_reply(
                    f"I could not fetch {code(exc.name[:80])} from Slack ({esc(exc.reason)}).",
                    "If that says `missing_scope`, the app needs the files:read scope: update it with "
                    "`studybot slack manifest` and reinstall it. Nothing was changed.",
                )
        return await self.core.handle(form_request(view, identity, f"slack:view:{view.get('id', '')}", uploads))

    async def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("slack: unhandled error: %r", error, exc_info=error, extra={"workspace": workspace_of(body or {})})

    def _track(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    # -- answering ------------------------------------------------------------------------------

    @staticmethod
    def _message(reply: Reply) -> Message:
        try:
            return render(reply)
        except RenderError:
            ref = new_reference()
            log.exception("slack: reply could not be rendered (ref %s)", ref, extra={"ref": ref})
            return render(internal_error_reply(ref))

    async def _send(
        self, reply: Reply, body: Mapping[str, Any], respond: Respond, client: AsyncWebClient, *, interactive: bool
    ) -> None:
        """Answer through the response URL; post with the bot token only when there is none (or it failed).
        A file the reply carries is uploaded first (see `files`), so the answer can say where it went."""
        if reply.attachment is not None:
            channel, user = self._where(body, interactive=interactive)
            reply = await deliver_file(client, reply, channel, user)
        message = self._message(reply)
        replace = interactive and reply.replace
        kwargs: dict[str, Any] = {"text": message["text"], "blocks": message["blocks"]}
        if replace:
            kwargs["replace_original"] = True
        else:
            kwargs["response_type"] = "ephemeral" if reply.ephemeral else "in_channel"
            if interactive:
                kwargs["replace_original"] = False
        if body.get("response_url"):
            result = await respond(**kwargs)
            if result.status_code == 200:
                return
            log.warning("slack: response_url answered %s %s; posting instead", result.status_code, result.body)
        await self._post_instead(reply, message, body, client, interactive=interactive)

    @staticmethod
    def _where(body: Mapping[str, Any], *, interactive: bool) -> tuple[str, str]:
        """The channel a command or press came from, and who sent it."""
        channel = action_channel(body) if interactive else str(body.get("channel_id", ""))
        user = body["user"]["id"] if interactive else body["user_id"]
        return channel, str(user)

    async def _post_instead(
        self, reply: Reply, message: Message, body: Mapping[str, Any], client: AsyncWebClient, *, interactive: bool
    ) -> None:
        channel, user = self._where(body, interactive=interactive)
        await self._post_to(reply, message, channel, user, client)

    async def _post_to(self, reply: Reply, message: Message, channel: str, user: str, client: AsyncWebClient) -> None:
        """Post with the bot token: privately to `user` for an ephemeral reply, else to the channel."""
        try:
            if reply.ephemeral:
                await client.chat_postEphemeral(
                    channel=channel, user=user, text=message["text"], blocks=wire_blocks(message)
                )
            else:
                await client.chat_postMessage(channel=channel, text=message["text"], blocks=wire_blocks(message))
        except SlackApiError as exc:
            log.warning("slack: could not answer: %s", exc.response.get("error"), extra={"channel": channel})


def _oauth_problems(settings: Settings) -> list[str]:
    """What "Add to Slack" still needs, each with its fix; the values themselves are never shown."""
    problems = []
    if settings.slack_client_id is None or settings.slack_client_secret is None:
        problems.append("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET: set both (Basic Information → App Credentials)")
    if settings.token_key is None:
        problems.append(
            "STUDYBOT_TOKEN_KEY: required with SLACK_CLIENT_ID, to encrypt each workspace's bot token; "
            + TOKEN_KEY_HINT
        )
    if settings.slack_bot_token is not None:
        problems.append(
            "SLACK_BOT_TOKEN: leave it unset with SLACK_CLIENT_ID (each workspace that installs the app gets its own "
            "token), or unset SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to run in one workspace"
        )
    return problems


_INSTALL_FAILURES = {
    "invalid_browser": "This install was started in another browser, or the browser dropped its cookie.",
    "invalid_state": "This install link has expired (it works for 10 minutes, once) or was already used.",
    "access_denied": "The install was cancelled in Slack; nothing was installed.",
    "missing_code": "Slack sent no install code back; nothing was installed.",
    "invalid_code": "Slack did not accept the install code (it may have been used already); nothing was installed.",
    "storage_error": "The install could not be saved; nothing was installed. Try again in a minute.",
}


def _page(status: int, heading: str, body_html: str) -> BoltResponse:
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>studybot</title></head>'
        f"<body><h1>{html.escape(heading)}</h1><p>{body_html}</p></body></html>"
    )
    return BoltResponse(status=status, body=page, headers={"Content-Type": "text/html; charset=utf-8"})


async def _installed(args: AsyncSuccessArgs) -> BoltResponse:
    """The default success page (it opens Slack on the new workspace), with the workspace logged."""
    installation = args.installation
    log.info("slack: added to workspace %s", installation.team_id or installation.enterprise_id)
    return await args.default.success(args)
