"""Monotonic time for the rate limiters, advanced by their own sleeps: pacing costs a test nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass
class VirtualTime:
    """`clock` for a limiter's reading, `sleep` for its waits; a sleep moves the clock at once and yields
    to the loop, so the order of work is as in production while no real time passes."""

    now: float = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)
