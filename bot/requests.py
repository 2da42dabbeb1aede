"""What crosses the seam inward: plain frozen values built by adapters from platform events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Platform = Literal["console", "discord", "slack"]

_EMPTY: Mapping[str, object] = MappingProxyType({})


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
    def command_name(self) -> str:
        return " ".join(self.command)

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
    def at(self) -> dt.datetime:
        """When the press arrived; the dispatcher stamps every action before a handler sees it."""
        return _stamped(self.now)


def _stamped(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        raise RuntimeError("handlers receive requests through Core.handle, which stamps the time")
    return now
