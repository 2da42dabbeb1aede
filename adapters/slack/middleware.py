"""Two Bolt middlewares for what Bolt leaves to the app: replayed requests and Events API retries.

Bolt checks each HTTP request's signature and rejects timestamps more than five minutes off. A
*correctly signed* request captured and sent again inside those five minutes still passes, because
Slack sends no nonce. `ReplayGuard` remembers every signature it let through until Bolt's own window
would reject it anyway, and answers a repeat with 401 before any listener runs.

The Events API retries a delivery up to three times (immediately, after a minute, after five) when it
did not get a 200 in time. `EventDeduplication` acknowledges a repeat of an `event_id` it has already
seen and stops there. It keys on the event id alone, never on `X-Slack-Retry-Num`, so a retry whose
first delivery never reached us is processed like a first delivery.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Handler
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

SIGNATURE_WINDOW = 300.0  # Bolt's (and slack_sdk's) allowed clock skew, in seconds
EVENT_WINDOW = 3600.0  # Slack's last retry comes about five minutes after the first; keep ids an hour


class _ExpiringSet:
    """Keys with an expiry time, forgotten once expired; insertion order is (nearly) expiry order."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, float] = OrderedDict()

    def prune(self, now: float) -> None:
        while self._items:
            _key, expires = next(iter(self._items.items()))
            if expires > now:
                break
            self._items.popitem(last=False)

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def add(self, key: str, expires: float) -> None:
        self._items[key] = expires

    def __len__(self) -> int:
        return len(self._items)


def _header(req: AsyncBoltRequest, name: str) -> str | None:
    values = req.headers.get(name)
    return values[0] if values else None


class ReplayGuard(AsyncMiddleware):
    """401 for a correctly signed request whose exact signature was already accepted (HTTP mode only).

    Runs right after Bolt's signature check (as `before_authorize`), so only genuine Slack
    signatures are remembered, and a replay reaches neither authorization nor any listener.
    """

    def __init__(self, *, window: float = SIGNATURE_WINDOW, clock: Callable[[], float] = time.time) -> None:
        self._window = window
        self._clock = clock
        self._seen = _ExpiringSet()

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        if req.mode == "socket_mode":
            return await next()
        signature = _header(req, "x-slack-signature")
        timestamp = _header(req, "x-slack-request-timestamp")
        if not signature or not timestamp:
            return await next()  # Bolt's verification already refused these; nothing to remember
        now = self._clock()
        self._seen.prune(now)
        if signature in self._seen:
            log.warning("replayed Slack request refused (timestamp %s)", timestamp)
            return BoltResponse(status=401, body={"error": "replayed request"})
        try:
            sent = float(timestamp)
        except ValueError:
            sent = now
        # Bolt accepts |now - sent| <= window, so the signature is dangerous until sent + window.
        self._seen.add(signature, max(now, sent) + self._window)
        return await next()


class EventDeduplication(AsyncMiddleware):
    """Acknowledge, and do nothing else for, an Events API delivery whose `event_id` was already seen."""

    def __init__(self, *, window: float = EVENT_WINDOW, clock: Callable[[], float] = time.time) -> None:
        self._window = window
        self._clock = clock
        self._seen = _ExpiringSet()

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        body = req.body if isinstance(req.body, dict) else {}
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            return await next()
        now = self._clock()
        self._seen.prune(now)
        if event_id in self._seen:
            log.info(
                "duplicate event %s dropped (retry %s, %s)",
                event_id,
                _header(req, "x-slack-retry-num"),
                _header(req, "x-slack-retry-reason"),
            )
            return BoltResponse(status=200, body="")
        self._seen.add(str(event_id), now + self._window)
        return await next()


@web.middleware
async def refuse_unreadable_timestamps(request: web.Request, handler: Handler) -> web.StreamResponse:
    """401 for a request whose `X-Slack-Request-Timestamp` is not a whole number, as for any bad signature.

    Slack never sends one, and slack_sdk's verifier calls `int()` on it: Bolt answered the ValueError
    with 500. Bolt verifies before any of its own middleware runs, so this sits in front, in aiohttp.
    """
    stamp = request.headers.get("X-Slack-Request-Timestamp")
    if stamp is not None:
        try:
            int(stamp)
        except ValueError:
            log.warning("Slack request with an unreadable timestamp refused")
            return web.json_response({"error": "invalid request"}, status=401)
    return await handler(request)
