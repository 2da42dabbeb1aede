"""Two Bolt middlewares for what Bolt leaves to the app: replayed requests and Events API retries.

Bolt checks each HTTP request's signature and rejects timestamps more than five minutes off. A
*correctly signed* request captured and sent again inside those five minutes still passes, because
Slack sends no nonce; a load balancer that retries a slow request on another worker sends it again
too. `ReplayGuard` claims every signature it lets through and answers a repeat with 401 before any
listener runs.

The Events API retries a delivery up to three times (immediately, after a minute, after five) when it
did not get a 200 in time, signed afresh each time. `EventDeduplication` acknowledges a repeat of an
`event_id` already seen and stops there. It keys on the event id alone, never on `X-Slack-Retry-Num`,
so a retry whose first delivery never reached us is processed like a first delivery. (A retried slash
command or button press carries the trigger id of its first delivery: the core refuses it as a
duplicate, and the listener, which has acknowledged it, sends nothing.)

Both remember through the core's delivery ledger (`Core.first_delivery`, claims in the database), not
in this process's memory: N stateless workers behind a load balancer, and a worker after a restart,
all refuse what any one of them has let through. The ledger forgets after an hour, longer than Bolt's
five-minute window and Slack's last retry.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack.translate import workspace_of

log = logging.getLogger(__name__)

FirstDelivery = Callable[[str, str, str], Awaitable[bool]]
"""`Core.first_delivery(platform, workspace, delivery_id)`: True the first time, across processes."""


def _header(req: AsyncBoltRequest, name: str) -> str | None:
    values = req.headers.get(name)
    return values[0] if values else None


def _body(req: AsyncBoltRequest) -> dict[str, Any]:
    return req.body if isinstance(req.body, dict) else {}


class ReplayGuard(AsyncMiddleware):
    """401 for a correctly signed request whose exact signature was already accepted (HTTP mode only).

    Runs right after Bolt's signature check (as `before_authorize`), so only genuine Slack
    signatures are remembered, and a replay reaches neither authorization nor any listener.
    """

    def __init__(self, first_delivery: FirstDelivery) -> None:
        self._first = first_delivery

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        if req.mode == "socket_mode":
            return await next()
        signature = _header(req, "x-slack-signature")
        if not signature or not _header(req, "x-slack-request-timestamp"):
            return await next()  # Bolt's verification already refused these; nothing to remember
        workspace = workspace_of(_body(req))
        if not await self._first("slack", workspace, f"signature:{signature}"):
            log.warning(
                "replayed Slack request refused (timestamp %s)",
                _header(req, "x-slack-request-timestamp"),
                extra={"workspace": workspace},
            )
            return BoltResponse(status=401, body={"error": "replayed request"})
        return await next()


class EventDeduplication(AsyncMiddleware):
    """Acknowledge, and do nothing else for, an Events API delivery whose `event_id` was already seen."""

    def __init__(self, first_delivery: FirstDelivery) -> None:
        self._first = first_delivery

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        body = _body(req)
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            return await next()
        workspace = workspace_of(body)
        if not await self._first("slack", workspace, f"event:{event_id}"):
            log.info(
                "duplicate event %s dropped (retry %s, %s)",
                event_id,
                _header(req, "x-slack-retry-num"),
                _header(req, "x-slack-retry-reason"),
                extra={"workspace": workspace},
            )
            return BoltResponse(status=200, body="")
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
