"""What crosses the seam inward: plain frozen values built by adapters from platform events."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Platform = Literal["console", "discord", "slack"]

_EMPTY: Mapping[str, object] = MappingProxyType({})

# What the store holds (bot/store/schema.py): every workspace, channel and user id column is 64
# characters, display names 200, a configured moderator (user, role or user group) 100.
ID_MAX = 64
NAME_MAX = 200
ROLE_MAX = 100
ACTION_ID_MAX = 255  # Slack's limit for an action id; Discord's custom_id holds 100
VALUE_MAX = 150  # Slack's limit for a menu option's value; Discord's holds 100
VALUES_MAX = 25  # options in one Discord or Slack menu
MESSAGE_ID_MAX = 100  # schedule_deliveries.message_id
DELIVERY_ID_MAX = 200  # claims.key
NUMBER_MAX = 2**63 - 1  # a number a button carries (a row id, a time in ms) fits SQLite's 64-bit INTEGER
# A field of an action id that is all digits and long enough to exceed NUMBER_MAX (19 digits or more).
# One search per press: this runs on every button of a burst, where splitting and parsing each field cost
# a measurable share of a press.
_LONG_NUMBER = re.compile(r"(?:^|:)([0-9]{19,})(?=:|$)")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_HINT = "Remove it or type that part again; nothing was changed."
BOUNDS_HINT = "Nothing was changed. Shorter names work (in the console: --user, --channel, --workspace)."


def unstorable(text: str) -> str | None:
    """What in `text` no column can hold, said for a member ("a NUL character at position 4"), or None.

    A NUL byte is refused by PostgreSQL; a lone surrogate (half of a broken emoji, which JSON and
    Python strings allow) cannot be encoded as UTF-8, so SQLite and PostgreSQL both fail on it.
    """
    bad = _UNSTORABLE.search(text)
    if bad is None:
        return None
    what = "a NUL character" if bad.group() == "\x00" else "a broken character (half of an emoji or symbol)"
    return f"{what} at position {bad.start() + 1:,}"


def _display(name: str) -> str:
    """A display name as the store holds it: unstorable characters replaced, cut to NAME_MAX."""
    name = _UNSTORABLE.sub("\ufffd", name)
    return name if len(name) <= NAME_MAX else name[: NAME_MAX - 1] + "…"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is talking, and where.

    Ids are the platform's own; the store namespaces them by platform and workspace so that one
    database can serve Discord guilds, Slack workspaces and the console at once.
    """

    platform: Platform
    workspace: str
    channel: str
    user_id: str
    user_name: str
    is_moderator: bool = False
    roles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Bounded here, where every adapter builds one. A display name is only shown, so it is mended;
        # a role no configured moderator can name (too long, unstorable) can never match, so it is dropped.
        object.__setattr__(self, "user_name", _display(self.user_name))
        if self.roles and any(len(role) > ROLE_MAX or unstorable(role) for role in self.roles):
            kept = tuple(role for role in self.roles if len(role) <= ROLE_MAX and not unstorable(role))
            object.__setattr__(self, "roles", kept)

    @property
    def problem(self) -> str | None:
        """Why the store cannot hold this identity's ids (they cannot be mended like a name), or None."""
        for label, value in (("workspace", self.workspace), ("channel", self.channel), ("user", self.user_id)):
            bad = unstorable(value)
            if bad is not None:
                return f"This {label}'s id contains {bad}, which I can't store."
            if len(value) > ID_MAX:
                return f"This {label}'s id is {len(value):,} characters long; I can store at most {ID_MAX}."
        return None


@dataclass(frozen=True, slots=True)
class Upload:
    """A file given with a command, as its adapter read it (a Discord attachment, the text of a Slack
    form, a console path): the core never fetches or opens anything itself.

    `size` is the whole file's size in bytes when the adapter did not read it all (it was too big to);
    otherwise it is None and `data` is the whole file.
    """

    name: str
    data: bytes
    size: int | None = None


