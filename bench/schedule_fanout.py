"""Fan-out benchmark: thousands of channels due in the same minute, against a fake Discord.

The fake platform enforces Discord's limits as the scheduler meets them: at most 50 requests in any
second for the whole bot, and at most 5 messages in any 5 seconds per channel. A request over either
limit is answered 429 with the Retry-After it would really get; a small share of requests also gets a
"shared" 429 at random, as Discord sometimes answers regardless of our pacing. The real `Deliverer`
claims every prompt in SQLite, paces through the per-platform rate limiter, and records each post.

Checks: the whole fan-out timed from the minute to the last post, against the platform limit
(channels / 50 per second; issue 14 asks for within 15%), the first post after the minute, zero
duplicates, zero lost. Meanwhile a member types a command every 200 ms (`--typing`, on by default):
alternately `/cert SAA-C03` (a read) and `/practice exam:SAA-C03` (a write, which needs SQLite's write
lock between the claims), each timed from when it is typed; all must succeed. With `--processes 2` two
runtimes share the database and the fake (one bot token), to show the claims keep posts unique when
both wake up together.

    .venv/bin/python bench/schedule_fanout.py [--channels 3000] [--processes 1] [--no-typing]
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


async def typing(rt: Runtime, stop: asyncio.Event, latencies: list[float], failures: list[str]) -> None:
    """A member typing a command every 200 ms until `stop`, each timed from the moment it is typed."""
    from bot.requests import Identity

    member = Identity("discord", "guild", "c00000", "typist", "Typist")
    lines = ("/cert SAA-C03", "/practice exam:SAA-C03")
    n = 0
    while not stop.is_set():
        typed = time.monotonic()
        reply = await rt.core.handle_line(member, lines[n % 2])
        latencies.append(time.monotonic() - typed)
        if reply.title in ("That didn't work", "Something went wrong"):
            failures.append(f"{lines[n % 2]}: {reply.text[:80]}")
        n += 1
        await asyncio.sleep(max(0.0, 0.2 - (time.monotonic() - typed)))


async def run(channels: int, processes: int, typed: bool = True) -> dict[str, float]:
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
            stop = asyncio.Event()
            latencies: list[float] = []
            failures: list[str] = []
            typist = asyncio.create_task(typing(runtimes[0], stop, latencies, failures)) if typed else None
            started = time.monotonic()  # the minute: every schedule falls due now
            results = await asyncio.gather(*(rt.schedule.deliver_due() for rt in runtimes))
            total = time.monotonic() - started
            stop.set()
            if typist is not None:
                await typist
        finally:
            for rt in runtimes:
                await rt.__aexit__(None, None, None)
    times = [t for _c, _n, t in fake.accepted]
    span = max(times) - min(times) if len(times) > 1 else float("nan")
    per_channel = Counter(c for c, _n, _t in fake.accepted)
    limit_seconds = (channels - 1) / GLOBAL_PER_SECOND
    ordered = sorted(latencies)

    def pct(share: float) -> float:
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000 if ordered else float("nan")

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
        "first_post_after_minute_s": min(times) - started if times else float("nan"),
        "minute_to_last_post_s": max(times) - started if times else float("nan"),
        "limit_seconds": limit_seconds,
        "end_to_end_vs_limit": (max(times) - started) / limit_seconds if times else float("nan"),
        "total_seconds": total,
        "commands_typed": len(latencies),
        "commands_failed": len(failures),
        "command_p50_ms": pct(0.5),
        "command_p99_ms": pct(0.99),
        "command_max_ms": pct(1.0),
        "429_global": fake.rejected["global"],
        "429_channel": fake.rejected["channel"],
        "429_shared": fake.rejected["shared"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=3000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--no-typing", action="store_true", help="no member typing commands during the fan-out")
    args = parser.parse_args()
    figures = asyncio.run(run(args.channels, args.processes, not args.no_typing))
    for name, value in figures.items():
        print(f"{name:>18}: {value:,.3f}" if isinstance(value, float) else f"{name:>18}: {value:,}")


if __name__ == "__main__":
    main()
