"""A fake Slack on 127.0.0.1: the Web API methods studybot calls, response URLs, and Socket Mode.

The real `AsyncWebClient` is pointed at `base_url`; payloads sent by tests carry `response_url(...)`;
the fake's `apps.connections.open` hands out a loopback websocket URL, so the real Socket Mode client
connects here too. `views.open` checks a modal against Block Kit's rules and keeps it, and
`view_submission` builds what Slack sends when a member submits it. Everything received is
recorded, and tests wait on records with a timeout, never with a sleep. Unknown methods and paths
are recorded as `unknown` so a test can assert there were none.

Posted messages are kept per channel (`messages`) with their `metadata`, edited by `chat.update`, and
read back by `conversations.history` as Slack documents it: newest first, `oldest`/`latest`
exclusive unless `inclusive`, `limit` with `has_more` and a `next_cursor`, and metadata only with
`include_all_metadata`. A message's ts counts up from `epoch` (seconds), which a test may set to its
own clock's time. `after(method, hook)` runs a hook once a call has taken effect and before it is
answered, so a test can kill a client between Slack taking a post and the client hearing of it.

"Add to Slack": `authorize(team_id, ...)` is Slack's consent page, approved, and hands back the code
Slack would put on the redirect; `oauth.v2.access` (checked against `oauth_client`, sent with HTTP Basic
auth as slack_sdk does) trades it once for a new bot token of that team, and `auth.test` answers each
issued token with its own team and bot user. Each record keeps the token its call carried (`token`).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import mimetypes
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

BOT_TOKEN_PREFIX = "xoxb-"
APP_TOKEN_PREFIX = "xapp-"
TEAM_ID = "T0FAKE"
BOT_USER_ID = "U0BOT"


@dataclass(frozen=True, slots=True)
class Record:
    """One thing the fake received: an API call, a response-URL post, a Socket Mode ack, or junk."""

    kind: str  # "api" | "response" | "expired" (a post to an expired response URL) | "ack" | "download"
    # | "upload" (bytes posted to an upload URL) | "unknown"
    name: str  # API method, response-URL key, envelope id, or path (an upload: its file id)
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)
    at: float = 0.0  # time.perf_counter() when it arrived
    token: str = ""  # the token an API call carried (never in `headers`)
    data: bytes = b""  # the bytes of an upload


@dataclass(frozen=True, slots=True)
class Grant:
    """A team's approval on Slack's consent page, waiting for `oauth.v2.access` to trade its code."""

    team_id: str
    team_name: str
    installer: str
    scopes: tuple[str, ...]
    enterprise_id: str | None = None


@dataclass
class _Failure:
    error: str
    status: int
    headers: dict[str, str]
    times: int


def _plain_text_problems(where: str, value: Any, limit: int) -> list[str]:
    if not isinstance(value, dict) or value.get("type") != "plain_text" or not isinstance(value.get("text"), str):
        return [f"{where} must be a plain_text object"]
    if not 1 <= len(value["text"]) <= limit:
        return [f"{where} must be 1 to {limit} characters"]
    return []


def modal_problems(view: Any) -> list[str]:
    """Where `view` breaks Block Kit's rules for a modal (the ones views.open enforces), as Slack's
    `response_metadata.messages` would list them; empty when it is valid."""
    if not isinstance(view, dict) or view.get("type") != "modal":
        return ["view must be a modal"]
    problems = _plain_text_problems("title", view.get("title"), 24)
    for key in ("submit", "close"):
        if key in view:
            problems += _plain_text_problems(key, view[key], 24)
    blocks = view.get("blocks") or []
    if not 1 <= len(blocks) <= 100:
        problems.append("a modal holds 1 to 100 blocks")
    if any(b.get("type") == "input" for b in blocks) and "submit" not in view:
        problems.append("a modal with inputs needs a submit label")
    if len(str(view.get("callback_id", ""))) > 255 or len(str(view.get("private_metadata", ""))) > 3000:
        problems.append("callback_id is at most 255 characters and private_metadata 3000")
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"blocks[{index}]"
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in block_ids or not 1 <= len(block_id) <= 255:
                problems.append(f"{where}.block_id must be unique and 1 to 255 characters")
            block_ids.add(block_id)
        if block.get("type") == "section":
            text = block.get("text") or {}
            if text.get("type") not in ("mrkdwn", "plain_text") or not 1 <= len(text.get("text", "")) <= 3000:
                problems.append(f"{where}.text must be 1 to 3000 characters")
        elif block.get("type") == "input":
            problems += _input_problems(where, block)
        else:
            problems.append(f"{where} type {block.get('type')!r} is not one studybot's fake knows")
    return problems


def _input_problems(where: str, block: dict[str, Any]) -> list[str]:
    problems = _plain_text_problems(f"{where}.label", block.get("label"), 2000)
    if "hint" in block:
        problems += _plain_text_problems(f"{where}.hint", block["hint"], 2000)
    element = block.get("element") or {}
    if not 1 <= len(str(element.get("action_id", ""))) <= 255:
        problems.append(f"{where}.element.action_id must be 1 to 255 characters")
    if element.get("type") == "plain_text_input":
        if not 0 <= int(element.get("max_length", 3000)) <= 3000:
            problems.append(f"{where}.element.max_length must be at most 3000")
    elif element.get("type") == "file_input":
        if not 1 <= int(element.get("max_files", 10)) <= 10:
            problems.append(f"{where}.element.max_files must be 1 to 10")
        if not all(isinstance(t, str) and t for t in element.get("filetypes", [])):
            problems.append(f"{where}.element.filetypes must be file extensions")
    elif element.get("type") == "static_select":
        options = element.get("options") or []
        if not 1 <= len(options) <= 100:
            problems.append(f"{where}.element.options must hold 1 to 100 options")
        for option in options:
            problems += _plain_text_problems(f"{where}.element.options.text", option.get("text"), 75)
            if not 1 <= len(str(option.get("value", ""))) <= 150:
                problems.append(f"{where}.element.options.value must be 1 to 150 characters")
        if "initial_option" in element and element["initial_option"] not in options:
            problems.append(f"{where}.element.initial_option must be one of its options")
    else:
        problems.append(f"{where}.element type {element.get('type')!r} is not one studybot's fake knows")
    return problems


class FakeSlack:
    """Start with `async with FakeSlack() as slack:`; it binds port 0 and stops on exit."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}  # id → what usergroups.list answers for it
        self.channels: dict[str, dict[str, Any]] = {}
        self.scopes: list[str] | None = None  # when set, auth.test lists them in x-oauth-scopes, as Slack does
        self.port = 0
        self._failures: dict[str, _Failure] = {}
        self._holds: dict[str, asyncio.Event] = {}
        self._expired: set[str] = set()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._socket_open = asyncio.Event()
        self._ts = itertools.count(1)
        self.views: dict[str, dict[str, Any]] = {}  # opened modals by view id
        self.files: dict[str, tuple[dict[str, Any], bytes]] = {}  # uploaded files: id → (files.info object, bytes)
        self.pending_uploads: dict[str, dict[str, Any]] = {}  # getUploadURLExternal'd, not completed: id → what
        self.expired_triggers: set[str] = set()  # trigger ids views.open refuses as expired (after 3 s)
        self._used_triggers: set[str] = set()
        self.epoch = 1_700_000_000  # whole seconds; message ts are epoch.000001, epoch.000002, ...
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel -> messages, oldest first
        self._after: dict[str, Callable[[Record], Awaitable[None]]] = {}
        self.oauth_client: tuple[str, str] | None = None  # (client id, secret) oauth.v2.access accepts
        self._grants: dict[str, Grant] = {}  # code -> grant, each code traded once
        self.issued: dict[str, Grant] = {}  # bot token -> the grant it was issued for

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/files-pri/{tail:.*}", self._file_download)
        app.router.add_post("/upload/v1/{file_id}", self._upload_bytes)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- what tests configure -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str | None = None) -> str:
        return f"http://127.0.0.1:{self.port}/response/{key or uuid.uuid4().hex[:12]}"

    def add_user(self, user_id: str, name: str, *, admin: bool = False, owner: bool = False) -> None:
        """What `users.info` answers for `user_id`."""
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name.lower().replace(" ", "."),
            "real_name": name,
            "is_admin": admin,
            "is_owner": owner,
            "is_primary_owner": False,
            "is_bot": False,
            "profile": {"display_name": name, "real_name": name},
        }

    def add_channel(
        self, channel_id: str, name: str, *, member: bool = True, archived: bool = False, private: bool = False
    ) -> None:
        """What `conversations.info` answers for `channel_id`; posting there then follows Slack's rules.

        A channel the bot is not a member of answers `not_in_channel` to `chat.postMessage`, an archived
        one `is_archived`. Channels never added are not checked when posting (older tests post freely).
        """
        self.channels[channel_id] = {
            "id": channel_id,
            "name": name,
            "is_channel": not private,
            "is_group": False,
            "is_private": private,
            "is_archived": archived,
            "is_member": member,
            "context_team_id": TEAM_ID,
        }

    def fail(
        self, method: str, error: str, *, status: int = 200, headers: dict[str, str] | None = None, times: int = 1
    ):
        """Make the next `times` calls of `method` fail as Slack would (`{"ok": false, "error": …}`)."""
        self._failures[method] = _Failure(error, status, headers or {}, times)

    def expire(self, key: str) -> None:
        """Make `response_url(key)` answer like a used-up or 30-minute-old response URL."""
        self._expired.add(key)

    def hold(self, method: str) -> asyncio.Event:
        """Answer `method` only once the returned event is set, to show that nothing waits for it
        (acks, for one) without racing a clock; `release` or setting the event lets calls through."""
        gate = self._holds[method] = asyncio.Event()
        return gate

    def after(self, method: str, hook: Callable[[Record], Awaitable[None]] | None) -> None:
        """Run `hook` with each call of `method` once it took effect (a post is stored), before the
        answer goes back; None removes it."""
        if hook is None:
            self._after.pop(method, None)
        else:
            self._after[method] = hook

    def authorize(
        self,
        team_id: str,
        team_name: str,
        *,
        installer: str = "U0INSTALLER",
        scopes: tuple[str, ...] = ("commands", "chat:write"),
        enterprise_id: str | None = None,
    ) -> str:
        """Approve an install on Slack's consent page for `team_id`: the code Slack adds to the redirect."""
        code = f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"
        self._grants[code] = Grant(team_id, team_name, installer, scopes, enterprise_id)
        return code

    def token_of(self, team_id: str) -> str:
        """The latest bot token issued to `team_id`."""
        return [token for token, grant in self.issued.items() if grant.team_id == team_id][-1]

    def release(self, method: str) -> None:
        gate = self._holds.pop(method, None)
        if gate is not None:
            gate.set()

    # -- what tests read ------------------------------------------------------------------------

    def calls(self, kind: str | None = None, name: str | None = None) -> list[Record]:
        return [r for r in self.records if (kind is None or r.kind == kind) and (name is None or r.name == name)]

    async def wait_for(self, predicate: Callable[[Record], bool], within: float = 5.0) -> Record:
        """The first record (already here or still to come) that matches, or TimeoutError."""

        def found() -> Record | None:
            return next((r for r in self.records if predicate(r)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), within)
        record = found()
        assert record is not None
        return record

    def responses_for(self, key: str) -> list[Record]:
        return self.calls("response", key)

    async def wait_response(self, key: str, within: float = 5.0) -> Record:
        return await self.wait_for(lambda r: r.kind == "response" and r.name == key, within)

    async def wait_ack(self, envelope_id: str, within: float = 5.0) -> Record:
        return await self.wait_for(lambda r: r.kind == "ack" and r.name == envelope_id, within)

    async def wait_connected(self, within: float = 5.0) -> None:
        await asyncio.wait_for(self._socket_open.wait(), within)

    async def send_envelope(
        self, type_: str, payload: Mapping[str, Any], *, accepts_response_payload: bool = True
    ) -> str:
        """Push one Socket Mode envelope to every connected client; returns its envelope id."""
        if not self._sockets:
            raise RuntimeError("no Socket Mode client is connected")
        envelope_id = uuid.uuid4().hex
        envelope = {
            "envelope_id": envelope_id,
            "type": type_,
            "payload": dict(payload),
            "accepts_response_payload": accepts_response_payload,
        }
        for ws in list(self._sockets):
            await ws.send_str(json.dumps(envelope))
        return envelope_id

    # -- internals ------------------------------------------------------------------------------

    async def _record(self, record: Record) -> None:
        async with self._changed:
            self.records.append(record)
            self._changed.notify_all()

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        data: dict[str, Any] = dict(request.query)
        raw = await request.text()
        if not raw:
            return data
        if request.content_type == "application/json":
            data.update(json.loads(raw))
        else:
            data.update(parse_qsl(raw, keep_blank_values=True))
        return data

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await self._body(request)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not token:
            token = str(body.get("token", ""))
        record = Record("api", method, body, headers, time.perf_counter(), token)
        await self._record(record)
        if method == "oauth.v2.access":
            return web.json_response(self._oauth_access(request, body))
        wanted = APP_TOKEN_PREFIX if method == "apps.connections.open" else BOT_TOKEN_PREFIX
        if not token.startswith(wanted):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        gate = self._holds.get(method)
        if gate is not None:
            await gate.wait()
        failure = self._failures.get(method)
        if failure is not None and failure.times > 0:
            failure.times -= 1
            return web.json_response(
                {"ok": False, "error": failure.error}, status=failure.status, headers=failure.headers
            )
        handler = self._methods().get(method)
        if handler is None:
            await self._record(Record("unknown", method, body, headers, time.perf_counter()))
            return web.json_response({"ok": False, "error": "unknown_method"})
        headers = {"x-oauth-scopes": ",".join(self.scopes)} if method == "auth.test" and self.scopes is not None else {}
        answer = {"ok": True, **handler(body)}  # a handler may answer ok: false
        grant = self.issued.get(token)
        if method == "auth.test" and grant is not None:  # an installed team's token speaks for that team
            answer.update(team=grant.team_name, team_id=grant.team_id, user_id=_bot_user(grant), bot_id=_bot_id(grant))
            headers = {"x-oauth-scopes": ",".join(grant.scopes)}
        hook = self._after.get(method)
        if hook is not None:
            await hook(record)
        return web.json_response(answer, headers=headers)

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "auth.test": lambda b: {
                "url": "https://fake.slack.test/",
                "team": "Fake",
                "user": "studybot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": "B0BOT",
            },
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": lambda b: {"message_ts": self._next_ts()},
            "chat.update": self._update,
            "conversations.history": self._history,
            "users.info": self._users_info,
            "usergroups.list": self._usergroups_list,
            "conversations.info": self._conversations_info,
            "conversations.open": lambda b: {"channel": {"id": "D" + str(b.get("users", "")).split(",")[0]}},
            "apps.connections.open": lambda b: {"url": f"ws://127.0.0.1:{self.port}/socket?ticket={uuid.uuid4().hex}"},
            "views.open": self._views_open,
            "files.info": self._files_info,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    def _oauth_access(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        """oauth.v2.access: the app's credentials (Basic auth, or client_id/client_secret in the body) and a
        code from `authorize`, traded once, for a new bot token of that team."""
        client = (str(body.get("client_id", "")), str(body.get("client_secret", "")))
        basic = request.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic.removeprefix("Basic ")).decode().partition(":")
            client = (client_id, secret)
        if self.oauth_client is None or client[0] != self.oauth_client[0]:
            return {"ok": False, "error": "invalid_client_id"}
        if client[1] != self.oauth_client[1]:
            return {"ok": False, "error": "bad_client_secret"}
        grant = self._grants.pop(str(body.get("code", "")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        token = f"{BOT_TOKEN_PREFIX}{grant.team_id}-{uuid.uuid4().hex[:16]}"
        self.issued[token] = grant
        enterprise = {"id": grant.enterprise_id, "name": "Grid"} if grant.enterprise_id else None
        return {
            "ok": True,
            "access_token": token,
            "token_type": "bot",
            "scope": ",".join(grant.scopes),
            "bot_user_id": _bot_user(grant),
            "app_id": "A0FAKE",
            "team": {"id": grant.team_id, "name": grant.team_name},
            "enterprise": enterprise,
            "is_enterprise_install": False,
            "authed_user": {"id": grant.installer},
        }

    # -- modals: views.open, and the view_submission Slack sends when one is submitted ------------------

    def _views_open(self, body: dict[str, Any]) -> dict[str, Any]:
        """Open a modal as Slack does: a trigger works once (and not once expired), the view must obey
        Block Kit's modal rules (`modal_problems`), and the opened view gets an id and empty state."""
        trigger = str(body.get("trigger_id") or "")
        if not trigger:
            return {"ok": False, "error": "invalid_arguments"}
        if trigger in self.expired_triggers:
            return {"ok": False, "error": "expired_trigger_id"}
        if trigger in self._used_triggers:
            return {"ok": False, "error": "exchanged_trigger_id"}
        view = body.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        problems = modal_problems(view)
        if problems:
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": problems}}
        self._used_triggers.add(trigger)
        view_id = f"V0{next(self._ts):08d}"
        opened = {**view, "id": view_id, "team_id": TEAM_ID, "app_id": "A0FAKE", "state": {"values": {}}}
        opened["hash"] = uuid.uuid4().hex[:20]
        self.views[view_id] = opened
        return {"view": opened}

    def upload(self, name: str, data: bytes, *, size: int | None = None) -> str:
        """A file a member uploads (in a modal's file picker); its id. `size` is what Slack reports."""
        file_id = f"F0{next(self._ts):08d}"
        base = f"http://127.0.0.1:{self.port}/files-pri/{TEAM_ID}-{file_id}"
        self.files[file_id] = (
            {
                "id": file_id,
                "name": name,
                "title": name,
                "mimetype": "text/plain",
                "filetype": name.rsplit(".", 1)[-1] if "." in name else "text",
                "size": len(data) if size is None else size,
                "url_private": f"{base}/{name}",
                "url_private_download": f"{base}/download/{name}",
                "is_external": False,
            },
            data,
        )
        return file_id

    # The external upload flow, as Slack documents it: files.getUploadURLExternal hands out a URL and a
    # file id, the bytes are posted to the URL (raw or multipart), and files.completeUploadExternal
    # shares the file in `channel_id` as a message carrying it (a file completed without one is private).

    def _upload_url(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.scopes is not None and "files:write" not in self.scopes:
            return {"ok": False, "error": "missing_scope", "needed": "files:write"}
        length, filename = str(body.get("length") or ""), str(body.get("filename") or "")
        if not filename or not length.isdigit() or int(length) == 0:
            return {"ok": False, "error": "missing_argument"}
        if len(str(body.get("alt_txt") or "")) > 1000:
            return {"ok": False, "error": "alt_txt_too_large"}
        file_id = f"F0{next(self._ts):08d}"
        self.pending_uploads[file_id] = {
            "filename": filename,
            "length": int(length),
            "alt_txt": body.get("alt_txt"),
            "data": None,
        }
        return {"upload_url": f"http://127.0.0.1:{self.port}/upload/v1/{file_id}", "file_id": file_id}

    async def _upload_bytes(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        data = await request.read()
        if request.content_type == "multipart/form-data":  # `curl -F filename=@file`: the file part's bytes
            form = BytesParser(policy=policy.default).parsebytes(
                f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode() + data
            )
            part = next((p for p in form.iter_parts() if p.get_filename()), None)
            payload = part.get_payload(decode=True) if part is not None else None
            data = payload if isinstance(payload, bytes) else b""
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        await self._record(Record("upload", file_id, {"length": len(data)}, headers, time.perf_counter(), data=data))
        pending = self.pending_uploads.get(file_id)
        if pending is None:
            return web.Response(status=404, text="upload url not found")
        pending["data"] = data
        return web.Response(text=f"OK - {len(data)}")

    def _complete_upload(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.scopes is not None and "files:write" not in self.scopes:
            return {"ok": False, "error": "missing_scope", "needed": "files:write"}
        entries = json.loads(body["files"]) if isinstance(body.get("files"), str) else body.get("files")
        if not isinstance(entries, list) or not entries:
            return {"ok": False, "error": "invalid_arguments"}
        channel_id = str(body.get("channel_id") or "")
        channel = self.channels.get(channel_id)
        if channel is not None and channel["is_archived"]:
            return {"ok": False, "error": "is_archived"}
        if channel is not None and not channel["is_member"]:
            return {"ok": False, "error": "not_in_channel"}
        done = []
        for entry in entries:
            pending = self.pending_uploads.get(str(entry.get("id")))
            if pending is None or pending["data"] is None or len(pending["data"]) != pending["length"]:
                return {"ok": False, "error": "file_not_found"}
            done.append((str(entry["id"]), str(entry.get("title") or pending["filename"]), pending))
        shared = []
        for file_id, title, pending in done:
            del self.pending_uploads[file_id]
            name = pending["filename"]
            base = f"http://127.0.0.1:{self.port}/files-pri/{TEAM_ID}-{file_id}"
            info = {
                "id": file_id,
                "name": name,
                "title": title,
                "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream",
                "filetype": name.rsplit(".", 1)[-1] if "." in name else "binary",
                "size": len(pending["data"]),
                "url_private": f"{base}/{name}",
                "url_private_download": f"{base}/download/{name}",
                "is_external": False,
                "channels": [channel_id] if channel_id.startswith("C") else [],
                "ims": [channel_id] if channel_id.startswith("D") else [],
            }
            if pending["alt_txt"]:
                info["alt_txt"] = pending["alt_txt"]
            self.files[file_id] = (info, pending["data"])
            shared.append(info)
        if channel_id:
            ts = self._next_ts()
            message = {"type": "message", "user": BOT_USER_ID, "ts": ts, "text": body.get("initial_comment") or ""}
            message.update(files=shared, upload=True)
            self.messages.setdefault(channel_id, []).append(message)
        return {"files": [{"id": f["id"], "title": f["title"]} for f in shared]}

    def _files_info(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.scopes is not None and "files:read" not in self.scopes:
            return {"ok": False, "error": "missing_scope", "needed": "files:read"}
        found = self.files.get(str(body.get("file")))
        if found is None:
            return {"ok": False, "error": "file_not_found"}
        return {"file": found[0]}

    async def _file_download(self, request: web.Request) -> web.Response:
        """A file's private URL: its bytes with a bot token; without one Slack sends the browser to sign in."""
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        await self._record(Record("download", request.path, {}, headers, time.perf_counter()))
        if not token.startswith(BOT_TOKEN_PREFIX):
            return web.Response(status=302, headers={"Location": "https://fake.slack.test/signin"})
        parts = request.match_info["tail"].split("/")
        file_id = parts[0].removeprefix(f"{TEAM_ID}-")
        found = self.files.get(file_id)
        if found is None or parts[-1] != found[0]["name"]:
            return web.Response(status=404, text="file not found")
        return web.Response(body=found[1], content_type=str(found[0].get("mimetype") or "text/plain"))

    def view_submission(self, view_id: str, user: str, typed: Mapping[str, str]) -> dict[str, Any]:
        """The `view_submission` payload Slack sends when `user` submits modal `view_id` having typed
        `typed` (block id → text, an option value for a menu, or the id `upload` gave for a file
        picker). Slack's client refuses what a member
        could not submit: a required input left empty, more text than `max_length`, a line break in a
        one-line input; so does this, with an AssertionError."""
        view = self.views[view_id]
        inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
        unknown = set(typed) - set(inputs)
        if unknown:
            raise AssertionError(f"the modal has no input {sorted(unknown)}")
        values: dict[str, Any] = {}
        for block_id, block in inputs.items():
            element = block["element"]
            given = typed.get(block_id)
            if element["type"] == "plain_text_input":
                text = given or ""
                limit = element.get("max_length", 3000)
                if not text and not block.get("optional"):
                    raise AssertionError(f"Slack would not submit the modal with {block_id} empty")
                if len(text) > limit:
                    raise AssertionError(f"{block_id} takes at most {limit} characters")
                if "\n" in text and not element.get("multiline"):
                    raise AssertionError(f"{block_id} is one line")
                values[block_id] = {element["action_id"]: {"type": "plain_text_input", "value": text or None}}
            elif element["type"] == "file_input":
                if not given and not block.get("optional"):
                    raise AssertionError(f"Slack would not submit the modal with no file in {block_id}")
                files = [self.files[given][0]] if given else []
                values[block_id] = {element["action_id"]: {"type": "file_input", "files": files}}
            elif element["type"] == "static_select":
                chosen = next((o for o in element["options"] if o["value"] == given), element.get("initial_option"))
                if given is not None and (chosen is None or chosen["value"] != given):
                    raise AssertionError(f"{block_id} has no option {given!r}")
                values[block_id] = {element["action_id"]: {"type": "static_select", "selected_option": chosen}}
        return {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "fake"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0FAKE",
            "token": "legacy-verification-token",
            "trigger_id": f"{uuid.uuid4().int % 10**10}.1.v",
            "view": {**view, "state": {"values": values}},
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def _post_message(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(body.get("channel")))
        if channel is not None and channel["is_archived"]:
            return {"ok": False, "error": "is_archived"}
        if channel is not None and not channel["is_member"]:
            return {"ok": False, "error": "not_in_channel"}
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": "B0BOT",
            "ts": ts,
            "text": body.get("text"),
            "blocks": body.get("blocks", []),
        }
        metadata = body.get("metadata")
        if isinstance(metadata, str):  # form-encoded calls send it as a JSON string
            metadata = json.loads(metadata)
        if metadata:
            message["metadata"] = metadata
        self.messages.setdefault(str(body.get("channel")), []).append(message)
        return {"channel": body.get("channel"), "ts": ts, "message": message}

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        stored = next((m for m in self.messages.get(str(body.get("channel")), []) if m["ts"] == body.get("ts")), None)
        if stored is not None:
            stored.update(text=body.get("text"), blocks=body.get("blocks", stored["blocks"]))
            stored["edited"] = {"user": BOT_USER_ID}
        return {"channel": body.get("channel"), "ts": body.get("ts"), "text": body.get("text")}

    def _history(self, body: dict[str, Any]) -> dict[str, Any]:
        """`conversations.history`: newest first, bounded by oldest/latest, one page of `limit`."""
        channel = str(body.get("channel"))
        known = self.channels.get(channel)
        if known is not None and not known["is_member"]:
            return {"ok": False, "error": "not_in_channel"}
        inclusive = _flag(body.get("inclusive"))
        oldest = float(body.get("oldest") or 0)
        latest = float(body["latest"]) if body.get("latest") else float("inf")

        def inside(ts: float) -> bool:
            return (oldest <= ts <= latest) if inclusive else (oldest < ts < latest)

        found = [m for m in reversed(self.messages.get(channel, [])) if inside(float(m["ts"]))]
        start = int(str(body.get("cursor") or "0").removeprefix("page:") or 0)
        limit = min(int(body.get("limit") or 100), 999)
        page = found[start : start + limit]
        if not _flag(body.get("include_all_metadata")):
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(found)
        return {
            "messages": page,
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": f"page:{start + limit}" if more else ""},
        }

    def _conversations_info(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(str(body.get("channel")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"channel": channel}

    def add_usergroup(self, group_id: str, handle: str, users: list[str]) -> None:
        """A user group (`@handle`) and its members, as `usergroups.list` reports it."""
        self.usergroups[group_id] = {"id": group_id, "team_id": TEAM_ID, "handle": handle, "users": list(users)}

    def _usergroups_list(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.scopes is not None and "usergroups:read" not in self.scopes:
            return {"ok": False, "error": "missing_scope", "needed": "usergroups:read"}
        include = str(body.get("include_users", "")).lower() in ("1", "true")
        groups = [g if include else {k: v for k, v in g.items() if k != "users"} for g in self.usergroups.values()]
        return {"usergroups": groups}

    def _users_info(self, body: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(body.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"user": user}

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{self.epoch + n // 1_000_000}.{n % 1_000_000:06d}"

    async def _response(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        body = json.loads(await request.text() or "{}")
        if key in self._expired:
            record = Record("expired", key, body, dict(request.headers), time.perf_counter())
            await self._record(record)
            return web.Response(status=404, text="expired_url")
        await self._record(Record("response", key, body, dict(request.headers), time.perf_counter()))
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.add(ws)
        try:
            await ws.send_str(
                json.dumps(
                    {
                        "type": "hello",
                        "num_connections": len(self._sockets),
                        "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                        "connection_info": {"app_id": "A0FAKE"},
                    }
                )
            )
            self._socket_open.set()
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                if "envelope_id" in data:
                    await self._record(Record("ack", str(data["envelope_id"]), data, {}, time.perf_counter()))
                else:
                    await self._record(Record("unknown", "socket", data, {}, time.perf_counter()))
        finally:
            self._sockets.discard(ws)
            if not self._sockets:
                self._socket_open.clear()
        return ws

    async def _unknown(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        await self._record(Record("unknown", request.path, body, dict(request.headers), time.perf_counter()))
        return web.json_response({"ok": False, "error": "unknown_path"}, status=404)


def _flag(value: Any) -> bool:
    """A boolean argument as the Web API takes it: true/1 (slack_sdk sends 1 and 0)."""
    return str(value).lower() in ("1", "true")


def _bot_user(grant: Grant) -> str:
    return f"UB{grant.team_id}"


def _bot_id(grant: Grant) -> str:
    return f"BB{grant.team_id}"
