"""A fake Discord on 127.0.0.1 for driving the real discord.py: REST routes and a gateway websocket.

It serves what discord.py calls (login, application commands, interaction callbacks, webhook
follow-ups and `@original` edits, channel messages, DM channels, `/gateway/bot`, and the channel,
role and member reads of a permission check) and a gateway that
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
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

API = "/api/v10"
EPHEMERAL = 1 << 6
LOADING = 1 << 7
MANAGE_GUILD = 1 << 5
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
class Recorded:
    """One request the fake received."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    at: float
    status: int = 0


RECORDED = web.RequestKey("recorded", Recorded)


@dataclass
class FakeUser:
    key: str
    id: int
    name: str
    moderator: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.name.title(),
            "avatar": None,
            "bot": False,
        }


@dataclass
class InteractionState:
    payload: dict[str, Any]
    created: float
    callback: dict[str, Any] | None = None
    original_id: int | None = None
    loading: bool = False  # deferred with "thinking" and not yet edited
    component_message_id: int | None = None


@dataclass
class Gate:
    """One gateway connection (one shard)."""

    ws: web.WebSocketResponse
    shard_id: int = 0
    shard_count: int = 1
    seq: int = 0
    identified: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Injected:
    method: str
    path: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


class FakeDiscord:
    """`async with FakeDiscord() as fake:` serves on `fake.base_url` / `fake.gateway_url` until the block ends."""

    def __init__(self, *, token: str = "fake-token", deadline: float = 3.0, shards: int = 1) -> None:
        self.token = token
        self.deadline = deadline
        self.recommended_shards = shards
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
        self.requests: list[Recorded] = []
        self.unexpected: list[Recorded] = []
        self.errors: list[Exception] = []
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.interactions: dict[int, InteractionState] = {}
        self.users: dict[str, FakeUser] = {}
        self.guilds: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.forbidden_channels: set[int] = set()
        self.bot_roles: dict[int, list[str]] = {}  # guild id -> the bot member's role ids
        self.gates: list[Gate] = []
        self.dispatch_times: dict[int, float] = {}
        self._nonces: dict[tuple[int, str], int] = {}
        self._inject: list[Injected] = []
        self._pulse = asyncio.Event()
        self._watched: list[asyncio.Task[Any]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
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

    async def create_channel(self, name: str, guild_id: int | None = None) -> int:
        """A channel made while the bot is connected: Discord tells it with CHANNEL_CREATE."""
        channel_id = self.add_channel(name, guild_id)
        guild = int(self.channels[channel_id]["guild_id"])
        for gate in self.gates:
            if gate.identified.is_set() and self._shard_of(guild, gate.shard_count) == gate.shard_id:
                await self._send(gate, "CHANNEL_CREATE", self.channels[channel_id])
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

    def rate_limit_next(self, method: str, path: str, retry_after: float) -> None:
        """Answer the next matching request with 429 and Retry-After, as Discord does."""
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
        headers = {"Retry-After": f"{retry_after:g}", "Via": "1.1 google", "X-RateLimit-Scope": "user"}
        self._inject.append(Injected(method, re.compile(path), 429, body, headers))

    def fail_next(self, method: str, path: str, status: int, code: int, message: str) -> None:
        self._inject.append(Injected(method, re.compile(path), status, {"code": code, "message": message}, {}))

    def watch(self, task: asyncio.Task[Any]) -> None:
        """Fail `wait_for` at once, with its exception, if the client task `task` dies."""
        self._watched.append(task)

    def unwatch(self, task: asyncio.Task[Any]) -> None:
        """Stop watching `task`, before closing its client on purpose."""
        if task in self._watched:
            self._watched.remove(task)

    # -- life cycle ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def __aenter__(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._route)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for gate in self.gates:
            await gate.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- waiting -------------------------------------------------------------------------------

    def _poke(self) -> None:
        pulse, self._pulse = self._pulse, asyncio.Event()
        pulse.set()

    async def wait_for(self, predicate: Callable[[Recorded], bool], *, within: float = 5.0, after: int = 0) -> Recorded:
        """The first recorded request from index `after` on that matches; waits for it if need be."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            for request in self.requests[after:]:
                if predicate(request):
                    return request
            for task in self._watched:
                if task.done():
                    error = None if task.cancelled() else task.exception()
                    raise AssertionError(f"the client task ended while waiting: {error!r}") from error
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [f"{r.method} {r.path}" for r in self.requests[after:]]
                raise TimeoutError(f"no matching request within {within} s; saw {seen}")
            waiter = asyncio.ensure_future(self._pulse.wait())
            try:
                await asyncio.wait({waiter, *self._watched}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()

    async def wait_for_callback(self, interaction: Mapping[str, Any], *, within: float = 5.0) -> Recorded:
        path = f"/interactions/{interaction['id']}/{interaction['token']}/callback"
        return await self.wait_for(lambda r: r.path == path, within=within)

    async def wait_for_webhook(
        self, interaction: Mapping[str, Any], method: str = "POST", *, within: float = 5.0, after: int = 0
    ) -> Recorded:
        prefix = f"/webhooks/{self.app_id}/{interaction['token']}"
        return await self.wait_for(
            lambda r: r.method == method and r.path.startswith(prefix), within=within, after=after
        )

    def callbacks_for(self, interaction: Mapping[str, Any]) -> list[Recorded]:
        path = f"/interactions/{interaction['id']}/{interaction['token']}/callback"
        return [r for r in self.requests if r.path == path]

    def webhook_requests(self, interaction: Mapping[str, Any]) -> list[Recorded]:
        prefix = f"/webhooks/{self.app_id}/{interaction['token']}"
        return [r for r in self.requests if r.path.startswith(prefix)]

    # -- recording and injected failures ---------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        if request.path == "/gateway":
            return await handler(request)  # type: ignore[no-any-return]
        body: Any = None
        raw = await request.read()
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        path = request.path[len(API) :] if request.path.startswith(API) else request.path
        record = Recorded(request.method, path, dict(request.query), dict(request.headers), body, time.perf_counter())
        self.requests.append(record)
        try:
            injected = next((i for i in self._inject if i.method == request.method and i.path.search(path)), None)
            if injected is not None:
                self._inject.remove(injected)
                response = _json(injected.body, injected.status, injected.headers)
            else:
                request[RECORDED] = record
                try:
                    response = await handler(request)
                except web.HTTPException:
                    raise
                except Exception as exc:  # a bug in the fake: keep it for the test to fail on, not a silent 500
                    self.errors.append(exc)
                    response = _json({"message": f"fake error: {exc!r}", "code": 0}, 500)
            record.status = response.status
            return response  # type: ignore[no-any-return]
        finally:
            self._poke()

    # -- REST --------------------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.token}"

    async def _route(self, request: web.Request) -> web.StreamResponse:
        path = request.path[len(API) :] if request.path.startswith(API) else request.path
        body = request[RECORDED].json
        method = request.method
        app = str(self.app_id)
        parts = path.strip("/").split("/")

        # Interaction and webhook-token routes carry no Authorization header.
        if method == "POST" and len(parts) == 4 and parts[0] == "interactions" and parts[3] == "callback":
            return self._callback(int(parts[1]), parts[2], body)
        if parts[:2] == ["webhooks", app] and len(parts) >= 3:
            return self._webhook(method, parts[2], parts[3:], body)

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
            return self._channel_messages(method, int(parts[1]), parts[3:], body)
        if method == "GET" and parts[0] == "channels" and len(parts) == 2:
            return self._channel(int(parts[1]))
        if method == "GET" and parts[0] == "guilds" and len(parts) == 3 and parts[2] == "roles":
            return self._roles(int(parts[1]))
        if method == "GET" and parts[0] == "guilds" and len(parts) == 4 and parts[2] == "members":
            return self._guild_member(int(parts[1]), int(parts[3]))
        self.unexpected.append(request[RECORDED])
        return _json({"message": "404: Not Found", "code": 0}, 404)

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

    def _new_message(
        self, channel_id: int, body: Mapping[str, Any], *, flags: int = 0, webhook: bool = False
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
            "attachments": [],
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

    def _edit(self, message: dict[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
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

    def _guild_member(self, guild_id: int, user_id: int) -> web.Response:
        if guild_id not in self.guilds:
            return _json({"message": "Unknown Guild", "code": 10004}, 404)
        if str(user_id) == self.bot["id"]:
            return _json(self._bot_member(guild_id))
        user = next((u for u in self.users.values() if u.id == user_id), None)
        if user is None:
            return _json({"message": "Unknown Member", "code": 10007}, 404)
        return _json(self._member(user, guild_id))

    def _channel_messages(self, method: str, channel_id: int, rest: list[str], body: Any) -> web.Response:
        if channel_id not in self.channels:
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        if channel_id in self.forbidden_channels:
            return _json({"message": "Missing Access", "code": 50001}, 403)
        if method == "POST" and not rest:
            nonce = body.get("nonce")
            if nonce is not None and body.get("enforce_nonce") and (channel_id, str(nonce)) in self._nonces:
                return _json(self.messages[self._nonces[(channel_id, str(nonce))]])
            message = self._new_message(channel_id, body)
            if nonce is not None:
                self._nonces[(channel_id, str(nonce))] = int(message["id"])
            return _json(message)
        if method == "PATCH" and len(rest) == 1:
            message = self.messages.get(int(rest[0]))
            if message is None or message["channel_id"] != str(channel_id):
                return _json({"message": "Unknown Message", "code": 10008}, 404)
            return _json(self._edit(message, body))
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

    # -- interactions: callbacks and webhooks -------------------------------------------------------

    def _callback(self, interaction_id: int, token: str, body: Any) -> web.Response:
        state = self.interactions.get(interaction_id)
        if state is None or state.payload["token"] != token:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        if time.perf_counter() - state.created > self.deadline:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        if state.callback is not None:
            return _json({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
        state.callback = body
        kind = body["type"]
        data = body.get("data") or {}
        channel_id = int(state.payload["channel_id"])
        interaction = {"id": str(interaction_id), "type": state.payload["type"]}
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5):
            flags = int(data.get("flags") or 0) & EPHEMERAL
            if kind == 5:
                flags |= LOADING
                state.loading = True
            message = self._new_message(channel_id, data if kind == 4 else {}, flags=flags, webhook=True)
            state.original_id = int(message["id"])
            resource["message"] = message
            interaction.update(
                response_message_id=message["id"],
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(flags & EPHEMERAL),
            )
        elif kind in (6, 7):
            message_id = state.component_message_id
            if message_id is None:
                return _json({"message": "Invalid callback for this interaction", "code": 40043}, 400)
            state.original_id = message_id
            message = self.messages[message_id]
            if kind == 7:
                self._edit(message, data)
            resource["message"] = message
            interaction.update(response_message_id=str(message_id))
        return _json({"interaction": interaction, "resource": resource})

    def _state_for_token(self, token: str) -> InteractionState | None:
        return next((s for s in self.interactions.values() if s.payload["token"] == token), None)

    def _webhook(self, method: str, token: str, rest: list[str], body: Any) -> web.Response:
        state = self._state_for_token(token)
        if state is None or state.callback is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        channel_id = int(state.payload["channel_id"])
        if not rest and method == "POST":
            if state.loading and state.original_id is not None:
                # Discord: the first follow-up after a deferred "thinking" response edits that response,
                # which keeps the ephemerality chosen when deferring.
                state.loading = False
                return _json(self._edit(self.messages[state.original_id], body))
            flags = int(body.get("flags") or 0) & EPHEMERAL
            return _json(self._new_message(channel_id, body, flags=flags, webhook=True))
        if len(rest) == 2 and rest[0] == "messages":
            target = state.original_id if rest[1] == "@original" else int(rest[1])
            message = self.messages.get(target) if target is not None else None
            if message is None:
                return _json({"message": "Unknown Message", "code": 10008}, 404)
            if method == "GET":
                return _json(message)
            if method == "PATCH":
                if target == state.original_id:
                    state.loading = False
                return _json(self._edit(message, body))
            if method == "DELETE":
                del self.messages[target]
                return web.Response(status=204)
        return _json({"message": "404: Not Found", "code": 0}, 404)

    # -- gateway -------------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        gate = Gate(ws)
        self.gates.append(gate)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
        try:
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                op = message.get("op")
                if op == 1:
                    await ws.send_json({"op": 11})
                elif op == 2:
                    await self._identify(gate, message["d"])
                elif op == 6:
                    await self._send(gate, "RESUMED", {})
        finally:
            self.gates.remove(gate)
            self._poke()
        return ws

    async def _send(self, gate: Gate, event: str, data: Mapping[str, Any]) -> None:
        gate.seq += 1
        await gate.ws.send_json({"op": 0, "t": event, "s": gate.seq, "d": data})

    def _shard_of(self, guild_id: int, count: int) -> int:
        return (guild_id >> 22) % count

    async def _identify(self, gate: Gate, data: Mapping[str, Any]) -> None:
        if data.get("token") != self.token:
            await gate.ws.close(code=4004, message=b"Authentication failed.")
            return
        gate.shard_id, gate.shard_count = data.get("shard") or (0, 1)
        mine = [g for g in self.guilds if self._shard_of(g, gate.shard_count) == gate.shard_id]
        await self._send(
            gate,
            "READY",
            {
                "v": 10,
                "user": self.bot,
                "guilds": [{"id": str(g), "unavailable": True} for g in mine],
                "session_id": f"session-{gate.shard_id}",
                "resume_gateway_url": self.gateway_url,
                "application": {"id": str(self.app_id), "flags": 0},
                "shard": [gate.shard_id, gate.shard_count],
            },
        )
        for guild_id in mine:
            await self._send(gate, "GUILD_CREATE", self._guild_payload(guild_id))
        gate.identified.set()
        self._poke()

    def _guild_payload(self, guild_id: int) -> dict[str, Any]:
        guild = self.guilds[guild_id]
        bot_member = self._bot_member(guild_id)
        return {
            "id": str(guild_id),
            "name": guild["name"],
            "icon": None,
            "owner_id": str(self.users["mod"].id) if "mod" in self.users else self.bot["id"],
            "roles": guild["roles"],
            "emojis": [],
            "stickers": [],
            "features": [],
            "member_count": 2,
            "members": [bot_member],
            "channels": [self.channels[c] for c in guild["channels_by_name"].values()],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "unavailable": False,
            "large": False,
            "joined_at": _now(),
            "preferred_locale": "en-US",
            "premium_tier": 0,
            "system_channel_flags": 0,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "afk_timeout": 300,
            "description": None,
        }

    async def wait_identified(self, count: int = 1, *, within: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while sum(g.identified.is_set() for g in self.gates) < count:
            if loop.time() > deadline:
                raise TimeoutError(f"{count} gateway session(s) did not identify")
            waiter = asyncio.ensure_future(self._pulse.wait())
            try:
                await asyncio.wait({waiter}, timeout=deadline - loop.time())
            finally:
                waiter.cancel()

    # -- building interactions -------------------------------------------------------------------------

    def _member(self, user: FakeUser, guild_id: int) -> dict[str, Any]:
        roles = [self.guilds[guild_id]["roles"][1]["id"]] if user.moderator else []
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

    def _envelope(self, kind: int, data: dict[str, Any], user: str, channel_id: int) -> dict[str, Any]:
        who = self.users[user]
        channel = self.channels[channel_id]
        interaction_id = self._snowflake()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.app_id),
            "type": kind,
            "data": data,
            "channel_id": str(channel_id),
            "channel": channel,
            "token": f"token-{interaction_id}",
            "version": 1,
            "app_permissions": str(EVERYONE_PERMISSIONS),
            "locale": "en-US",
            "attachment_size_limit": 8 << 20,
            "entitlements": [],
            "entitlement_sku_ids": [],
        }
        guild = channel.get("guild_id")
        if guild is not None:
            payload.update(
                guild_id=guild,
                member=self._member(who, int(guild)),
                guild_locale="en-US",
                context=0,
                guild={"id": guild, "locale": "en-US", "features": []},
                authorizing_integration_owners={"0": guild},
            )
        else:
            payload.update(user=who.payload(), context=1, authorizing_integration_owners={"1": str(who.id)})
        return payload

    async def _deliver(self, payload: dict[str, Any], *, component_message: int | None = None) -> dict[str, Any]:
        guild = payload.get("guild_id")
        gate = next(
            (
                g
                for g in self.gates
                if g.identified.is_set() and (guild is None or self._shard_of(int(guild), g.shard_count) == g.shard_id)
            ),
            None,
        )
        if gate is None:
            raise AssertionError("no identified gateway session serves this guild")
        state = InteractionState(payload, time.perf_counter(), component_message_id=component_message)
        self.interactions[int(payload["id"])] = state
        self.dispatch_times[int(payload["id"])] = state.created
        await self._send(gate, "INTERACTION_CREATE", payload)
        return payload

    def _schema(self, path: tuple[str, ...], guild_id: int | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The synced command and the options of the (sub)command at `path`."""
        pool = list(self.guild_commands.get(guild_id, [])) if guild_id is not None else []
        pool += self.global_commands
        top = next((c for c in pool if c["name"] == path[0]), None)
        if top is None:
            raise AssertionError(f"/{path[0]} was never synced; the client cannot offer it")
        options: list[dict[str, Any]] = top.get("options") or []
        for word in path[1:]:
            node = next((o for o in options if o["name"] == word and o["type"] in (1, 2)), None)
            if node is None:
                raise AssertionError(f"/{' '.join(path)} was never synced")
            options = node.get("options") or []
        return top, options

    def _resolve(self, kind: int, value: Any, resolved: dict[str, dict[str, Any]], guild_id: int) -> str:
        if kind == 7:
            channel_id = self.guilds[guild_id]["channels_by_name"].get(str(value), value)
            channel = self.channels[int(channel_id)]
            resolved.setdefault("channels", {})[str(channel_id)] = {
                "id": str(channel_id),
                "name": channel["name"],
                "type": channel["type"],
                "permissions": str(EVERYONE_PERMISSIONS),
                "guild_id": str(guild_id),
            }
            return str(channel_id)
        if kind in (6, 9) and str(value) in self.users:
            user = self.users[str(value)]
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            member = {k: v for k, v in self._member(user, guild_id).items() if k != "user"}
            resolved.setdefault("members", {})[str(user.id)] = member
            return str(user.id)
        if kind in (8, 9):
            role = next(
                (r for r in self.guilds[guild_id]["roles"] if r["name"] == value or r["id"] == str(value)), None
            )
            if role is not None:
                resolved.setdefault("roles", {})[role["id"]] = role
                return str(role["id"])
        raise AssertionError(f"cannot resolve {value!r} for an option of type {kind}")

    def _typed(self, spec: Mapping[str, Any], value: Any, resolved: dict[str, Any], guild_id: int) -> Any:
        kind = spec["type"]
        name = spec["name"]
        if kind == 3:
            if not isinstance(value, str):
                raise AssertionError(f"option {name} takes a string, not {value!r}")
            if "max_length" in spec and len(value) > spec["max_length"]:
                raise AssertionError(f"option {name} is at most {spec['max_length']} characters (client-side rule)")
        elif kind == 4:
            if not isinstance(value, int) or isinstance(value, bool):
                raise AssertionError(f"option {name} takes an integer, not {value!r}")
        elif kind == 10:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise AssertionError(f"option {name} takes a number, not {value!r}")
        elif kind == 5:
            if not isinstance(value, bool):
                raise AssertionError(f"option {name} takes true or false, not {value!r}")
        else:
            return self._resolve(kind, value, resolved, guild_id)
        if spec.get("choices") and value not in [c["value"] for c in spec["choices"]]:
            raise AssertionError(f"option {name} must be one of its choices, not {value!r}")
        for bound, check in (("min_value", lambda a, b: a >= b), ("max_value", lambda a, b: a <= b)):
            if bound in spec and kind in (4, 10) and not check(value, spec[bound]):
                raise AssertionError(f"option {name} breaks its {bound} (client-side rule)")
        return value

    def _command_data(
        self, command: str, options: Mapping[str, Any], guild_id: int, focused: str | None = None
    ) -> dict[str, Any]:
        path = tuple(command.split())
        top, schema = self._schema(path, guild_id)
        resolved: dict[str, Any] = {}
        given: list[dict[str, Any]] = []
        names = {o["name"] for o in schema}
        unknown = set(options) - names
        if unknown:
            raise AssertionError(f"/{command} has no option(s) {sorted(unknown)}")
        for spec in schema:
            if spec["name"] == focused:
                given.append(
                    {"name": spec["name"], "type": spec["type"], "value": str(options[spec["name"]]), "focused": True}
                )
            elif spec["name"] in options:
                value = self._typed(spec, options[spec["name"]], resolved, guild_id)
                given.append({"name": spec["name"], "type": spec["type"], "value": value})
            elif spec.get("required") and focused is None:
                raise AssertionError(f"/{command} needs option {spec['name']}")
        for depth in range(len(path) - 1, 0, -1):
            kind = 1 if depth == len(path) - 1 else 2
            given = [{"name": path[depth], "type": kind, "options": given}]
        data: dict[str, Any] = {"id": top["id"], "name": path[0], "type": 1, "options": given}
        if top.get("guild_id"):
            data["guild_id"] = top["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: str = "ada",
        channel: int | None = None,
    ) -> dict[str, Any]:
        """Dispatch `/command` with typed options, as the Discord client would after checking them."""
        channel_id = channel or self.channel_id
        guild_id = int(self.channels[channel_id]["guild_id"])
        data = self._command_data(command, options or {}, guild_id)
        return await self._deliver(self._envelope(2, data, user, channel_id))

    async def autocomplete(
        self, command: str, focused: str, current: str, options: Mapping[str, Any] | None = None, *, user: str = "ada"
    ) -> dict[str, Any]:
        """Dispatch an autocomplete request for option `focused`, with `current` typed so far."""
        guild_id = int(self.channels[self.channel_id]["guild_id"])
        data = self._command_data(command, {**(options or {}), focused: current}, guild_id, focused=focused)
        return await self._deliver(self._envelope(4, data, user, self.channel_id))

    async def press(
        self, message_id: int | str, custom_id: str, *, user: str = "ada", values: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """Press a button (or choose in a select) that is on a message the bot sent."""
        message = self.messages.get(int(message_id))
        if message is None:
            raise AssertionError(f"there is no message {message_id}")
        component = next(
            (
                c
                for row in message.get("components", [])
                for c in row.get("components", [])
                if c.get("custom_id") == custom_id
            ),
            None,
        )
        if component is None:
            raise AssertionError(f"message {message_id} has no component {custom_id!r}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] == 3:
            chosen = list(values or ())
            allowed = {o["value"] for o in component["options"]}
            if not set(chosen) <= allowed or not component["min_values"] <= len(chosen) <= component["max_values"]:
                raise AssertionError(f"the client would not allow choosing {chosen}")
            data["values"] = chosen
        payload = self._envelope(3, data, user, int(message["channel_id"]))
        payload["message"] = message
        return await self._deliver(payload, component_message=int(message_id))

    def message_of(self, recorded: Recorded) -> dict[str, Any]:
        """The stored message a callback or webhook request produced or changed."""
        state = next(
            (s for s in self.interactions.values() if recorded.path.startswith(f"/interactions/{s.payload['id']}/")),
            None,
        )
        if state is not None and state.original_id is not None:
            return self.messages[state.original_id]
        raise AssertionError(f"no message for {recorded.path}")


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


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    # discord.py compares Content-Type with "application/json" exactly, so no charset parameter.
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type="application/json", headers=dict(headers or {})
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()
