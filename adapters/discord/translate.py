"""Interaction → Request / Action: the only place Discord objects become core values.

Identity: the workspace is the guild id, the channel the channel id; `is_moderator` comes from the
member's permissions in the interaction payload (Manage Server, or Administrator which implies it),
which Discord computes, so no extra REST call or member cache is needed. `roles` are the member's
role ids, for the core's configured moderator roles. Option values arrive already typed by
discord.py; users, channels and roles become their ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord

from bot.commands.spec import CommandSpec
from bot.requests import Action, Identity, Request


def identity_of(interaction: discord.Interaction) -> Identity:
    user = interaction.user
    roles: tuple[str, ...] = ()
    if isinstance(user, discord.Member):
        roles = tuple(str(role.id) for role in user.roles if not role.is_default())
    permissions = interaction.permissions
    return Identity(
        platform="discord",
        workspace=str(interaction.guild_id) if interaction.guild_id is not None else "dm",
        channel=str(interaction.channel_id or ""),
        user_id=str(user.id),
        user_name=user.display_name,
        is_moderator=bool(interaction.guild_id) and (permissions.manage_guild or permissions.administrator),
        roles=roles,
    )


def option_value(value: object) -> object:
    """A typed option value as the core takes it: ids for Discord objects, the rest unchanged."""
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, discord.abc.Snowflake):
        return str(value.id)
    return str(value)


def to_request(interaction: discord.Interaction, spec: CommandSpec, options: Mapping[str, object]) -> Request:
    values = {name: option_value(v) for name, v in options.items() if v is not None}
    return Request(identity_of(interaction), spec.path, values)


def to_action(interaction: discord.Interaction) -> Action:
    data: Mapping[str, Any] = interaction.data or {}  # type: ignore[assignment]
    custom_id = str(data.get("custom_id", ""))
    values = tuple(str(v) for v in data.get("values") or ())
    message = interaction.message
    return Action(
        identity_of(interaction),
        custom_id,
        values=values,
        message_id=str(message.id) if message is not None else None,
    )
