"""The Discord adapter: a discord.py client wired to the core, opened and closed with `async with`.

`DiscordAdapter(core, settings)` logs in, registers the command tree generated from the registry and
the dynamic component handler, connects to the gateway (sharded when `DISCORD_SHARD_COUNT` is set:
`AutoShardedClient` for several shards in this process, a plain `Client` with `shard_id` for one of
`DISCORD_SHARD_IDS`) and waits for READY. It needs no privileged intent:
slash commands and button presses arrive as interactions, and the only intent asked for is `guilds`
(so the role cache can name a member's roles). Commands are never synced here; at start the adapter
only compares what Discord has with what is declared and logs a warning telling you to run
`studybot discord sync` when they differ.
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Any

import discord
from discord import app_commands

from adapters.discord.commands import command_payload, install
from adapters.discord.components import ActionItem
from adapters.discord.forms import form_modal
from adapters.discord.poster import DiscordPoster
from adapters.discord.respond import Sleep, answer_command, answer_component, apologise
from adapters.discord.translate import AttachmentUnavailable, read_attachments, to_action, to_request
from bot.commands.dispatch import Core
from bot.commands.spec import CommandSpec
from bot.errors import ConfigurationError, new_reference
from bot.log import log_context
from bot.markup import code
from bot.replies import Reply, error_reply, internal_error_reply
from bot.settings import Settings

log = logging.getLogger(__name__)

MIN_RATELIMIT_TIMEOUT = 30.0  # discord.py's floor; longer 429s come back to the Poster as RATE_LIMITED


def intents() -> discord.Intents:
    """Only `guilds`: no message content, no members, no presences (none of them privileged)."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    return chosen


class InteractionBridge:
    """Where interactions meet the core: translate, `Core.handle`, answer. No business logic."""

    def __init__(self, core: Core, *, defer_after: float, sleep: Sleep = asyncio.sleep) -> None:
        self.core = core
        self.defer_after = defer_after
        self.sleep = sleep

    async def run_command(
        self, interaction: discord.Interaction, spec: CommandSpec, options: dict[str, object]
    ) -> None:
        with _context(interaction, spec.name):
            deferred = await answer_command(
                interaction,
                self._handle(interaction, spec, options),
                slow=spec.slow,
                defer_after=self.defer_after,
                sleep=self.sleep,
            )
            log.info("answered /%s%s", spec.name, " (deferred)" if deferred else "")

    async def _handle(self, interaction: discord.Interaction, spec: CommandSpec, options: dict[str, object]) -> Reply:
        """Read any attachment, inside the answer so a slow download is deferred like a slow core; then ask the core."""
        try:
            read = await read_attachments(spec, options)
        except AttachmentUnavailable as exc:
            log.warning("could not download an attachment for /%s: %s", spec.name, exc)
            return error_reply(
                f"I could not download {code(exc.filename[:80])} from Discord.",
                "Attach it again in a new command; nothing was changed.",
            )
        return await self.core.handle(to_request(interaction, spec, read))

    async def run_component(self, interaction: discord.Interaction) -> None:
        action = to_action(interaction)
        kind = action.action_id.split(":", 1)[0][:24]
        with _context(interaction, kind):
            try:
                await answer_component(
                    interaction,
                    self.core.handle(action),
                    defer_after=self.defer_after,
                    sleep=self.sleep,
                    open_form=lambda reply: self._open_form(interaction, reply),
                )
            except (discord.HTTPException, discord.InteractionResponded) as exc:
                # The one catch at this edge: discord.py would otherwise log and drop it silently.
                ref = new_reference()
                log.exception("answering a press failed (ref %s)", ref)
                await _try_apologise(interaction, exc, ref)

    async def _open_form(self, interaction: discord.Interaction, reply: Reply) -> bool:
        """Answer a press with the modal its reply asks for (see `forms`); False when there is none."""
        assert reply.form is not None
        modal = form_modal(self.core.registry, reply.form, str(interaction.id), self._submit_form)
        if modal is None:
            return False
        await interaction.response.send_modal(modal)
        return True

    async def _submit_form(
        self, interaction: discord.Interaction, spec: CommandSpec, options: dict[str, object]
    ) -> None:
        """A submitted form is its command, as if typed; answered like a slash command."""
        with _context(interaction, spec.name):
            await answer_command(
                interaction,
                self.core.handle(to_request(interaction, spec, options)),
                slow=spec.slow,
                defer_after=self.defer_after,
                sleep=self.sleep,
            )
            log.info("answered the /%s form", spec.name)

    async def complete(self, interaction: discord.Interaction, source: str, current: str) -> list[tuple[str, str]]:
        return [(choice.name, choice.value) for choice in self.core.complete(source, current)]


