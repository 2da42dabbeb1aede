"""The REST state of the fake Discord: guilds, channels, roles, members, users, commands and messages.

This layer of `FakeDiscord` (see `discord_server`) sits on `DiscordTransport` and holds the world
the bot reads and writes over REST: the bot user and application, guilds with their roles and
channels (and permission overwrites), the test users (`FakeUser`), synced application commands and
stored channel messages. Its `_route` serves the authorised routes discord.py calls (login,
`/gateway/bot`, command sync, channel messages with nonce de-duplication, DM channels, and the
channel, role and member reads of a permission check), answering 401 without the bot token.

Each stored message gets the `mention_roles` / `mentions` / `mention_everyone` Discord would compute
from its content and `allowed_mentions` (`_pings`; everything pings when `allowed_mentions` is
absent), so a test sees who would actually have been notified. It lives apart so the data model can
be read without the gateway or the interaction rules.

`after_post`, when set, runs with each channel message a POST created or returned (a nonce already
seen) once it is stored and before it is answered, so a test can kill a client between Discord
taking a post and the client hearing of it.
"""

from __future__ import annotations

import itertools
import json
import mimetypes
import re
import struct
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.discord_transport import (
    RECORDED,
    DiscordTransport,
    Upload,
    _api_path,
    _json,
    _now,
    message_attachments,
)

LOADING = 1 << 7
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
MANAGE_ROLES = 1 << 28
EVERYONE_PERMISSIONS = (
    (1 << 0) | (1 << 6) | (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 31)
)  # no moderation bits
MESSAGE_TYPE_DEFAULT = 0
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ROLE_MENTION = re.compile(r"<@&(\d+)>")
USER_MENTION = re.compile(r"<@!?(\d+)>")


@dataclass
class FakeUser:
    """A human test user (`ada`, `grace`, `mod`, ...), a moderator or not."""

    key: str
    id: int
    name: str
    moderator: bool = False
    roles: set[str] = field(default_factory=set)  # role ids given through the REST role routes

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.name.title(),
            "avatar": None,
            "bot": False,
        }


