"""Sending through the platforms: the posters, one rate limiter per platform, typed outcomes.

The deliverer, the live answer count and the paused-schedule DM all post through one `Sender`, so
they share the same pacing and a platform that is not connected in this process fails the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.metrics import Metrics, observe_sends
from bot.schedule.ports import Poster, Posters, PostOutcome, PostResult
from bot.schedule.ratelimit import RateLimiter, limiter_for


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
