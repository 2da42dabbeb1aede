"""Fan-out benchmark: thousands of channels due in the same minute, against a fake Discord.

The fake platform enforces Discord's limits as the scheduler meets them: at most 50 requests in any
second for the whole bot, and at most 5 messages in any 5 seconds per channel. A request over either
limit is answered 429 with the Retry-After it would really get; a small share of requests also gets a
"shared" 429 at random, as Discord sometimes answers regardless of our pacing. The real `Deliverer`
claims every prompt in SQLite, paces through the per-platform rate limiter, and records each post.

Checks: posts/s against the 50/s limit (target at least 90%), zero duplicates, zero lost. With
`--processes 2` two runtimes share the database and the fake (one bot token), to show the claims keep
posts unique when both wake up together.

    .venv/bin/python bench/schedule_fanout.py [--channels 5000] [--processes 1]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import tempfile
import time
from collections import Counter, deque
from pathlib import Path

from sqlalchemy import insert

from bot.catalog import load_catalog
from bot.clock import FixedClock
from bot.replies import Reply
from bot.runtime import Runtime
from bot.schedule.ports import PostOutcome, PostResult
from bot.settings import Settings
from bot.store.schema import schedules

GLOBAL_PER_SECOND = 50
CHANNEL_COUNT, CHANNEL_WINDOW = 5, 5.0
SHARED_429_SHARE = 0.01


class FakeDiscord:
    """One bot token's view of Discord: sliding windows, 429 with Retry-After, every accepted post kept."""

    def __init__(self, seed: int = 7) -> None:
        self.recent: deque[float] = deque()
        self.channels: dict[str, deque[float]] = {}
        self.accepted: list[tuple[str, str | None, float]] = []  # channel, nonce, time
        self.rejected = Counter[str]()
        self.nonces: set[str] = set()
        self.rng = random.Random(seed)

    def _admit(self, channel: str) -> PostResult | None:
        now = time.monotonic()
        while self.recent and now - self.recent[0] >= 1.0:
            self.recent.popleft()
        if len(self.recent) >= GLOBAL_PER_SECOND:
            self.rejected["global"] += 1
            return PostResult(PostOutcome.RATE_LIMITED, retry_after=1.0 - (now - self.recent[0]), detail="global")
        window = self.channels.setdefault(channel, deque())
        while window and now - window[0] >= CHANNEL_WINDOW:
            window.popleft()
        if len(window) >= CHANNEL_COUNT:
            self.rejected["channel"] += 1
            return PostResult(PostOutcome.RATE_LIMITED, retry_after=CHANNEL_WINDOW - (now - window[0]))
        if self.rng.random() < SHARED_429_SHARE:
            self.rejected["shared"] += 1
            return PostResult(PostOutcome.RATE_LIMITED, retry_after=0.5, detail="shared")
        self.recent.append(now)
        window.append(now)
        return None

    def poster(self) -> DiscordPoster:
        return DiscordPoster(self)


class DiscordPoster:
    platform = "discord"

    def __init__(self, platform: FakeDiscord) -> None:
        self.platform_state = platform

    async def post(self, workspace: str, channel: str, reply: Reply, *, nonce: str | None = None) -> PostResult:
        fake = self.platform_state
        refused = fake._admit(channel)
        if refused is not None:
            return refused
        if nonce is not None and nonce in fake.nonces:  # enforce_nonce: Discord returns the same message
            return PostResult(PostOutcome.OK, message_id=nonce)
        if nonce is not None:
            fake.nonces.add(nonce)
        fake.accepted.append((channel, nonce, time.monotonic()))
        return PostResult(PostOutcome.OK, message_id=f"{channel}-{len(fake.accepted)}")

    async def edit(self, workspace: str, channel: str, message_id: str, reply: Reply) -> PostResult:
        return PostResult(PostOutcome.OK, message_id=message_id)

    async def direct_message(self, workspace: str, user_id: str, reply: Reply) -> PostResult:
        return PostResult(PostOutcome.OK)


async def run(channels: int, processes: int) -> dict[str, float]:
    due = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    clock = FixedClock(due - dt.timedelta(days=1))
    catalog = load_catalog()
    fake = FakeDiscord()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'fanout.sqlite3'}"
        settings = Settings.from_env({"STUDYBOT_DATABASE_URL": url}, env_file=None)
        runtimes = [Runtime(settings, clock=clock, catalog=catalog) for _ in range(processes)]
        for rt in runtimes:
            await rt.__aenter__()
        try:
            async with runtimes[0].services.engine.begin() as conn:
                now = clock.now()
                await conn.execute(
                    insert(schedules),
                    [
                        {
                            "platform": "discord",
                            "workspace": "guild",
                            "channel": f"c{i:05d}",
                            "exam": ("SAA-C03", "CLF-C02", "DVA-C02", "SAP-C02")[i % 4],
                            "cron": "0 9 * * *",
                            "timezone": "UTC",
                            "reveal_minutes": 720,
                            "domain": None,
                            "difficulty": None,
                            "paused": False,
                            "pause_reason": None,
                            "failures": 0,
                            "active_from": now,
                            "created_by": "mod",
                            "created_at": now,
                            "updated_at": now,
                        }
                        for i in range(channels)
                    ],
                )
            for rt in runtimes:
                rt.services.posters.add(fake.poster())
            clock.set(due)
            started = time.monotonic()
            results = await asyncio.gather(*(rt.schedule.deliver_due() for rt in runtimes))
            total = time.monotonic() - started
        finally:
            for rt in runtimes:
                await rt.__aexit__(None, None, None)
    times = [t for _c, _n, t in fake.accepted]
    span = max(times) - min(times) if len(times) > 1 else float("nan")
    per_channel = Counter(c for c, _n, _t in fake.accepted)
    return {
        "channels": channels,
        "processes": processes,
        "posted": len(fake.accepted),
        "reported": sum(r.prompts for r in results),
        "duplicates": sum(n - 1 for n in per_channel.values() if n > 1),
        "lost": channels - len(per_channel),
        "posting_seconds": span,
        "posts_per_second": (len(times) - 1) / span,
        "share_of_limit": (len(times) - 1) / span / GLOBAL_PER_SECOND,
        "total_seconds": total,
        "claim_seconds": total - span,
        "429_global": fake.rejected["global"],
        "429_channel": fake.rejected["channel"],
        "429_shared": fake.rejected["shared"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    figures = asyncio.run(run(args.channels, args.processes))
    for name, value in figures.items():
        print(f"{name:>18}: {value:,.3f}" if isinstance(value, float) else f"{name:>18}: {value:,}")


if __name__ == "__main__":
    main()
