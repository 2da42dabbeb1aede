"""CommandSpec → discord.py application commands, and the exact payload a sync sends.

Everything comes from the registry: groups become `app_commands.Group`s, commands become
`app_commands.Command`s whose parameters are generated from the options (types, ranges, lengths,
fixed choices, autocomplete for options with a `choices_source`). Moderator commands carry
`default_member_permissions` = Manage Server; that is only a default server admins can change, so the
core checks again. Commands are guild-only: a member, their role and the study group all live in a
server. Nothing here talks to Discord; syncing is `studybot discord sync`.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Optional, Protocol, Union

import discord
from discord import app_commands

from adapters.discord.payloads import ApplicationCommandPayload
from bot.commands.registry import Registry
from bot.commands.spec import CommandSpec, OptionSpec, OptionType, Permission

AUTOCOMPLETE_LIMIT = 25
MODERATOR_PERMISSIONS = discord.Permissions(manage_guild=True)


class CommandSink(Protocol):
    """What a command invocation and an autocomplete request are handed to."""

    async def run_command(
        self, interaction: discord.Interaction, spec: CommandSpec, options: dict[str, object]
    ) -> None: ...

    async def complete(self, interaction: discord.Interaction, source: str, current: str) -> list[tuple[str, str]]:
        """(name, value) pairs for what the member has typed so far."""
        ...


_PLAIN: dict[OptionType, Any] = {
    OptionType.STRING: str,
    OptionType.INTEGER: int,
    OptionType.NUMBER: float,
    OptionType.BOOLEAN: bool,
    # Channels where messages can be posted: text, announcement and thread channels.
    OptionType.CHANNEL: Union[discord.TextChannel, discord.Thread],  # noqa: UP007 (discord.py reads typing.Union)
    OptionType.USER: discord.User,
    OptionType.MENTIONABLE: Union[discord.Member, discord.User, discord.Role],  # noqa: UP007
    OptionType.FILE: discord.Attachment,  # option type 11; the bridge reads it (translate.read_attachments)
}


def _annotation(option: OptionSpec) -> Any:
    """The Python annotation discord.py turns into this option's type, range and length."""
    kind: Any = _PLAIN[option.type]
    if option.type is OptionType.STRING and option.max_length is not None:
        kind = app_commands.Range[str, None, option.max_length]
    elif option.type in (OptionType.INTEGER, OptionType.NUMBER) and (
        option.min_value is not None or option.max_value is not None
    ):
        cast = int if option.type is OptionType.INTEGER else float
        low = None if option.min_value is None else cast(option.min_value)
        high = None if option.max_value is None else cast(option.max_value)
        kind = app_commands.Range[cast, low, high]  # type: ignore[valid-type]
    return kind if option.required else Optional[kind]  # noqa: UP045 (discord.py reads typing.Optional)


def _choice_value(option: OptionSpec, value: str) -> str | int | float:
    if option.type is OptionType.INTEGER:
        return int(value)
    if option.type is OptionType.NUMBER:
        return float(value)
    return value


def _autocomplete(
    sink: CommandSink | None, option: OptionSpec, source: str
) -> Callable[[discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[Any]]]]:
    async def complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[Any]]:
        if sink is None:
            return []
        pairs = await sink.complete(interaction, source, str(current))
        out: list[app_commands.Choice[Any]] = []
        for name, value in pairs[:AUTOCOMPLETE_LIMIT]:  # discord.py does not trim; Discord refuses more
            try:
                out.append(app_commands.Choice(name=name[:100], value=_choice_value(option, value[:100])))
            except ValueError:
                continue
        return out

    return complete


