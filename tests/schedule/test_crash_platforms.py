"""Crash harness on Discord and Slack: delivery processes posting through the real platform clients to
the fakes, SIGKILLed at seeded points, then later passes; every schedule's prompt and reveal of the
day reach the platform exactly once, and the outbox records the very message that was posted.

Each trial draws where its one kill lands (see `crashlab.Plan`): in the 9:00 pass or in the reveal
pass; while claiming (once the n-th claim is visible), after the platform took the n-th post but
before the process heard back, or just after it heard back (before or after it recorded the post).
After a killed 9:00 pass, a pass past the lease retries the orphaned claims and a reveal pass
follows; after a killed reveal pass, a pass past the lease retries it. Discord drops a retried post by
its nonce (`enforce_nonce`); Slack has none, so a retried post is first looked for in the channel's
history by the delivery its metadata names.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.schedule.deliveries import LEASE
from bot.schedule.ports import PostOutcome, PostResult
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.posters import FakePoster
from tests.fakes.slack_server import TEAM_ID, FakeSlack
from tests.schedule.conftest import open_runtime
from tests.schedule.crashlab import (
    MONDAY_9,
    REVEAL_MINUTES,
    Killer,
    Pass,
    Plan,
    Run,
    add_schedules,
    discord_posts,
    outbox_rows,
    slack_posts,
    sqlite_claims,
    verdict,
)

TRIALS = 20
CHANNELS = 4
AT_ONCE = 4  # trials in flight together: each spends most of its time waiting on a process
LATER = LEASE + dt.timedelta(seconds=30)
REVEAL = MONDAY_9 + dt.timedelta(minutes=REVEAL_MINUTES + 5)
SLACK_TOKEN = "xoxb-1-crash-test"


@dataclass
class World:
    """One trial's platform fake: where passes post, its channels, and every post it took."""

    platform: str
    api: str
    token: str
    workspace: str
    channels: list[str]
    posts: Callable[[], list[tuple[str, str]]]
    strays: Callable[[], list[Any]]
    clock: Callable[[dt.datetime], None] = lambda _now: None  # the platform's own time, for its ids
    killer: Killer | None = field(default=None)

    async def posted(self) -> None:
        if self.killer is not None:
            await self.killer.posted()


@asynccontextmanager
async def slack_world() -> AsyncIterator[World]:
    async with FakeSlack() as fake:
        world = World(
            "slack",
            fake.base_url,
            SLACK_TOKEN,
            TEAM_ID,
            [f"C0CRASH{n}" for n in range(CHANNELS)],
            lambda: slack_posts(fake.messages),
            lambda: fake.calls("unknown"),
        )

        def clock(now: dt.datetime) -> None:
            fake.epoch = int(now.timestamp())  # a post's ts is Slack's time of it; here, the pass's

        world.clock = clock

        async def hook(_record: object) -> None:
            await world.posted()

        fake.after("chat.postMessage", hook)
        yield world


@asynccontextmanager
async def discord_world() -> AsyncIterator[World]:
    async with FakeDiscord() as fake:
        channels = [str(fake.add_channel(f"crash-{n}")) for n in range(CHANNELS)]
        world = World(
            "discord",
            fake.base_url,
            fake.token,
            str(fake.guild_id),
            channels,
            lambda: discord_posts(fake.messages),
            lambda: [*fake.unexpected, *fake.errors],
        )

        async def hook(_message: dict[str, Any]) -> None:
            await world.posted()

        fake.after_post = hook
        yield world


async def trial(
    opened: Callable[[], AbstractAsyncContextManager[World]], seed: int, template: Path, tmp: Path
) -> tuple[Plan, bool, list[str]]:
    """One seeded trial: (its plan, whether the kill landed, what went wrong)."""
    plan = Plan.draw(random.Random(seed), CHANNELS)
    target = tmp / f"trial{seed}.sqlite3"
    shutil.copyfile(template, target)
    url = f"sqlite+aiosqlite:///{target}"
    async with opened() as world:
        await add_schedules(url, world.platform, world.workspace, world.channels)
        if plan.kind == "prompt":
            times, killed = [MONDAY_9, MONDAY_9 + LATER, REVEAL], 0
        else:
            times, killed = [MONDAY_9, REVEAL, REVEAL + LATER], 1
        killer = Killer(plan)
        for index, now in enumerate(times):
            job = Pass(url, now, world.platform, world.api, world.token)
            world.clock(now)
            if index != killed:
                code = await Run(job).wait()
                assert code == 0, f"seed {seed}: pass at {now:%H:%M:%S} exited with {code}"
                continue
            world.killer = killer
            killer.run = Run(job)
            watcher = asyncio.create_task(killer.watch_claims(sqlite_claims(url, plan.kind)))
            code = await killer.run.wait()
            await watcher
            world.killer = None
            assert code == (-9 if killer.run.killed else 0), f"seed {seed}: killed pass exited with {code}"
        rows = await outbox_rows(url)
        found = verdict(rows, world.posts()).problems(CHANNELS)
        if world.strays():
            found.append(f"the fake saw requests it does not know: {world.strays()}")
    return plan, killer.run is not None and killer.run.killed, [f"seed {seed} {plan}: {p}" for p in found]


