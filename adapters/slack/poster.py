"""The scheduler's `Poster` for Slack: `chat.postMessage`, `chat.update`, and DMs via `conversations.open`.

Channel posts and their edits carry the reply's one mention (a user group or a member); direct
messages never do. `check_channel` asks `conversations.info` whether the bot could post in a channel,
so `/studyadmin schedule add` refuses a channel the bot was never invited to instead of failing at 9:00.

Failures the scheduler acts on come back as typed outcomes. A 429 is reported with its Retry-After
instead of being slept through: the client has no rate-limit retry handler on purpose, so pacing
stays in the scheduler, which knows how many posts are waiting.

The bot token is for one workspace, so `workspace` is only used for logging. Slack has no nonce for
`chat.postMessage`, so a scheduled post carries message metadata naming its delivery (event type
`studybot_delivery`, the delivery's nonce in the payload). When a claim is retried after a crash,
`find_post` reads the channel's history since the delivery was due (`conversations.history` with
`include_all_metadata`, a few pages at most) and returns the earlier post's ts instead of posting
again; that needs `channels:history` (and `groups:history` for private channels).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import render, wire_blocks
from bot.replies import Reply
from bot.schedule.ports import PostOutcome, PostResult

log = logging.getLogger(__name__)

DELIVERY_EVENT = "studybot_delivery"  # the metadata event type of a scheduled post
HISTORY_PAGE = 100  # messages per conversations.history page (Slack caps some apps at 15; it then pages)
HISTORY_PAGES = 5  # pages at most: a busy channel's older messages are not worth more calls
CLOCK_SKEW = dt.timedelta(minutes=10)  # Slack's ts comes from Slack's clock, the due time from ours
# What the client raises when Slack never answered (refused, reset, timed out): a failure to retry, not a crash.
UNREACHABLE = (aiohttp.ClientError, TimeoutError)

_OUTCOMES = {
    "not_in_channel": PostOutcome.MISSING_ACCESS,
    "channel_not_found": PostOutcome.UNKNOWN_CHANNEL,
    "is_archived": PostOutcome.ARCHIVED,
    "ratelimited": PostOutcome.RATE_LIMITED,
    "message_not_found": PostOutcome.UNKNOWN_CHANNEL,
    "cant_update_message": PostOutcome.MISSING_ACCESS,
    "user_not_found": PostOutcome.UNKNOWN_CHANNEL,
    "cannot_dm_bot": PostOutcome.MISSING_ACCESS,
}


# What `check_channel` says, shown to the moderator after "I can't post in <channel>: ".
NOT_A_MEMBER = "the bot is not a member of that channel; type /invite @studybot in it first"
NOT_FOUND = (
    "Slack has no channel with that id that the bot can see; pick the channel with # "
    "(a private channel only shows once you /invite @studybot in it)"
)
ARCHIVED = "that channel is archived; unarchive it or pick another one"


def _retry_after(headers: Mapping[str, Any] | None) -> float | None:
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


def outcome_of(exc: SlackApiError | aiohttp.ClientError | TimeoutError) -> PostResult:
    """A Web API error, or no answer at all, as the outcome the scheduler understands."""
    if not isinstance(exc, SlackApiError):
        return PostResult(PostOutcome.FAILED, detail=f"Slack did not answer ({type(exc).__name__}: {exc})"[:300])
    response = exc.response
    error = str(response.get("error") or "")
    if response.status_code == 429:
        error = "ratelimited"
    outcome = _OUTCOMES.get(error, PostOutcome.FAILED)
    retry_after = _retry_after(response.headers) if outcome is PostOutcome.RATE_LIMITED else None
    if outcome is PostOutcome.RATE_LIMITED and retry_after is None:
        retry_after = 1.0  # Slack always sends Retry-After; if a proxy ate it, wait the per-channel second
    return PostResult(outcome, retry_after=retry_after, detail=error or f"HTTP {response.status_code}")


class SlackPoster:
    """Implements `bot.schedule.ports.Poster` with the bot token's Web API client."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def post(self, workspace: str, channel: str, reply: Reply, *, nonce: str | None = None) -> PostResult:
        return await self._post(workspace, channel, reply, mention=True, nonce=nonce)

    async def _post(
        self, workspace: str, channel: str, reply: Reply, *, mention: bool, nonce: str | None = None
    ) -> PostResult:
        message = render(reply, mention=mention)
        extra: dict[str, Any] = {}
        if nonce is not None:
            extra["metadata"] = {"event_type": DELIVERY_EVENT, "event_payload": {"delivery": nonce}}
        try:
            response = await self._client.chat_postMessage(
                channel=channel, text=message["text"], blocks=wire_blocks(message), **extra
            )
        except (SlackApiError, *UNREACHABLE) as exc:
            result = outcome_of(exc)
            log.warning("post failed: %s", result.detail, extra={"workspace": workspace, "channel": channel})
            return result
        return PostResult(PostOutcome.OK, message_id=str(response["ts"]))

    async def find_post(self, workspace: str, channel: str, nonce: str, since: dt.datetime) -> PostResult | None:
        """The post of delivery `nonce` made in `channel` since `since` (OK with its ts), None if there is none.

        Implements `bot.schedule.ports.FindsEarlierPosts`. Messages come newest first, so the pages
        read reach back from now towards `since`; a lookup Slack refuses comes back as an outcome
        (`missing_scope` for a token installed before the history scopes were asked for).
        """
        cursor: str | None = None
        oldest = f"{(since - CLOCK_SKEW).timestamp():.6f}"
        for _page in range(HISTORY_PAGES):
            try:
                response = await self._client.conversations_history(
                    channel=channel, oldest=oldest, limit=HISTORY_PAGE, include_all_metadata=True, cursor=cursor
                )
            except (SlackApiError, *UNREACHABLE) as exc:
                result = outcome_of(exc)
                where = {"workspace": workspace, "channel": channel}
                log.warning("conversations.history failed: %s", result.detail, extra=where)
                return result
            for found in response.get("messages") or ():
                metadata = found.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == DELIVERY_EVENT and payload.get("delivery") == nonce:
                    return PostResult(PostOutcome.OK, message_id=str(found["ts"]))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not response.get("has_more") or cursor is None:
                return None
        log.info("delivery %s not found in the last %s pages", nonce, HISTORY_PAGES, extra={"channel": channel})
        return None

    async def edit(self, workspace: str, channel: str, message_id: str, reply: Reply) -> PostResult:
        # The prompt keeps its mention while its count changes (Slack notifies nobody for an edit).
        message = render(reply, mention=True)
        try:
            response = await self._client.chat_update(
                channel=channel, ts=message_id, text=message["text"], blocks=wire_blocks(message)
            )
        except (SlackApiError, *UNREACHABLE) as exc:
            result = outcome_of(exc)
            log.warning("edit failed: %s", result.detail, extra={"workspace": workspace, "channel": channel})
            return result
        return PostResult(PostOutcome.OK, message_id=str(response.get("ts") or message_id))

    async def direct_message(self, workspace: str, user_id: str, reply: Reply) -> PostResult:
        try:
            opened = await self._client.conversations_open(users=user_id)
        except (SlackApiError, *UNREACHABLE) as exc:
            result = outcome_of(exc)
            log.warning("conversations.open failed: %s", result.detail, extra={"workspace": workspace, "user": user_id})
            return result
        channel = str(opened["channel"]["id"])
        return await self._post(workspace, channel, reply, mention=False)

    async def check_channel(self, workspace: str, channel: str) -> PostResult:
        """Whether the bot can post in `channel`: OK, or why not, with what to do about it in `detail`.

        Needs `channels:read` (public channels). Without a scope for the channel's kind (a private
        channel: `groups:read`, which studybot does not ask for) Slack answers `missing_scope`; the check
        then says OK and the first post reports any problem, as it did before the check existed.
        """
        try:
            response = await self._client.conversations_info(channel=channel)
        except (SlackApiError, *UNREACHABLE) as exc:
            error = str(exc.response.get("error") or "") if isinstance(exc, SlackApiError) else ""
            if error == "missing_scope":
                log.info("conversations.info: missing_scope; channel not checked", extra={"channel": channel})
                return PostResult(PostOutcome.OK, detail="not checked (missing_scope)")
            if error == "channel_not_found":
                return PostResult(PostOutcome.UNKNOWN_CHANNEL, detail=NOT_FOUND)
            result = outcome_of(exc)
            log.warning(
                "conversations.info failed: %s", result.detail, extra={"workspace": workspace, "channel": channel}
            )
            return result
        info = response.get("channel") or {}
        if info.get("is_archived"):
            return PostResult(PostOutcome.ARCHIVED, detail=ARCHIVED)
        if info.get("is_member") is False:
            return PostResult(PostOutcome.MISSING_ACCESS, detail=NOT_A_MEMBER)
        return PostResult(PostOutcome.OK)
