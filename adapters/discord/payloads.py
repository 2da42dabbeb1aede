"""TypedDicts for the Discord JSON this adapter builds: embeds, components and message bodies.

They mirror the shapes in Discord's message and component references (and discord.py's own
`discord/types/`), restricted to the fields studybot uses. The core never imports them.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict


class EmbedFieldPayload(TypedDict):
    name: str
    value: str
    inline: bool


class EmbedFooterPayload(TypedDict):
    text: str


class EmbedPayload(TypedDict):
    type: Literal["rich"]
    title: NotRequired[str]
    description: NotRequired[str]
    fields: NotRequired[list[EmbedFieldPayload]]
    footer: NotRequired[EmbedFooterPayload]


class ButtonPayload(TypedDict):
    type: Literal[2]
    style: int  # 1 primary, 2 secondary, 3 success, 4 danger
    label: str
    custom_id: str


class SelectOptionPayload(TypedDict):
    label: str
    value: str
    description: NotRequired[str]


class StringSelectPayload(TypedDict):
    type: Literal[3]
    custom_id: str
    placeholder: str
    min_values: int
    max_values: int
    options: list[SelectOptionPayload]


class ActionRowPayload(TypedDict):
    type: Literal[1]
    components: list[ButtonPayload | StringSelectPayload]


class AllowedMentionsPayload(TypedDict):
    parse: list[str]  # always empty: nothing is pinged by parsing the content
    roles: NotRequired[list[str]]  # the one role a scheduled prompt may ping, when it has one


class MessagePayload(TypedDict):
    """The body of one message as studybot sends it (content, embeds, components, mentions off but one role)."""

    content: NotRequired[str]
    embeds: list[EmbedPayload]
    components: list[ActionRowPayload]
    allowed_mentions: AllowedMentionsPayload
    flags: NotRequired[int]


class CommandChoicePayload(TypedDict):
    name: str
    value: str | int | float


class CommandOptionPayload(TypedDict, total=False):
    """One option, subcommand or subcommand group of an application command."""

    type: int
    name: str
    description: str
    required: bool
    choices: list[CommandChoicePayload]
    autocomplete: bool
    options: list[CommandOptionPayload]
    min_value: int | float
    max_value: int | float
    max_length: int
    channel_types: list[int]


class ApplicationCommandPayload(TypedDict, total=False):
    """A top-level CHAT_INPUT command as `PUT /applications/{id}/commands` takes it."""

    name: str
    description: str
    type: int
    options: list[CommandOptionPayload]
    nsfw: bool
    dm_permission: bool
    default_member_permissions: int | str | None
    contexts: list[int] | None
    integration_types: list[int] | None