def _context(interaction: discord.Interaction, command: str) -> Any:
    return log_context(
        platform="discord",
        workspace=str(interaction.guild_id) if interaction.guild_id else None,
        channel=str(interaction.channel_id) if interaction.channel_id else None,
        command=command,
    )


async def _try_apologise(interaction: discord.Interaction, error: BaseException, ref: str) -> None:
    reply = internal_error_reply(ref)
    try:
        await apologise(interaction, reply)
    except discord.HTTPException:
        log.warning("could not tell the member about ref %s either: %s", ref, error)


class StudybotTree(app_commands.CommandTree[discord.Client]):
    """The command tree; its error hook turns library errors into replies instead of silence."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError, /) -> None:
        name = interaction.command.qualified_name if interaction.command else "?"
        with _context(interaction, name):
            if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
                log.warning("/%s does not match the declared commands: %s", name, error)
                reply = error_reply(
                    "This command has changed since it was last synced.",
                    "Ask whoever runs the bot to run `studybot discord sync`.",
                )
            elif isinstance(error, app_commands.TransformerError):
                log.info("could not read an option of /%s: %s", name, error)
                reply = error_reply("I could not read one of the options.", "Pick it from the list Discord offers.")
            else:
                ref = new_reference()
                log.error("error in /%s (ref %s)", name, ref, exc_info=error)
                await _try_apologise(interaction, error, ref)
                return
            try:
                await apologise(interaction, reply)
            except discord.HTTPException as exc:
                log.warning("could not answer /%s with an error: %s", name, exc)


class StudybotClient(discord.Client):
    """A client that knows its bridge, so dynamic items can reach the core after a restart."""

    def __init__(self, bridge: InteractionBridge, **options: Any) -> None:
        super().__init__(**options)
        self.studybot = bridge


class ShardedStudybotClient(discord.AutoShardedClient):
    """The same, for bots in enough servers to need several gateway shards."""

    def __init__(self, bridge: InteractionBridge, *, identify_delay: float, **options: Any) -> None:
        super().__init__(**options)
        self.studybot = bridge
        self.identify_delay = identify_delay

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # Discord allows one IDENTIFY per 5 s per bucket (max_concurrency 1 for most bots).
        if not initial:
            await asyncio.sleep(self.identify_delay)


class DiscordAdapter:
    """`async with DiscordAdapter(core, settings) as discord:` — connected and READY inside the block.

    Args:
        core: the platform-neutral core.
        settings: read for the token, application id, guild ids and sharding.
        guild_ready_timeout: how long discord.py waits for GUILD_CREATEs after READY.
        defer_after: seconds after which an unfinished answer is deferred (well inside Discord's 3 s).
        defer_sleep: how that wait is slept (tests pass one they control).
        ready_timeout: how long to wait for READY before giving up.
        identify_delay: seconds between shard IDENTIFYs (Discord's rule is 5 s).
    """

    def __init__(
        self,
        core: Core,
        settings: Settings,
        *,
        guild_ready_timeout: float = 2.0,
        defer_after: float = 2.0,
        defer_sleep: Sleep = asyncio.sleep,
        ready_timeout: float = 60.0,
        identify_delay: float = 5.0,
    ) -> None:
        if settings.discord_token is None:
            raise ConfigurationError(["DISCORD_TOKEN: required to connect to Discord"])
        self.core = core
        self.settings = settings
        self.bridge = InteractionBridge(core, defer_after=defer_after, sleep=defer_sleep)
        self._guild_ready_timeout = guild_ready_timeout
        self._ready_timeout = ready_timeout
        self._identify_delay = identify_delay
        self._client: discord.Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._poster: DiscordPoster | None = None

    @property
    def sharded(self) -> bool:
        """Whether the bot is split into gateway shards (the settings have already checked the ids)."""
        return self.settings.discord_shard_count is not None

    @property
    def client(self) -> discord.Client:
        if self._client is None:
            raise RuntimeError("the Discord adapter is not open; use `async with DiscordAdapter(...)`")
        return self._client

    @property
    def poster(self) -> DiscordPoster:
        if self._poster is None:
            raise RuntimeError("the Discord adapter is not open; use `async with DiscordAdapter(...)`")
        return self._poster

    @property
    def connected(self) -> bool:
        """Whether the gateway is up (READY received and not closed since), for `/readyz`; False
        before the block is entered and after it ends, never an error."""
        client = self._client
        return client is not None and client.is_ready() and not client.is_closed()

    def _make_client(self) -> discord.Client:
        options: dict[str, Any] = {
            "intents": intents(),
            "allowed_mentions": discord.AllowedMentions.none(),
            "guild_ready_timeout": self._guild_ready_timeout,
            "max_ratelimit_timeout": MIN_RATELIMIT_TIMEOUT,
        }
        if self.settings.discord_application_id is not None:
            options["application_id"] = self.settings.discord_application_id
        count, ids = self.settings.discord_shard_count, self.settings.discord_shard_ids
        if count is not None and len(ids) == 1:
            # One shard of several: discord.py's plain Client identifies as [shard_id, shard_count].
            return StudybotClient(self.bridge, shard_id=ids[0], shard_count=count, **options)
        if count is not None:
            # Several shards here (all of them without ids): one gateway session each, one client.
            return ShardedStudybotClient(
                self.bridge,
                identify_delay=self._identify_delay,
                shard_count=count,
                shard_ids=list(ids) or None,
                **options,
            )
        return StudybotClient(self.bridge, **options)

    async def __aenter__(self) -> DiscordAdapter:
        client = self._client = self._make_client()
        tree = StudybotTree(client)
        install(tree, self.core.registry, self.bridge)
        client.add_dynamic_items(ActionItem)
        token = self.settings.discord_token
        assert token is not None
        try:
            await client.login(token.get_secret_value())
            self._task = asyncio.create_task(client.connect(), name="studybot-discord-gateway")
            await self._wait_ready()
            await self._compare_commands()
        except BaseException:
            await self._close()
            raise
        self._poster = DiscordPoster(client)
        log.info(
            "discord ready as %s in %d guild(s)%s",
            client.user,
            len(client.guilds),
            f", shards {client.shard_count}" if self.sharded else "",
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._close()

    async def _wait_ready(self) -> None:
        assert self._client is not None and self._task is not None
        ready = asyncio.ensure_future(self._client.wait_until_ready())
        try:
            done, _ = await asyncio.wait(
                {ready, self._task}, timeout=self._ready_timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            if not ready.done():
                ready.cancel()
        if ready in done:
            return
        if self._task in done:
            error = self._task.exception()
            raise error if error is not None else RuntimeError("the Discord gateway closed before READY")
        raise TimeoutError(f"Discord did not send READY within {self._ready_timeout:.0f} s")

    async def _compare_commands(self) -> None:
        """Log, and only log, when Discord's registered commands differ from the declared ones."""
        client = self.client
        declared = _shape(command_payload(self.core.registry))  # type: ignore[arg-type]
        scopes: list[int | None] = list(self.settings.discord_guild_ids) or [None]
        for guild_id in scopes:
            try:
                assert client.application_id is not None
                if guild_id is None:
                    registered = await client.http.get_global_commands(client.application_id)
                else:
                    registered = await client.http.get_guild_commands(client.application_id, guild_id)
            except discord.HTTPException as exc:
                log.warning("could not read the registered commands: %s", exc)
                continue
            where = "globally" if guild_id is None else f"in guild {guild_id}"
            if _shape(registered) != declared:  # type: ignore[arg-type]
                log.warning(
                    "the commands registered %s differ from the declared ones; run `studybot discord sync`", where
                )
            else:
                log.info("the commands registered %s match the declared ones", where)

    async def _close(self) -> None:
        self._poster = None
        client, task = self._client, self._task
        self._task = None
        if client is not None and not client.is_closed():
            await client.close()
        if task is not None:
            done, _ = await asyncio.wait({task}, timeout=10)
            if not done:
                task.cancel()
                await asyncio.wait({task})
            elif not task.cancelled() and task.exception() is not None:
                # Already raised by `_wait_ready`, or the connection died while serving: say so once.
                log.debug("gateway task ended with %r", task.exception())


def _shape(commands: list[dict[str, Any]]) -> list[Any]:
    """The parts of a command list that matter to members, for comparing declared and registered."""

    def option(o: dict[str, Any]) -> tuple[Any, ...]:
        return (
            o.get("type"),
            o.get("name"),
            o.get("description"),
            bool(o.get("required")),
            tuple((c.get("name"), c.get("value")) for c in o.get("choices") or ()),
            bool(o.get("autocomplete")),
            tuple(option(x) for x in o.get("options") or ()),
        )

    return sorted(
        (
            c.get("name"),
            c.get("description"),
            str(c.get("default_member_permissions")),
            tuple(option(o) for o in c.get("options") or ()),
        )
        for c in commands
    )
