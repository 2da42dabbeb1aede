"""Declarations: every command and button is declared once here, as data.

Adapters build Discord application commands, the Slack manifest, the console parser and `/help` from
these declarations and from nothing else.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.actions import ActionId
from bot.replies import Field, Reply
from bot.requests import Action, Identity, Request
from bot.services import Services
from bot.store.members import Member


class OptionType(enum.StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    CHANNEL = "channel"
    USER = "user"
    MENTIONABLE = "mentionable"  # a user or a role / user group
    FILE = "file"  # a file the member gives: each adapter reads it into an `Upload`; the core sees its text


class Permission(enum.StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"


@dataclass(frozen=True, slots=True)
class Choice:
    """One allowed value; `aliases` are other spellings a typed line may use (`mon` for `monday`),
    accepted as the value but never listed, so menus and help show each choice once."""

    name: str
    value: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One option.

    `choices_source` names a dynamic list (for example "exam_codes") the core can complete against;
    `rest` marks a free-text option that takes the rest of a typed line verbatim (console and Slack).
    `max_length` bounds a string's characters, and a file's bytes (`options.file_limit`).
    """

    name: str
    type: OptionType
    description: str
    required: bool = False
    choices: tuple[Choice, ...] = ()
    choices_source: str | None = None
    rest: bool = False
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None


Options = Mapping[str, Any]
ChoiceSourceFn = Callable[[Services, str], list[Choice]]
Handler = Callable[[Request, Options, Services], Awaitable[Reply]]
ActionHandler = Callable[[Action, ActionId, Services], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A slash command at `path`: ("help",) or ("studyadmin", "schedule", "add")."""

    path: tuple[str, ...]
    description: str
    handler: Handler
    options: tuple[OptionSpec, ...] = ()
    permission: Permission = Permission.MEMBER
    slow: bool = False  # may take over a second: Discord defers, Slack already acks first
    examples: tuple[str, ...] = ()  # typed lines, shown by /help and replayed by every adapter's tests

    @property
    def name(self) -> str:
        return " ".join(self.path)

    def option(self, name: str) -> OptionSpec | None:
        wanted = name.casefold()
        return next((o for o in self.options if o.name == wanted), None)


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A named group of subcommands; only its description is declared, its children are commands."""

    path: tuple[str, ...]
    description: str
    permission: Permission = Permission.MEMBER


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """What a button or select of a given kind does when pressed."""

    kind: str
    handler: ActionHandler
    permission: Permission = Permission.MEMBER


# -- what one feature contributes to another, declared like commands -------------------------------


@dataclass(frozen=True, slots=True)
class ProfileSection:
    """Lines a feature adds to `/profile` (the certifications a member holds, …)."""

    name: str
    fields: Callable[[Request, Member, Services], Awaitable[list[Field]]]


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """A feature's share of every delivery run (`deliver-due` and the scheduler's wake-ups): it is
    given the time and returns how many messages it sent, each claimed once by its own key."""

    name: str
    run: Callable[[Services, dt.datetime], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class DeletionStep:
    """What `/profile delete` must also remove, inside the same transaction, beyond the member's rows
    (which foreign keys cascade); returns how many rows it removed. `export` reads the same rows for
    `/profile export`, so what a member can see is what they can delete."""

    name: str
    run: Callable[[AsyncConnection, Identity], Awaitable[int]]
    export: Callable[[AsyncConnection, Identity], Awaitable[list[dict[str, object]]]]
