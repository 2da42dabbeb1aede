"""Interaction → Request / Action: the only place Discord objects become core values.

Identity: the workspace is the guild id, the channel the channel id; `is_moderator` comes from the
member's permissions in the interaction payload (Manage Server, or Administrator which implies it),
which Discord computes, so no extra REST call or member cache is needed. `roles` are the member's
role ids, for the core's configured moderator roles. Option values arrive already typed by
discord.py; users, channels and roles become their ids, and an attachment becomes an `Upload` of its
bytes, fetched from Discord's CDN by `read_attachments` (the only I/O here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
import discord

from bot.commands.options import file_limit
from bot.commands.spec import CommandSpec
from bot.requests import Action, Identity, Request, Upload


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
    if isinstance(value, bool | int | float | str | Upload):
        return value
    if isinstance(value, discord.abc.Snowflake):
        return str(value.id)
    return str(value)


class AttachmentUnavailable(Exception):
    """Discord's CDN would not hand over an attachment (deleted, expired, or an outage)."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename


async def read_attachments(spec: CommandSpec, options: Mapping[str, object]) -> dict[str, object]:
    """The options with each attachment replaced by an `Upload` of its bytes: the one read of this
    module, bounded by the option's limit (a file Discord says is bigger is not downloaded at all,
    and the core then says it is too big)."""
    out = dict(options)
    for name, value in options.items():
        option = spec.option(name)
        if not isinstance(value, discord.Attachment) or option is None:
            continue
        limit = file_limit(option)
        if value.size > limit:
            out[name] = Upload(value.filename, b"", size=value.size)
            continue
        try:
            data = await value.read()
        except (discord.HTTPException, aiohttp.ClientError) as exc:
            raise AttachmentUnavailable(value.filename, str(exc)) from exc
        out[name] = Upload(value.filename, data[: limit + 1], size=max(value.size, len(data)))
    return out


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
