"""Crash harness for weekly digests: a delivery process posting digests through the real Discord and
Slack clients to the fakes, SIGKILLed while it claims, after the platform took the n-th digest but
before the process heard back, or just after; a pass after the lease then finishes the week. Every
channel's digest reaches the platform exactly once, and the outbox records the very message posted.

The digest rides on the prompts' claims, leases, nonces and ledger (`tests/schedule/crashlab.py`), so
this is the same proof for the second kind of schedule.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from bot.schedule.deliveries import LEASE
from tests.schedule.crashlab import (
    MODES,
    MONDAY_9,
    Killer,
    Pass,
    Plan,
    Run,
    add_schedules,
    outbox_rows,
    sqlite_claims,
    verdict,
)
from tests.schedule.test_crash_platforms import CHANNELS, World, discord_world, slack_world

LATER = LEASE + dt.timedelta(seconds=30)
PLANS = [Plan("digest", mode, nth, delay) for mode in MODES for nth, delay in ((1, 0.0), (CHANNELS, 0.01))]


async def add_digests(url: str, platform: str, workspace: str, channels: list[str]) -> None:
    """A Monday 9:00 UTC digest per channel, added the week before."""
    await add_schedules(
        url, platform, workspace, channels, since=dt.timedelta(days=7),
        exam="", cron="0 9 * * mon", reveal_minutes=0, kind="digest",
    )  # fmt: skip


async def trial(
    opened: Callable[[], AbstractAsyncContextManager[World]], index: int, plan: Plan, template: Path, tmp: Path
) -> tuple[bool, list[str]]:
    target = tmp / f"digest{index}.sqlite3"
    shutil.copyfile(template, target)
    url = f"sqlite+aiosqlite:///{target}"
    async with opened() as world:
        await add_digests(url, world.platform, world.workspace, world.channels)
        killer = Killer(plan)
        world.clock(MONDAY_9)
        world.killer = killer
        killer.run = Run(Pass(url, MONDAY_9, world.platform, world.api, world.token))
        watcher = asyncio.create_task(killer.watch_claims(sqlite_claims(url, "digest")))
        code = await killer.run.wait()
        await watcher
        world.killer = None
        found = [] if code == (-9 if killer.run.killed else 0) else [f"the killed pass exited with {code}"]
        world.clock(MONDAY_9 + LATER)
        code = await Run(Pass(url, MONDAY_9 + LATER, world.platform, world.api, world.token)).wait()
        if code != 0:
            found.append(f"the pass after the lease exited with {code}")
        rows = await outbox_rows(url)
        result = verdict(rows, world.posts())
        counts = [result.posts.get((schedule_id, "digest"), 0) for schedule_id in range(1, CHANNELS + 1)]
        if counts != [1] * CHANNELS:
            found.append(f"digests posted per channel: {counts} (all posts: {dict(result.posts)})")
        if result.wrong_ids:
            found.append(f"recorded message ids that are not the post: {result.wrong_ids}")
        if dict(result.states) != {("digest", "posted"): CHANNELS}:
            found.append(f"outbox states {dict(result.states)}")
        if world.strays():
            found.append(f"the fake saw requests it does not know: {world.strays()}")
    return killer.run.killed, [f"{world.platform} {plan}: {p}" for p in found]


async def harness(opened: Callable[[], AbstractAsyncContextManager[World]], template: Path, tmp: Path) -> None:
    results = await asyncio.gather(*(trial(opened, i, plan, template, tmp) for i, plan in enumerate(PLANS)))
    problems = [p for _killed, found in results for p in found]
    assert problems == [], "\n".join(problems)
    landed = [plan.mode for plan, (killed, _found) in zip(PLANS, results, strict=True) if killed]
    assert set(landed) == set(MODES), f"kills landed only in {landed}"  # proof only if the kills land


async def test_sigkill_while_posting_digests_on_discord_never_doubles_or_loses_one(
    migrated_sqlite: Path, tmp_path: Path
) -> None:
    await harness(discord_world, migrated_sqlite, tmp_path)


async def test_sigkill_while_posting_digests_on_slack_never_doubles_or_loses_one(
    migrated_sqlite: Path, tmp_path: Path
) -> None:
    await harness(slack_world, migrated_sqlite, tmp_path)
