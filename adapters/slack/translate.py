"""Slack payloads → the core's plain values: a typed command line, an `Identity`, an `Action`.

Slack apps get few slash commands, so the whole registry rides on two: `/study <command> …` for
everything and `/studyadmin <subcommand> …` for the `studyadmin` group. Both become the same typed
line the console uses (`/profile timezone:Europe/Berlin`), parsed by the core's one parser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.requests import Action, Identity

ADMIN_GROUP = "studyadmin"


# How Slack sends a user group typed as `@study-group` (with "escape channels, users and links" on).
_SUBTEAM = re.compile(r"<!subteam\^([A-Z0-9]+)(\|[^<>]*)?>")


def unescape(text: str) -> str:
    """Undo Slack's `&amp;`/`&lt;`/`&gt;` in typed text; mentions like `<@U1|ada>` stay as Slack sent them."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def command_line(text: str, *, admin: bool) -> str:
    """What a member typed after the slash command, as a core line.

    `/study` alone asks for help, `/study help` is `/help`; a leading slash typed out of habit
    (`/study /profile`) is tolerated. `/studyadmin schedule list` is `/studyadmin schedule list`, and a
    bare `/studyadmin` explains the moderator commands.
    """
    # A user group becomes the `<@ID|label>` form the core's option parser reads as one id, like a member.
    words = unescape(_SUBTEAM.sub(r"<@\1\2>", text)).strip()
    if words.startswith("/"):
        words = words[1:].lstrip()
    if admin:
        return f"/{ADMIN_GROUP} {words}" if words else f"/help {ADMIN_GROUP}"
    return f"/{words}" if words else "/help"


def workspace_of(body: Mapping[str, Any]) -> str:
    """The team the request came from (Enterprise Grid org-wide apps may only name the enterprise)."""
    team = body.get("team")
    team_id = body.get("team_id") or (team.get("id") if isinstance(team, Mapping) else None)
    if team_id:
        return str(team_id)
    enterprise = body.get("enterprise")
    return str(body.get("enterprise_id") or (enterprise.get("id") if isinstance(enterprise, Mapping) else "") or "")


def command_identity(
    body: Mapping[str, Any], *, display_name: str | None, is_moderator: bool, groups: tuple[str, ...] = ()
) -> Identity:
    """`groups`: the member's user groups, which a configured moderator entry may name."""
    return Identity(
        platform="slack",
        workspace=workspace_of(body),
        channel=str(body.get("channel_id", "")),
        user_id=str(body["user_id"]),
        user_name=display_name or str(body.get("user_name") or body["user_id"]),
        is_moderator=is_moderator,
        roles=groups,
    )


def action_channel(body: Mapping[str, Any]) -> str:
    channel = body.get("channel")
    if isinstance(channel, Mapping) and channel.get("id"):
        return str(channel["id"])
    container = body.get("container")
    return str(container.get("channel_id", "")) if isinstance(container, Mapping) else ""


def action_identity(
    body: Mapping[str, Any], *, display_name: str | None, is_moderator: bool, groups: tuple[str, ...] = ()
) -> Identity:
    user = body["user"]
    return Identity(
        platform="slack",
        workspace=workspace_of(body),
        channel=action_channel(body),
        user_id=str(user["id"]),
        user_name=display_name or str(user.get("username") or user.get("name") or user["id"]),
        is_moderator=is_moderator,
        roles=groups,
    )


def _selected(element: Mapping[str, Any]) -> tuple[str, ...]:
    if element.get("selected_options") is not None:
        return tuple(str(o["value"]) for o in element["selected_options"])
    option = element.get("selected_option")
    if isinstance(option, Mapping):
        return (str(option["value"]),)
    return ()


def _state_values(body: Mapping[str, Any]) -> tuple[str, ...]:
    """Choices already made in the message's menus, sent along with a button press (as on the console)."""
    state = body.get("state")
    values: list[str] = []
    if isinstance(state, Mapping):
        for block in (state.get("values") or {}).values():
            for element in block.values():
                values.extend(_selected(element))
    return tuple(values)


def to_action(body: Mapping[str, Any], action: Mapping[str, Any], identity: Identity) -> Action:
    """One element of a `block_actions` payload as a core `Action`.

    A button's `value` is its studybot action id (its `action_id` may carry a suffix when a message
    repeats one); a menu's `action_id` is the id and its chosen options are the values.
    """
    if action.get("type") == "button":
        action_id = str(action.get("value") or action["action_id"])
        values = _state_values(body)
    else:
        action_id = str(action["action_id"])
        values = _selected(action)
    container = body.get("container")
    message = body.get("message")
    message_ts = None
    if isinstance(container, Mapping) and container.get("message_ts"):
        message_ts = str(container["message_ts"])
    elif isinstance(message, Mapping) and message.get("ts"):
        message_ts = str(message["ts"])
    return Action(
        identity=identity,
        action_id=action_id,
        values=values,
        message_id=message_ts,
        delivery_id=_delivery_id(body, action),
    )


def _delivery_id(body: Mapping[str, Any], action: Mapping[str, Any]) -> str | None:
    """Unique per press: the trigger id Slack mints for each interaction (with the element, if many)."""
    trigger = body.get("trigger_id")
    if not trigger:
        return None
    return f"slack:{trigger}:{action.get('action_ts', '')}"
