"""`Poster` for Discord: post, edit and direct-message over REST, with typed outcomes.

It uses the adapter's logged-in discord.py client, so requests share its session, its bucket rate
limiter and its `Retry-After` handling: a short 429 is waited out and retried by discord.py; one longer
than the client's `max_ratelimit_timeout` comes back as `RATE_LIMITED` with `retry_after`, for the
scheduler to decide. Errors Discord explains are mapped to outcomes (missing access, unknown channel);
anything else is `FAILED` with the status, code and message in `detail`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable

import aiohttp
import discord

from adapters.discord.render import RenderedMessage, render, render_one
from adapters.discord.respond import edit_kwargs, send_kwargs
from bot.replies import Reply
from bot.schedule.ports import PostOutcome, PostResult

log = logging.getLogger(__name__)

NONCE_LIMIT = 25  # Discord's limit on a message nonce
MISSING_ACCESS_CODES = {50001, 50013, 50007}  # missing access, missing permissions, cannot DM this user
UNKNOWN_CHANNEL_CODE = 10003


def discord_nonce(nonce: str) -> str:
    """`nonce` itself when it fits Discord's 25 characters, else a stable 25-character digest of it."""
    if len(nonce) <= NONCE_LIMIT:
        return nonce
    return hashlib.sha256(nonce.encode()).hexdigest()[:NONCE_LIMIT]


def outcome_of(error: Exception) -> PostResult:
    """What a failed request means for the scheduler."""
    if isinstance(error, discord.RateLimited):
        return PostResult(PostOutcome.RATE_LIMITED, retry_after=error.retry_after, detail="rate limited")
    if isinstance(error, discord.HTTPException):
        detail = f"{error.status} {error.code}: {error.text}"[:300]
        if error.status == 429:
            retry = error.response.headers.get("Retry-After") if error.response is not None else None
            return PostResult(PostOutcome.RATE_LIMITED, retry_after=_seconds(retry), detail=detail)
        if isinstance(error, discord.Forbidden) or error.code in MISSING_ACCESS_CODES:
            return PostResult(PostOutcome.MISSING_ACCESS, detail=detail)
        if error.code == UNKNOWN_CHANNEL_CODE or (isinstance(error, discord.NotFound) and error.code == 0):
            return PostResult(PostOutcome.UNKNOWN_CHANNEL, detail=detail)
        return PostResult(PostOutcome.FAILED, detail=detail)
    return PostResult(PostOutcome.FAILED, detail=f"{type(error).__name__}: {error}"[:300])


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class DiscordPoster:
    """Posts for the scheduler; `workspace` is the guild id and is only used in logs."""

    platform = "discord"

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def post(self, workspace: str, channel: str, reply: Reply, *, nonce: str | None = None) -> PostResult:
        """Post `reply` (several messages if it is long); the id returned is of the last, which has the buttons."""
        target = self._client.get_partial_messageable(int(channel), guild_id=_guild(workspace))
        return await self._send_all(workspace, channel, target, render(reply), nonce)

    async def edit(self, workspace: str, channel: str, message_id: str, reply: Reply) -> PostResult:
        """Replace one earlier message; a reply too long for one message is cut, never spread."""
        target = self._client.get_partial_messageable(int(channel), guild_id=_guild(workspace))
        message = target.get_partial_message(int(message_id))
        return await self._guard(workspace, channel, message.edit(**edit_kwargs(render_one(reply))), message_id)

    async def direct_message(self, workspace: str, user_id: str, reply: Reply) -> PostResult:
        try:
            dm = await self._client.create_dm(discord.Object(id=int(user_id)))
        except (TimeoutError, discord.HTTPException, discord.RateLimited, aiohttp.ClientError) as exc:
            result = outcome_of(exc)
            log.warning("opening a DM failed: %s", result.detail, extra={"workspace": workspace})
            return result
        return await self._send_all(workspace, str(dm.id), dm, render(reply), None)

    async def _send_all(
        self,
        workspace: str,
        channel: str,
        target: discord.abc.Messageable,
        messages: tuple[RenderedMessage, ...],
        nonce: str | None,
    ) -> PostResult:
        result = PostResult(PostOutcome.FAILED, detail="nothing to send")
        for index, message in enumerate(messages):
            kwargs = send_kwargs(message)
            if nonce is not None:
                # Each part gets its own nonce, so a retried post drops every part it already sent.
                kwargs["nonce"] = discord_nonce(nonce if index == 0 else f"{nonce}#{index}")
            result = await self._guard(workspace, channel, target.send(**kwargs), None)
            if not result.ok:
                return result
        return result

    async def _guard(
        self, workspace: str, channel: str, call: Awaitable[discord.Message | None], message_id: str | None
    ) -> PostResult:
        try:
            sent = await call
        except (TimeoutError, discord.HTTPException, discord.RateLimited, aiohttp.ClientError) as exc:
            result = outcome_of(exc)
            log.warning(
                "posting failed: %s (%s)",
                result.outcome.value,
                result.detail,
                extra={"workspace": workspace, "channel": channel},
            )
            return result
        return PostResult(PostOutcome.OK, message_id=str(sent.id) if sent is not None else message_id)


def _guild(workspace: str) -> int | None:
    return int(workspace) if workspace.isdigit() else None