def build_command(spec: CommandSpec, sink: CommandSink | None) -> app_commands.Command[Any, ..., None]:
    """One slash command; option names map to safe Python names `o0`, `o1`, … and back."""
    by_py = {f"o{index}": option for index, option in enumerate(spec.options)}

    async def callback(interaction: discord.Interaction, **values: object) -> None:
        if sink is None:
            raise RuntimeError("commands built for a dry run cannot be invoked")
        options = {by_py[name].name: value for name, value in values.items() if value is not None}
        await sink.run_command(interaction, spec, options)

    parameters = [
        inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction)
    ]
    for py, option in by_py.items():
        parameters.append(
            inspect.Parameter(
                py,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(option),
                default=inspect.Parameter.empty if option.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = f"studybot_{'_'.join(spec.path)}".replace("-", "_")

    if by_py:
        app_commands.rename(**{py: o.name for py, o in by_py.items()})(callback)
        app_commands.describe(**{py: o.description for py, o in by_py.items()})(callback)
    choices = {
        py: [app_commands.Choice(name=c.name, value=_choice_value(o, c.value)) for c in o.choices]
        for py, o in by_py.items()
        if o.choices
    }
    if choices:
        app_commands.choices(**choices)(callback)
    completions = {
        py: _autocomplete(sink, o, o.choices_source) for py, o in by_py.items() if o.choices_source is not None
    }
    if completions:
        app_commands.autocomplete(**completions)(callback)  # type: ignore[arg-type]
    if len(spec.path) == 1:
        app_commands.guild_only()(callback)
        if spec.permission is Permission.MODERATOR:
            app_commands.default_permissions(manage_guild=True)(callback)
    return app_commands.Command(name=spec.path[-1], description=spec.description, callback=callback)


def _group_is_moderator(registry: Registry, path: tuple[str, ...]) -> bool:
    """Discord sets default permissions on top-level commands only: a group is for moderators when
    it says so or when every command under it is."""
    if registry.groups[path].permission is Permission.MODERATOR:
        return True
    below = [s for s in registry if s.path[: len(path)] == path]
    return bool(below) and all(s.permission is Permission.MODERATOR for s in below)


def build_commands(
    registry: Registry, sink: CommandSink | None
) -> list[app_commands.Command[Any, ..., None] | app_commands.Group]:
    """Every top-level command and group, in declaration order."""
    groups: dict[tuple[str, ...], app_commands.Group] = {}
    top: list[app_commands.Command[Any, ..., None] | app_commands.Group] = []
    for path, declared in registry.groups.items():
        top_level = len(path) == 1
        group = app_commands.Group(
            name=path[-1],
            description=declared.description,
            guild_only=top_level,
            allowed_contexts=app_commands.AppCommandContext(guild=True) if top_level else None,
            default_permissions=MODERATOR_PERMISSIONS if top_level and _group_is_moderator(registry, path) else None,
        )
        groups[path] = group
        if top_level:
            top.append(group)
        else:
            groups[path[:-1]].add_command(group)
    for spec in registry:
        command = build_command(spec, sink)
        if len(spec.path) == 1:
            top.append(command)
        else:
            groups[spec.path[:-1]].add_command(command)
    order = {name: index for index, name in enumerate(registry.top_level())}
    top.sort(key=lambda c: order.get(c.name, len(order)))
    return [c for c in top if not isinstance(c, app_commands.Group) or c.commands]


def install(tree: app_commands.CommandTree[Any], registry: Registry, sink: CommandSink | None) -> None:
    """Add every declared command to `tree` (globally; `sync --guild` copies them to a guild)."""
    for command in build_commands(registry, sink):
        tree.add_command(command)


def _quiet_intents() -> discord.Intents:
    """Intents for a client that never connects; `guilds` only to spare a warning about its absence."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    return chosen


def command_payload(registry: Registry) -> list[ApplicationCommandPayload]:
    """The exact JSON `CommandTree.sync` would send for `registry`: no token, no network."""
    client = discord.Client(intents=_quiet_intents())
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    install(tree, registry, None)
    payload = [command.to_dict(tree) for command in tree.get_commands()]
    # Round-trip through JSON so the result is exactly what goes over the wire.
    return json.loads(json.dumps(payload))  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one sync registered: `guild_id` None for the global scope."""

    guild_id: int | None
    names: tuple[str, ...]


async def sync_commands(
    token: str, registry: Registry, guild_ids: Sequence[int] = (), *, application_id: int | None = None
) -> list[SyncResult]:
    """Register the declared commands with Discord: in each guild given (instant), else globally.

    This is the only code that writes application commands; it runs on demand, never at start-up,
    because Discord allows 200 command creations per guild per day.
    """
    options: dict[str, Any] = {} if application_id is None else {"application_id": application_id}
    client = discord.Client(intents=_quiet_intents(), **options)
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    install(tree, registry, None)
    results: list[SyncResult] = []
    scopes: list[int | None] = list(guild_ids) or [None]
    async with client:
        await client.login(token)
        for guild_id in scopes:
            if guild_id is None:
                synced = await tree.sync()
            else:
                guild = discord.Object(id=guild_id)
                tree.copy_global_to(guild=guild)
                synced = await tree.sync(guild=guild)
            results.append(SyncResult(guild_id, tuple(c.name for c in synced)))
    return results
