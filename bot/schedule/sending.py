"""Sending through the platforms: the posters, one rate limiter per platform, typed outcomes.

The deliverer, the live answer count and the paused-schedule DM all post through one `Sender`, so
they share the same pacing and a platform that is not connected in this process fails the same way.
`post` is the deliverer's way in: a retried delivery is first looked for on the platform when the
poster can do that (`FindsEarlierPosts`), so a post that went out before a crash is not made twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from bot.metrics import Metrics, observe_sends
from bot.replies import Reply
from bot.schedule.ports import FindsEarlierPosts, Poster, Posters, PostOutcome, PostResult
from bot.schedule.ratelimit import RateLimiter, limiter_for

log = logging.getLogger(__name__)

_NOT_FOUND = PostResult(PostOutcome.FAILED, detail="no earlier post found")  # compared by identity


class Sender:
    def __init__(self, posters: Posters, *, metrics: Metrics | None = None) -> None:
        self.posters = posters
        self.metrics = metrics  # counts each post attempt, its 429s and its rate-limit waits
        self.limiters: dict[str, RateLimiter] = {}

    def poster(self, platform: str) -> Poster | None:
        return self.posters.get(platform)

    def limiter(self, platform: str) -> RateLimiter:
        if platform not in self.limiters:
            self.limiters[platform] = limiter_for(platform)
        return self.limiters[platform]

    async def send(self, platform: str, channel: str, call: Callable[[Poster], Awaitable[PostResult]]) -> PostResult:
        """Run `call` with the platform's poster once the channel's rate limit allows it."""
        poster = self.poster(platform)
        if poster is None:
            return PostResult(PostOutcome.FAILED, detail=f"no {platform} connection in this process")
        return await self.limiter(platform).send(channel, observe_sends(self.metrics, platform, lambda: call(poster)))

    async def post(
        self,
        platform: str,
        workspace: str,
        channel: str,
        reply: Reply,
        *,
        nonce: str,
        retry_since: dt.datetime | None = None,
    ) -> PostResult:
        """Post one delivery; `retry_since` (its due time) says an earlier attempt may have gone out.

        For a retry, a poster that can look (`FindsEarlierPosts`) is asked first: a post found is
        returned as sent. When it cannot tell, a rate limit or a channel that is gone is returned as
        is (the claim is retried or failed as for a post); any other doubt (say a token without the
        history scope) is logged and the delivery is posted, so nothing is silently missed.
        """
        poster = self.poster(platform)
        if retry_since is not None and isinstance(poster, FindsEarlierPosts):
            finder, since = poster, retry_since

            async def look() -> PostResult:
                earlier = await finder.find_post(workspace, channel, nonce, since)
                return _NOT_FOUND if earlier is None else earlier

            found = await self.limiter(platform).send(channel, look)
            if found is not _NOT_FOUND and (found.ok or found.permanent or found.outcome is PostOutcome.RATE_LIMITED):
                return found
            if found is not _NOT_FOUND:
                log.warning(
                    "could not tell whether an earlier post went out (%s); posting it",
                    found.detail,
                    extra={"platform": platform, "channel": channel},
                )
        return await self.send(platform, channel, lambda p: p.post(workspace, channel, reply, nonce=nonce))