@dataclass(frozen=True, slots=True)
class Request:
    """A slash command: its path (`("studyadmin", "schedule", "add")`) and raw option values.

    Values may be strings (console, Slack) or already typed (Discord); the core coerces both. A file
    option's value is an `Upload`.
    """

    identity: Identity
    command: tuple[str, ...]
    options: Mapping[str, object] = field(default_factory=lambda: _EMPTY)
    now: dt.datetime | None = None
    delivery_id: str | None = None
    moderator: bool = False
    """Filled in by the dispatcher: platform-granted or configured moderator."""

    @property
    def problem(self) -> str | None:
        """Why the core cannot take this request as it is (see `Identity.problem`), or None."""
        return self.identity.problem or _bounded("delivery id", self.delivery_id, DELIVERY_ID_MAX)

    @property
    def command_name(self) -> str:
        return " ".join(self.command)

    def stamped(self, now: dt.datetime, moderator: bool) -> Request:
        """This request as the dispatcher hands it on: `dataclasses.replace(self, now=…, moderator=…)`,
        spelled out because `replace` walks the fields on every call (tests keep the two equal)."""
        return Request(self.identity, self.command, self.options, now, self.delivery_id, moderator)

    @property
    def at(self) -> dt.datetime:
        """When the request arrived; the dispatcher stamps every request before a handler sees it."""
        return _stamped(self.now)


@dataclass(frozen=True, slots=True)
class Action:
    """A button press or select choice, carrying the opaque action id it was rendered with."""

    identity: Identity
    action_id: str
    values: tuple[str, ...] = ()
    now: dt.datetime | None = None
    message_id: str | None = None
    delivery_id: str | None = None
    moderator: bool = False
    """Filled in by the dispatcher: platform-granted or configured moderator."""

    @property
    def problem(self) -> str | None:
        """Why the core cannot take this press as it is (see `Identity.problem`), or None.

        Asked for every press of a burst, where nearly every press is fine: one search over all the
        press's texts and a length check each settle that case; only a press that fails them goes
        through the field-by-field checks below, which say what is wrong."""
        if _fits(self) and _LONG_NUMBER.search(self.action_id) is None:
            return None
        if len(self.values) > VALUES_MAX:
            return f"That press carries {len(self.values):,} choices; at most {VALUES_MAX} fit."
        if any(int(m.group(1)[:20]) > NUMBER_MAX for m in _LONG_NUMBER.finditer(self.action_id)):
            return "That button is damaged: it carries a number larger than any I store."
        return (
            self.identity.problem
            or _bounded("button", self.action_id, ACTION_ID_MAX)
            or _bounded("message id", self.message_id, MESSAGE_ID_MAX)
            or _bounded("delivery id", self.delivery_id, DELIVERY_ID_MAX)
            or next(filter(None, (_bounded("choice", value, VALUE_MAX) for value in self.values)), None)
        )

    @property
    def at(self) -> dt.datetime:
        """When the press arrived; the dispatcher stamps every action before a handler sees it."""
        return _stamped(self.now)

    def stamped(self, now: dt.datetime, moderator: bool) -> Action:
        """This press as the dispatcher hands it on: `dataclasses.replace(self, now=…, moderator=…)`,
        spelled out because `replace` walks the fields on every press of a burst (tests keep the two
        equal)."""
        return Action(self.identity, self.action_id, self.values, now, self.message_id, self.delivery_id, moderator)


def _fits(action: Action) -> bool:
    """True when none of `Action.problem`'s checks can fail (a long number aside): every id within its
    length, no unstorable character in any of them. Never True for a press those checks refuse."""
    identity = action.identity
    values = action.values
    message_id = action.message_id or ""
    delivery_id = action.delivery_id or ""
    if (
        len(values) > VALUES_MAX
        or len(identity.workspace) > ID_MAX
        or len(identity.channel) > ID_MAX
        or len(identity.user_id) > ID_MAX
        or len(action.action_id) > ACTION_ID_MAX
        or len(message_id) > MESSAGE_ID_MAX
        or len(delivery_id) > DELIVERY_ID_MAX
        or any(len(value) > VALUE_MAX for value in values)
    ):
        return False
    texts = (identity.workspace, identity.channel, identity.user_id, action.action_id, message_id, delivery_id)
    return _UNSTORABLE.search("".join(texts + values)) is None


def _bounded(label: str, value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    bad = unstorable(value)
    if bad is not None:
        return f"The {label} contains {bad}, which I can't store."
    if len(value) > limit:
        return f"The {label} is {len(value):,} characters long; at most {limit:,} fit."
    return None


def _stamped(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        raise RuntimeError("handlers receive requests through Core.handle, which stamps the time")
    return now