async def harness(opened: Callable[[], AbstractAsyncContextManager[World]], template: Path, tmp: Path) -> None:
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(seed: int) -> tuple[Plan, bool, list[str]]:
        async with gate:
            return await trial(opened, seed, template, tmp)

    results = await asyncio.gather(*(one(20261203 + n) for n in range(TRIALS)))
    problems = [p for _plan, _killed, found in results for p in found]
    assert problems == [], "\n".join(problems)
    killed = [plan for plan, landed, _found in results if landed]
    # The harness proves something only if its kills land, in each kind of pass and each mode.
    assert len(killed) >= TRIALS * 3 // 4, f"only {len(killed)} of {TRIALS} kills landed"
    assert {p.kind for p in killed} == {"prompt", "reveal"} and {p.mode for p in killed} == {
        "claiming",
        "sent",
        "answered",
    }


async def test_sigkill_on_slack_never_doubles_or_loses_a_post(migrated_sqlite: Path, tmp_path: Path) -> None:
    await harness(slack_world, migrated_sqlite, tmp_path)


async def test_sigkill_on_discord_never_doubles_or_loses_a_post(migrated_sqlite: Path, tmp_path: Path) -> None:
    await harness(discord_world, migrated_sqlite, tmp_path)


# -- what the deliverer does with each answer to "did an earlier attempt go out?" ------------------------


@dataclass
class LookingPoster(FakePoster):
    """A platform poster that can look for an earlier post (as Slack's does), answering `earlier`."""

    earlier: PostResult | None = None
    looked: list[tuple[str, str, dt.datetime]] = field(default_factory=list)  # channel, nonce, since

    async def find_post(self, workspace: str, channel: str, nonce: str, since: dt.datetime) -> PostResult | None:
        self.looked.append((channel, nonce, since))
        return self.earlier


@pytest.mark.parametrize(
    ("earlier", "posted_again", "state", "message_id"),
    [
        (PostResult(PostOutcome.OK, message_id="1764493200.000001"), False, "posted", "1764493200.000001"),
        (None, True, "posted", "m1"),
        (PostResult(PostOutcome.FAILED, detail="missing_scope"), True, "posted", "m1"),  # cannot tell: post
        (PostResult(PostOutcome.RATE_LIMITED, retry_after=0.001), False, "claimed", None),  # ask again later
        (PostResult(PostOutcome.UNKNOWN_CHANNEL, detail="channel_not_found"), False, "failed", None),
    ],
)
async def test_a_retried_claim_is_looked_for_before_it_is_posted_again(
    sqlite_url: str,
    catalog: Catalog,
    earlier: PostResult | None,
    posted_again: bool,
    state: str,
    message_id: str | None,
) -> None:
    poster = LookingPoster(platform="slack", earlier=earlier)
    poster.fail = lambda _channel: PostResult(PostOutcome.FAILED, detail="timeout")  # the first try dies
    await add_schedules(sqlite_url, "slack", TEAM_ID, ["C0ONE"])
    async with open_runtime(sqlite_url, FixedClock(MONDAY_9), catalog, poster) as rt:
        await rt.schedule.deliver_due(MONDAY_9)
        assert poster.looked == [] and poster.posts == []  # a fresh claim is posted without looking
        poster.fail = None
        await rt.schedule.deliver_due(MONDAY_9 + LATER)
    rows = [r for r in await outbox_rows(sqlite_url) if r.kind == "prompt"]
    # Looked for once (a rate-limited look is tried again, as a rate-limited post is), back to its due time.
    assert len(rows) == 1 and set(poster.looked) == {("C0ONE", rows[0].nonce, MONDAY_9)}
    assert len(poster.posts) == int(posted_again)
    assert (rows[0].state, rows[0].message_id) == (state, message_id)
