"""Pacing posts per platform, so a fan-out to thousands of channels never trips a 429 storm.

discord.py reacts to 429s but does not pace ahead of the 50 requests/s global limit, and slack_sdk
does not retry 429s at all by default (platform-limits §1.2, §2.2). So every scheduled post and edit
goes through one limiter per platform: a global spacing (Discord 50/s) and a sliding window per
channel (Discord about 5 per 5 s; Slack about 1 per second), reserved in arrival order. A 429 that
still comes back blocks that channel (or everything, for a global one) for its Retry-After, then the
same post is tried again, a few times at most.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.schedule.ports import PostOutcome, PostResult

# Aim a little under the published limits: the platform measures with its own clock and windows.
SAFETY = 0.96
MAX_ATTEMPTS = 5
DEFAULT_RETRY_AFTER = 1.0


@dataclass(frozen=True, slots=True)
class Limits:
    per_second: float | None  # the platform-wide rate, or None when only channels are limited
    channel_count: int  # this many posts …
    channel_window: float  # … per this many seconds in one channel


LIMITS: dict[str, Limits] = {
    "discord": Limits(50.0, 5, 5.0),
    "slack": Limits(None, 1, 1.0),
    "console": Limits(None, 1000, 1.0),
}


class RateLimiter:
    """Reserves a send time for each request; safe to share between tasks on one event loop."""

    def __init__(
        self,
        limits: Limits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self.max_attempts = max_attempts
        self._next_global = 0.0
        self._global_blocked_until = 0.0
        self._channels: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}
        self.retries = 0

    def reserve(self, channel: str) -> float:
        """The earliest time a request to `channel` may go, reserved now so later callers queue behind it."""
        now = self._clock()
        at = max(now, self._global_blocked_until, self._blocked.get(channel, 0.0))
        window = self._channels.setdefault(channel, deque(maxlen=self.limits.channel_count))
        if len(window) == self.limits.channel_count:
            at = max(at, window[0] + self.limits.channel_window / SAFETY)
        if self.limits.per_second:
            at = max(at, self._next_global)
            self._next_global = at + 1.0 / (self.limits.per_second * SAFETY)
        window.append(at)
        return at

    async def acquire(self, channel: str) -> None:
        delay = self.reserve(channel) - self._clock()
        if delay > 0:
            await self._sleep(delay)

    def blocked(self, channel: str, retry_after: float, *, everywhere: bool = False) -> None:
        until = self._clock() + retry_after
        if everywhere:
            self._global_blocked_until = max(self._global_blocked_until, until)
        else:
            self._blocked[channel] = max(self._blocked.get(channel, 0.0), until)

    async def send(self, channel: str, call: Callable[[], Awaitable[PostResult]]) -> PostResult:
        """Run `call` when allowed; on a 429 wait out its Retry-After and try again."""
        result = PostResult(PostOutcome.FAILED, detail="not attempted")
        for _attempt in range(self.max_attempts):
            await self.acquire(channel)
            result = await call()
            if result.outcome is not PostOutcome.RATE_LIMITED:
                return result
            self.retries += 1
            everywhere = bool(result.detail and "global" in result.detail)
            self.blocked(channel, result.retry_after or DEFAULT_RETRY_AFTER, everywhere=everywhere)
        return result


def limiter_for(platform: str, **kwargs: object) -> RateLimiter:
    return RateLimiter(LIMITS.get(platform, LIMITS["slack"]), **kwargs)  # type: ignore[arg-type]
