"""The HTTP side of the fake Discord: the aiohttp site, request recording, injected failures and waiting.

This is the bottom layer of `FakeDiscord` (see `discord_server`). It knows nothing about guilds,
messages or interactions: it serves an aiohttp app on 127.0.0.1 port 0, records every request it
receives (`requests`, as `Recorded`), answers a request with 429 + Retry-After or any error when a
test asks it to (`rate_limit_next`, `fail_next`), keeps exceptions raised by a handler in `errors`
instead of hiding them behind a silent 500, and lets tests wait for a request (`wait_for`) while
failing fast if a watched client task dies. Anything no layer above recognises lands in `unexpected`
with a 404. It lives apart so the recording and waiting rules can be read without the Discord model.

Layers above plug in by overriding `_route` (REST; call `super()._route` for what they do not
handle) and `_gateway` (the websocket at `/gateway`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any, Self

from aiohttp import web

API = "/api/v10"


@dataclass(frozen=True)
class Upload:
    """One file part (`files[n]`) of a multipart request, as Discord receives it."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Recorded:
    """One request the fake received; a multipart one's `payload_json` is its `json`, its files `files`."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    at: float
    status: int = 0
    files: list[Upload] = field(default_factory=list)


RECORDED = web.RequestKey("recorded", Recorded)


@dataclass
class Injected:
    """A canned answer for the next request whose method and path (a regex search) match."""

    method: str
    path: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


class DiscordTransport:
    """The aiohttp site on 127.0.0.1, recording every request; `_route` and `_gateway` are overridden above."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.unexpected: list[Recorded] = []
        self.errors: list[Exception] = []
        self._inject: list[Injected] = []
        self._pulse = asyncio.Event()
        self._watched: list[asyncio.Task[Any]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- set-up --------------------------------------------------------------------------------

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

    async def __aenter__(self) -> Self:
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
        if self._runner is not None:
            await self._runner.cleanup()

    # -- waiting -------------------------------------------------------------------------------

    def _poke(self) -> None:
        """Wake everything waiting in `wait_for` (or a layer's own wait) to look again."""
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

    # -- recording and injected failures ---------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        if request.path == "/gateway":
            return await handler(request)  # type: ignore[no-any-return]
        body: Any = None
        files: list[Upload] = []
        raw = await request.read()
        if raw and request.content_type == "multipart/form-data":
            body, files = _multipart(request.headers["Content-Type"], raw)
        elif raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        path = _api_path(request)
        record = Recorded(request.method, path, dict(request.query), dict(request.headers), body, time.perf_counter())
        record.files = files
        self.requests.append(record)
        try:
            injected = next((i for i in self._inject if i.method == request.method and i.path.search(path)), None)
            refused = _upload_problem(body, files)
            if injected is not None:
                self._inject.remove(injected)
                response = _json(injected.body, injected.status, injected.headers)
            elif refused is not None:
                response = refused
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

    # -- handlers the layers above override --------------------------------------------------------

    async def _route(self, request: web.Request) -> web.StreamResponse:
        """A REST request no layer handled: record it as unexpected and answer 404."""
        self.unexpected.append(request[RECORDED])
        return _json({"message": "404: Not Found", "code": 0}, 404)

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        """The `/gateway` websocket; this layer has none."""
        return _json({"message": "404: Not Found", "code": 0}, 404)


FILE_LIMIT = 10 * 1024 * 1024  # bytes per request, for a bot in a server without boosts
DESCRIPTION_LIMIT = 1024  # an attachment's description (alt text)
FILES_LIMIT = 10


def _multipart(content_type: str, raw: bytes) -> tuple[Any, list[Upload]]:
    """The `payload_json` part (parsed) and the file parts of a multipart/form-data body."""
    message = BytesParser(policy=policy.default).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    body: Any = None
    files: list[Upload] = []
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition") or "")
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        if name == "payload_json":
            body = json.loads(data)
        else:
            files.append(Upload(name, str(part.get_filename() or ""), part.get_content_type(), data))
    return body, files


def message_attachments(body: Any) -> list[dict[str, Any]]:
    """The `attachments` a message body names: at its top, or in an interaction callback's `data`."""
    if not isinstance(body, dict):
        return []
    holder = body.get("data") if isinstance(body.get("data"), dict) and "type" in body else body
    found = holder.get("attachments") if isinstance(holder, dict) else None
    return list(found) if isinstance(found, list) else []


def _invalid_form(where: str, why: str) -> web.Response:
    return _json({"message": "Invalid Form Body", "code": 50035, "errors": {where: why}}, 400)


def _upload_problem(body: Any, files: list[Upload]) -> web.Response | None:
    """What Discord answers a request whose files break its rules, or None when they keep them:
    too large is 413 (40005); more than ten, a long description or an attachment naming a file part
    that is not there is 400 Invalid Form Body (50035)."""
    if sum(len(f.data) for f in files) > FILE_LIMIT:
        return _json({"message": "Request entity too large", "code": 40005}, 413)
    fields = {f.field for f in files}
    for entry in message_attachments(body):
        new = isinstance(entry.get("id"), int) or (isinstance(entry.get("id"), str) and len(entry["id"]) < 5)
        if new and f"files[{entry['id']}]" not in fields:
            return _invalid_form("attachments", "no such file")
        if len(str(entry.get("description") or "")) > DESCRIPTION_LIMIT:
            return _invalid_form("description", "too long")
    if len(files) > FILES_LIMIT or any(not f.field.startswith("files[") or not f.filename for f in files):
        return _invalid_form("files", "bad file part")
    return None


def _api_path(request: web.Request) -> str:
    """The request's path without the /api/v10 prefix, as `Recorded.path` holds it."""
    return request.path[len(API) :] if request.path.startswith(API) else request.path


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    # discord.py compares Content-Type with "application/json" exactly, so no charset parameter.
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type="application/json", headers=dict(headers or {})
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()