class DiscordRest(DiscordTransport):
    """Guilds, channels, roles, users, commands and messages, and the REST routes that read and write them."""

    def __init__(self, *, token: str, shards: int) -> None:
        super().__init__()
        self.token = token
        self.recommended_shards = shards  # what `/gateway/bot` answers
        self._ids = itertools.count(1_000_000)
        self.app_id = self._snowflake()
        self.bot = {
            "id": str(self._snowflake()),
            "username": "studybot",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
        }
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.uploaded: dict[int, Upload] = {}  # files sent with messages, by attachment id (served by the CDN)
        self.users: dict[str, FakeUser] = {}
        self.guilds: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.forbidden_channels: set[int] = set()
        self.bot_roles: dict[int, list[str]] = {}  # guild id -> the bot member's role ids
        self._nonces: dict[tuple[int, str], int] = {}
        self.after_post: Callable[[dict[str, Any]], Awaitable[None]] | None = None
        # Guild ids chosen so that with two shards the first guild is on shard 0 and the second on 1.
        self.guild_id = self.add_guild("Study Hall", index=0)
        self.channel_id = next(iter(self.guilds[self.guild_id]["channels_by_name"].values()))
        self.moderator_role = self.guilds[self.guild_id]["roles"][1]["id"]
        self.add_user("ada")
        self.add_user("grace")
        self.add_user("mod", moderator=True)

    # -- set-up --------------------------------------------------------------------------------

    def _snowflake(self) -> int:
        return next(self._ids) << 22

    def add_guild(self, name: str, *, index: int) -> int:
        guild_id = (4096 + index) << 22
        channel_id = self._snowflake()
        moderators = self._snowflake()
        roles = [
            _role(guild_id, "@everyone", EVERYONE_PERMISSIONS, 0),
            _role(moderators, "Moderators", EVERYONE_PERMISSIONS | MANAGE_GUILD, 1),
        ]
        channel = {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(guild_id),
            "name": "study",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
        }
        self.channels[channel_id] = channel
        self.guilds[guild_id] = {"name": name, "roles": roles, "channels_by_name": {"study": channel_id}}
        return guild_id

    def add_user(self, key: str, *, moderator: bool = False) -> FakeUser:
        user = FakeUser(key, self._snowflake(), key, moderator)
        self.users[key] = user
        return user

    def add_channel(self, name: str, guild_id: int | None = None) -> int:
        guild_id = guild_id or self.guild_id
        channel_id = self._snowflake()
        self.channels[channel_id] = {
            **self.channels[self.channel_id],
            "id": str(channel_id),
            "name": name,
            "guild_id": str(guild_id),
            "permission_overwrites": [],
        }
        self.guilds[guild_id]["channels_by_name"][name] = channel_id
        return channel_id

    def add_role(self, name: str, permissions: int = 0, guild_id: int | None = None) -> str:
        """A new role (before the adapter connects, so GUILD_CREATE carries it); its id."""
        guild_id = guild_id or self.guild_id
        roles = self.guilds[guild_id]["roles"]
        role = _role(self._snowflake(), name, permissions, len(roles))
        roles.append(role)
        return str(role["id"])

    def overwrite(
        self, channel_id: int, target: int | str, *, allow: int = 0, deny: int = 0, member: bool = False
    ) -> None:
        """Set a permission overwrite on a channel for a role (the guild id is @everyone) or a member."""
        overwrites = self.channels[channel_id]["permission_overwrites"]
        overwrites[:] = [o for o in overwrites if o["id"] != str(target)]
        overwrites.append({"id": str(target), "type": int(member), "allow": str(allow), "deny": str(deny)})

    # -- REST --------------------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.token}"

    async def _route(self, request: web.Request) -> web.StreamResponse:
        path = _api_path(request)
        body = request[RECORDED].json
        method = request.method
        app = str(self.app_id)
        parts = path.strip("/").split("/")

        if not self._authorised(request):
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        if method == "GET" and path == "/users/@me":
            return _json(self.bot)
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(self._application())
        if method == "GET" and path in ("/gateway/bot", "/gateway"):
            limits = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
            return _json({"url": self.gateway_url, "shards": self.recommended_shards, "session_start_limit": limits})
        if parts[:2] == ["applications", app] and parts[-1] == "commands":
            return self._commands(method, parts, body)
        if method == "POST" and path == "/users/@me/channels":
            return self._dm_channel(body)
        if parts[0] == "channels" and len(parts) >= 3 and parts[2] == "messages":
            answer = self._channel_messages(method, int(parts[1]), parts[3:], body)
            if self.after_post is not None and method == "POST" and len(parts) == 3 and answer.status == 200:
                assert isinstance(answer.body, bytes)
                await self.after_post(json.loads(answer.body))
            return answer
        if method == "GET" and parts[0] == "channels" and len(parts) == 2:
            return self._channel(int(parts[1]))
        if method == "GET" and parts[0] == "guilds" and len(parts) == 3 and parts[2] == "roles":
            return self._roles(int(parts[1]))
        if method == "GET" and parts[0] == "guilds" and len(parts) == 4 and parts[2] == "members":
            return self._guild_member(int(parts[1]), int(parts[3]))
        if method in ("PUT", "DELETE") and parts[0] == "guilds" and len(parts) == 6 and parts[4] == "roles":
            return self._member_role(method, int(parts[1]), int(parts[3]), parts[5])
        return await super()._route(request)

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(self.app_id),
            "name": "studybot",
            "icon": None,
            "description": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None,
            "owner": {**self.bot, "bot": False, "username": "owner"},
        }

    def _commands(self, method: str, parts: list[str], body: Any) -> web.Response:
        guild = int(parts[3]) if len(parts) == 5 and parts[2] == "guilds" else None
        current = self.global_commands if guild is None else self.guild_commands.setdefault(guild, [])
        if method == "GET":
            return _json(current)
        if method != "PUT":
            return _json({"message": "405", "code": 0}, 405)
        ids = {c["name"]: c["id"] for c in current}
        stored = []
        for command in body:
            entry = {
                **command,
                "id": ids.get(command["name"]) or str(self._snowflake()),
                "application_id": str(self.app_id),
                "version": str(self._snowflake()),
            }
            if guild is not None:
                entry["guild_id"] = str(guild)
            if entry.get("default_member_permissions") is not None:
                entry["default_member_permissions"] = str(entry["default_member_permissions"])
            stored.append(entry)
        current[:] = stored
        return _json(stored)

    def _attachment(self, channel_id: int, upload: Upload, entry: Mapping[str, Any]) -> dict[str, Any]:
        """The attachment object Discord stores for an uploaded file: a new id, a CDN URL, the content
        type from the file name (discord.py sends every part as application/octet-stream), a PNG's size."""
        file_id = self._snowflake()
        filename = str(entry.get("filename") or upload.filename)
        url = f"http://127.0.0.1:{self.port}/attachments/{channel_id}/{file_id}/{filename}"
        kind = mimetypes.guess_type(filename)[0] or upload.content_type
        found: dict[str, Any] = {
            "id": str(file_id),
            "filename": filename,
            "size": len(upload.data),
            "url": url,
            "proxy_url": url,
            "content_type": kind,
        }
        if entry.get("description"):
            found["description"] = entry["description"]
        if kind == "image/png" and upload.data[12:16] == b"IHDR":
            found["width"], found["height"] = struct.unpack(">II", upload.data[16:24])
        self.uploaded[file_id] = upload
        return found

    def _attachments(
        self, channel_id: int, body: Mapping[str, Any], files: Iterable[Upload], kept: Iterable[dict[str, Any]] = ()
    ) -> list[dict[str, Any]]:
        """A message's attachments after a create or an edit: the existing ones `attachments` names by id
        (all of them when it is absent), then one per file part, described by its `attachments` entry."""
        files = list(files)
        named = message_attachments(body) if "attachments" in body else None
        by_index = {str(e.get("id")): e for e in named or []}
        old = {a["id"]: a for a in kept}
        result = list(old.values()) if named is None else [old[str(e["id"])] for e in named if str(e["id"]) in old]
        for upload in files:
            index = upload.field.removeprefix("files[").removesuffix("]")  # the transport refused other names
            result.append(self._attachment(channel_id, upload, by_index.get(index, {})))
        return result

    def _new_message(
        self,
        channel_id: int,
        body: Mapping[str, Any],
        *,
        flags: int = 0,
        webhook: bool = False,
        files: Iterable[Upload] = (),
    ) -> dict[str, Any]:
        message_id = self._snowflake()
        channel = self.channels.get(channel_id, {})
        message: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "author": self.bot,
            "content": body.get("content") or "",
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(channel_id, body, files),
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": MESSAGE_TYPE_DEFAULT,
            "flags": flags,
        }
        if channel.get("guild_id"):
            message["guild_id"] = channel["guild_id"]
        if webhook:
            message["webhook_id"] = str(self.app_id)
            message["application_id"] = str(self.app_id)
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        message.update(_pings(message["content"], body.get("allowed_mentions"), self.users.values()))
        self.messages[message_id] = message
        return message

    def _edit(self, message: dict[str, Any], body: Mapping[str, Any], files: Iterable[Upload] = ()) -> dict[str, Any]:
        files = list(files)
        if files or "attachments" in body:
            message["attachments"] = self._attachments(int(message["channel_id"]), body, files, message["attachments"])
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ("" if key == "content" else [])
        if "content" in body:
            message.update(_pings(message["content"], body.get("allowed_mentions"), self.users.values()))
        message["flags"] = message.get("flags", 0) & ~LOADING
        message["edited_timestamp"] = _now()
        return message

    def _channel(self, channel_id: int) -> web.Response:
        if channel_id not in self.channels:
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        if channel_id in self.forbidden_channels:
            return _json({"message": "Missing Access", "code": 50001}, 403)
        return _json(self.channels[channel_id])

    def _roles(self, guild_id: int) -> web.Response:
        if guild_id not in self.guilds:
            return _json({"message": "Unknown Guild", "code": 10004}, 404)
        return _json(self.guilds[guild_id]["roles"])

    def _bot_member(self, guild_id: int) -> dict[str, Any]:
        return {
            "user": self.bot,
            "roles": list(self.bot_roles.get(guild_id, [])),
            "joined_at": _now(),
            "deaf": False,
            "mute": False,
            "flags": 0,
        }

    def _member(self, user: FakeUser, guild_id: int) -> dict[str, Any]:
        roles = ([self.guilds[guild_id]["roles"][1]["id"]] if user.moderator else []) + sorted(user.roles)
        permissions = EVERYONE_PERMISSIONS | (MANAGE_GUILD if user.moderator else 0)
        return {
            "user": user.payload(),
            "roles": roles,
            "permissions": str(permissions),
            "joined_at": _now(),
            "nick": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
        }

    def _guild_member(self, guild_id: int, user_id: int) -> web.Response:
        if guild_id not in self.guilds:
            return _json({"message": "Unknown Guild", "code": 10004}, 404)
        if str(user_id) == self.bot["id"]:
            return _json(self._bot_member(guild_id))
        user = next((u for u in self.users.values() if u.id == user_id), None)
        if user is None:
            return _json({"message": "Unknown Member", "code": 10007}, 404)
        return _json(self._member(user, guild_id))

    def _member_role(self, method: str, guild_id: int, user_id: int, role_id: str) -> web.Response:
        """Add or remove a member's role, as Discord allows it: the bot needs Manage Roles through one of
        its roles (50013 otherwise); the role must exist (10011). Hierarchy is not modelled."""
        if guild_id not in self.guilds:
            return _json({"message": "Unknown Guild", "code": 10004}, 404)
        roles = {str(r["id"]): int(r["permissions"]) for r in self.guilds[guild_id]["roles"]}
        granted = 0
        for bot_role in self.bot_roles.get(guild_id, []):
            granted |= roles.get(str(bot_role), 0)
        if not granted & (MANAGE_ROLES | ADMINISTRATOR):
            return _json({"message": "Missing Permissions", "code": 50013}, 403)
        if role_id not in roles:
            return _json({"message": "Unknown Role", "code": 10011}, 404)
        user = next((u for u in self.users.values() if u.id == user_id), None)
        if user is None:
            return _json({"message": "Unknown Member", "code": 10007}, 404)
        if method == "PUT":
            user.roles.add(role_id)
        else:
            user.roles.discard(role_id)
        return web.Response(status=204)

    def _channel_messages(self, method: str, channel_id: int, rest: list[str], body: Any) -> web.Response:
        if channel_id not in self.channels:
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        if channel_id in self.forbidden_channels:
            return _json({"message": "Missing Access", "code": 50001}, 403)
        if method == "POST" and not rest:
            nonce = body.get("nonce")
            if nonce is not None and body.get("enforce_nonce") and (channel_id, str(nonce)) in self._nonces:
                return _json(self.messages[self._nonces[(channel_id, str(nonce))]])
            message = self._new_message(channel_id, body, files=self.requests[-1].files)
            if nonce is not None:
                self._nonces[(channel_id, str(nonce))] = int(message["id"])
            return _json(message)
        if method == "PATCH" and len(rest) == 1:
            existing = self.messages.get(int(rest[0]))
            if existing is None or existing["channel_id"] != str(channel_id):
                return _json({"message": "Unknown Message", "code": 10008}, 404)
            return _json(self._edit(existing, body, self.requests[-1].files))
        self.unexpected.append(self.requests[-1])
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def _dm_channel(self, body: Any) -> web.Response:
        recipient = int(body["recipient_id"])
        user = next((u for u in self.users.values() if u.id == recipient), None)
        if user is None:
            return _json({"message": "Unknown User", "code": 10013}, 404)
        channel_id = self._snowflake()
        channel = {"id": str(channel_id), "type": 1, "recipients": [user.payload()], "last_message_id": None}
        self.channels[channel_id] = channel
        return _json(channel)


def _role(role_id: int, name: str, permissions: int, position: int) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "hoist": False,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def _pings(content: str, allowed: Mapping[str, Any] | None, users: Iterable[FakeUser]) -> dict[str, Any]:
    """Who a message's content notifies under `allowed_mentions`, as Discord computes it."""
    parse = set(allowed.get("parse", [])) if allowed is not None else {"everyone", "users", "roles"}
    listed_roles = {str(r) for r in (allowed or {}).get("roles", [])}
    listed_users = {str(u) for u in (allowed or {}).get("users", [])}
    roles = [r for r in ROLE_MENTION.findall(content) if "roles" in parse or r in listed_roles]
    user_ids = [u for u in USER_MENTION.findall(content) if "users" in parse or u in listed_users]
    known = {str(u.id): u for u in users}
    return {
        "mention_roles": roles,
        "mentions": [known[u].payload() for u in user_ids if u in known],
        "mention_everyone": "everyone" in parse and ("@everyone" in content or "@here" in content),
    }
