"""A fake Discord on 127.0.0.1 for driving the real discord.py: REST routes and a gateway websocket.

It serves what discord.py calls (login, application commands, interaction callbacks, webhook
follow-ups and `@original` edits, channel messages, DM channels, `/gateway/bot`, the channel,
role and member reads of a permission check, and the CDN URLs of files attached to a slash command's
ATTACHMENT option) and a gateway that
says HELLO, answers IDENTIFY with READY and GUILD_CREATE, acknowledges heartbeats and dispatches
INTERACTION_CREATE on demand. It records every request (`requests`), and anything it does not know
lands in `unexpected` with a 404, so tests can assert that nothing strayed.

It enforces the Discord rules an adapter can break: a callback after `deadline` seconds is "Unknown
interaction" (10062), a second callback is "already acknowledged" (40060), the first follow-up after
a deferred "thinking" response edits that response (keeping its ephemerality), options are built and
type-checked from the commands the bot actually synced, and a press must name a component that is on
the message. It can answer one request with 429 + Retry-After, or with any error, when told to.
Each stored message gets the `mention_roles` / `mentions` / `mention_everyone` Discord would compute
from its content and `allowed_mentions` (everything pings when `allowed_mentions` is absent), so a
test sees who would actually have been notified.

`FakeDiscord` is the one object tests use. It is built from layers, each in its own module and each
depending only on the ones below it:

- `discord_transport`: the aiohttp site, request recording (`Recorded`), injected 429s and errors,
  `wait_for`, and the 404 for anything unknown;
- `discord_rest`: guilds, channels, roles, users (`FakeUser`), commands and messages, and the
  authorised REST routes;
- `discord_gateway`: the websocket sessions (`Gate`): HELLO, IDENTIFY/READY, heartbeats, RESUME and
  event dispatch;
- `discord_interactions`: slash, autocomplete and component interactions (`InteractionState`), their
  callbacks and webhook follow-ups, and the rules above.

This module composes them and re-exports every name tests import from it.
"""

from __future__ import annotations

from tests.fakes.discord_gateway import Gate
from tests.fakes.discord_interactions import EPHEMERAL, DiscordInteractions, FakeFile, InteractionState
from tests.fakes.discord_rest import (
    EMBED_LINKS,
    EVERYONE_PERMISSIONS,
    LOADING,
    MANAGE_GUILD,
    MESSAGE_TYPE_DEFAULT,
    ROLE_MENTION,
    SEND_MESSAGES,
    USER_MENTION,
    VIEW_CHANNEL,
    FakeUser,
    _pings,
    _role,
)
from tests.fakes.discord_transport import API, RECORDED, Injected, Recorded, _json, _now

__all__ = [
    "API",
    "EMBED_LINKS",
    "EPHEMERAL",
    "EVERYONE_PERMISSIONS",
    "LOADING",
    "MANAGE_GUILD",
    "MESSAGE_TYPE_DEFAULT",
    "RECORDED",
    "ROLE_MENTION",
    "SEND_MESSAGES",
    "USER_MENTION",
    "VIEW_CHANNEL",
    "FakeDiscord",
    "FakeFile",
    "FakeUser",
    "Gate",
    "Injected",
    "InteractionState",
    "Recorded",
    "_json",
    "_now",
    "_pings",
    "_role",
]


class FakeDiscord(DiscordInteractions):
    """`async with FakeDiscord() as fake:` serves on `fake.base_url` / `fake.gateway_url` until the block ends."""

    def __init__(self, *, token: str = "fake-token", deadline: float = 3.0, shards: int = 1) -> None:
        super().__init__(token=token, deadline=deadline, shards=shards)
