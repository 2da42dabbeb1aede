"""`Poster` for Discord: post, edit and direct-message over REST, with typed outcomes.

It uses the adapter's logged-in discord.py client, so requests share its session, its bucket rate
limiter and its `Retry-After` handling: a short 429 is waited out and retried by discord.py; one longer
than the client's `max_ratelimit_timeout` comes back as `RATE_LIMITED` with `retry_after`, for the
scheduler to decide. Errors Discord explains are mapped to outcomes (missing access, unknown channel);
anything else is `FAILED` with the status, code and message in `detail`.

Scheduled posts carry Discord's `nonce` with `enforce_nonce`, so a post retried after a crash (same
delivery, same nonce) returns the message already sent instead of a second one. Discord checks a nonce
only over "the past few minutes": the running bot retries a dead claim when its two-minute lease ends,
well inside that, but a `deliver-due` re-run long after a crash is not covered by it. A prompt's
`Reply.mention` becomes a ping of that one role, and only on the post itself (never on an edit, a
DM or an interaction reply); `check_channel` tells `/studyadmin schedule add` whether the bot can
post in a channel at all.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Awaitable, Mapping
from typing import Any

import aiohttp
import discord

from adapters.discord.access import THREADS, channel_permissions, missing, needed_in
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
        messages = render(self._known_role(workspace, reply), channel_post=True)
        return await self._send_all(workspace, channel, target, messages, nonce)

    async def edit(self, workspace: str, channel: str, message_id: str, reply: Reply) -> PostResult:
        """Replace one earlier message; a reply too long for one message is cut, never spread.

        The text looks as posted (a prompt keeps its role mention at the top) but pings nobody.
        """
        target = self._client.get_partial_messageable(int(channel), guild_id=_guild(workspace))
        message = target.get_partial_message(int(message_id))
        rendered = render_one(self._known_role(workspace, reply), channel_post=True)
        return await self._guard(workspace, channel, message.edit(**edit_kwargs(rendered)), message_id)

    async def check_channel(self, workspace: str, channel: str) -> PostResult:
        """Whether the bot can post a prompt in `channel`: OK, MISSING_ACCESS or UNKNOWN_CHANNEL, with a reason.

        Three REST reads (the channel, the guild's roles, the bot's member), so the answer reflects the
        server as it is now, not a cache; see `adapters.discord.access` for the arithmetic.
        """
        guild = _guild(workspace)
        me = self._client.user
        if not channel.isdigit() or guild is None or me is None:
            return PostResult(PostOutcome.UNKNOWN_CHANNEL, detail="that is not a channel of this Discord server")
        http = self._client.http
        try:
            data: Mapping[str, Any] = await http.get_channel(int(channel))
            name = f"#{data.get('name') or channel}"
            if str(data.get("guild_id")) != workspace:
                return PostResult(PostOutcome.UNKNOWN_CHANNEL, detail=f"{name} is not a channel of this server")
            needed = needed_in(int(data.get("type", 0)))
            if needed is None:
                return PostResult(PostOutcome.FAILED, detail=f"{name} is not a channel messages can be posted in")
            if int(data.get("type", 0)) in THREADS:
                data = await http.get_channel(int(data["parent_id"]))  # a thread: its parent's overwrites count
            roles = await http.get_roles(guild)
            member = await http.get_member(guild, me.id)
        except (TimeoutError, discord.HTTPException, discord.RateLimited, aiohttp.ClientError) as exc:
            result = outcome_of(exc)
            log.info("checking channel %s: %s", channel, result.detail, extra={"workspace": workspace})
            reason = {
                PostOutcome.MISSING_ACCESS: "the bot cannot see that channel",
                PostOutcome.UNKNOWN_CHANNEL: "that channel does not exist",
            }.get(result.outcome, f"Discord did not answer the check ({result.detail})")
            return dataclasses.replace(result, detail=reason)
        bits = channel_permissions(
            guild, roles, member.get("roles") or (), me.id, data.get("permission_overwrites") or ()
        )
        lacking = missing(bits, needed)
        if lacking:
            return PostResult(PostOutcome.MISSING_ACCESS, detail=f"the bot lacks {' and '.join(lacking)} in {name}")
        return PostResult(PostOutcome.OK)

    def _known_role(self, workspace: str, reply: Reply) -> Reply:
        """`reply` without its mention when the guild is known and has no such role (or it is @everyone).

        The setting accepts any mentionable, so it may hold a member's id or a deleted role; a post
        must never turn that into `<@&…>` noise or, for the guild id, an @everyone ping.
        """
        if reply.mention is None or not reply.mention.isdigit():
            return reply
        guild = self._client.get_guild(_guild(workspace) or 0)
        if guild is None:
            return reply  # not cached (another shard, or not ready yet): the renderer still checks the id
        role = guild.get_role(int(reply.mention))
        if role is None or role.is_default():
            log.warning("not mentioning %s: no such role in this server", reply.mention, extra={"workspace": workspace})
            return dataclasses.replace(reply, mention=None)
        return reply

    async def leave_role(self, workspace: str, user_id: str, role_id: str) -> PostResult:
        """Take a member out of a role; Discord refuses without Manage Roles or for a role above the bot's."""
        guild = _guild(workspace)
        if guild is None or not user_id.isdigit() or not role_id.isdigit():
            return PostResult(PostOutcome.FAILED, detail="not a Discord member and role")
        try:
            await self._client.http.remove_role(guild, int(user_id), int(role_id), reason="/notify role_ping:off")
        except (TimeoutError, discord.HTTPException, discord.RateLimited, aiohttp.ClientError) as exc:
            result = outcome_of(exc)
            log.warning("leaving a role failed: %s", result.detail, extra={"workspace": workspace})
            return result
        return PostResult(PostOutcome.OK)

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
