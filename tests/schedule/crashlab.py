"""The crash harness's machinery: real delivery processes posting to a platform fake, killed with SIGKILL.

A pass is the body of `studybot schedule deliver-due` (a `Runtime` at a fixed time, one
`deliver_due`, exit) in a process of its own, with the platform's real poster (`DiscordPoster` over a
logged-in discord.py client, `SlackPoster` over slack_sdk's `AsyncWebClient`) pointed at a fake on
127.0.0.1 that runs in the test process and records every post. The CLI builds the same posters from
the settings' tokens (`adapters.serve.rest_posters`); the pass builds them itself, to point each at its
trial's fake and to tag its Slack client.

Passes are forked from a forkserver that has imported this module (the platform libraries, the
core and the content catalog, loaded once below), so a pass starts in a few hundred milliseconds
instead of two seconds and twenty trials fit in the suite. What a pass does once started is exactly
what a fresh process does: its own runtime, engine, connections and rate limiters.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import multiprocessing
import os
import random
import signal
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from contextlib import closing
from dataclasses import dataclass, field
from multiprocessing import forkserver
from multiprocessing.process import BaseProcess
from typing import Any

import discord
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from adapters.discord.client import intents
from adapters.discord.poster import DiscordPoster
from adapters.slack.poster import DELIVERY_EVENT, SlackPoster
from bot import log as logs
from bot.catalog import load_catalog
from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.schedule.ports import Poster
from bot.settings import Settings
from bot.store import create_engine
from bot.store import schedules as schedule_store
from bot.store.schema import schedule_deliveries

CATALOG = load_catalog()  # in the forkserver once; every pass forked from it starts with it

MONDAY_9 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
REVEAL_MINUTES = 30


def settings_for(url: str) -> Settings:
    return Settings.from_env({"STUDYBOT_DATABASE_URL": url, "STUDYBOT_LOG_LEVEL": "ERROR"}, env_file=None)


# -- what runs in the killed process --------------------------------------------------------------------


@dataclass(frozen=True)
class Pass:
    """One delivery run: which database, what time it is there, and which platform fake to post to."""

    url: str
    now: dt.datetime
    platform: str  # "discord" | "slack"
    api: str  # the fake's base URL
    token: str
    tag: str = ""  # starts the Slack client's User-Agent, so a fake shared by several passes tells them apart


def deliver(job: Pass) -> None:
    """The process body: what `studybot schedule deliver-due --now` does, with a platform poster."""
    logs.configure("ERROR")  # as the CLI configures logging (a killed pass's warnings are expected noise)
    asyncio.run(_deliver(job))


async def _deliver(job: Pass) -> None:
    client: discord.Client | None = None
    poster: Poster
    if job.platform == "discord":
        discord.http.Route.BASE = job.api  # the documented redirection of every REST route
        client = discord.Client(intents=intents())
        await client.login(job.token)
        poster = DiscordPoster(client)
    else:
        poster = SlackPoster(AsyncWebClient(token=job.token, base_url=job.api, user_agent_prefix=job.tag or None))
    try:
        async with Runtime(settings_for(job.url), clock=FixedClock(job.now), catalog=CATALOG, posters=[poster]) as rt:
            await rt.schedule.deliver_due()
    finally:
        if client is not None:
            await client.close()


_CONTEXT: Any = None
_IN_FORKSERVER = "STUDYBOT_CRASHLAB_FORKSERVER"


def context() -> Any:
    """The forkserver context, preloading this module (one forkserver per test process)."""
    global _CONTEXT
    if _CONTEXT is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        os.environ[_IN_FORKSERVER] = "1"  # seen by the forkserver only: it starts now, with this environment
        try:
            forkserver.ensure_running()
        finally:
            os.environ.pop(_IN_FORKSERVER, None)
        _CONTEXT = ctx
    return _CONTEXT


class Run:
    """One pass in its own process; `kill` sends SIGKILL, `wait` returns the exit code.

    Everything here runs on the event loop's thread. A forkserver child's exit code is one message on
    its sentinel, read by whichever `poll` gets there first: joining in a worker thread while the loop
    asks `exitcode` let two reads race, and the loser saw the end of the pipe and reported 255 for a
    pass that had been killed (-9). So the loop watches the sentinel and polls only once it is readable.
    """

    def __init__(self, job: Pass) -> None:
        self.proc: BaseProcess = context().Process(target=deliver, args=(job,), daemon=True)
        self.proc.start()
        self.killed = False
        self._ended: asyncio.Future[None] | None = None

    def kill(self) -> None:
        if self.proc.pid is not None and self.proc.exitcode is None:
            self.killed = True
            os.kill(self.proc.pid, signal.SIGKILL)

    @property
    def done(self) -> bool:
        return self.proc.exitcode is not None

    def _ending(self) -> asyncio.Future[None]:
        """One future per pass, set when its sentinel becomes readable (the forkserver sent the code)."""
        if self._ended is None:
            loop = asyncio.get_running_loop()
            ended: asyncio.Future[None] = loop.create_future()
            sentinel = self.proc.sentinel

            def readable() -> None:
                loop.remove_reader(sentinel)
                if not ended.done():
                    ended.set_result(None)

            loop.add_reader(sentinel, readable)
            self._ended = ended
        return self._ended

    async def wait(self, within: float = 60.0) -> int | None:
        try:
            await asyncio.wait_for(asyncio.shield(self._ending()), within)
        except TimeoutError:
            self.kill()
            await asyncio.wait_for(asyncio.shield(self._ending()), 10)
            raise AssertionError(f"a delivery pass did not end within {within} s") from None
        return self.proc.exitcode


# -- where and when a pass is killed ---------------------------------------------------------------------

KINDS = ("prompt", "reveal")
MODES = ("claiming", "sent", "answered")


@dataclass(frozen=True)
class Plan:
    """Kill the `kind` pass: while it claims (once `nth` claims are visible), when the platform has
    taken its `nth` post but not answered (`sent`), or just after answering it (`answered`, `delay` s)."""

    kind: str
    mode: str
    nth: int
    delay: float

    @classmethod
    def draw(cls, rng: random.Random, channels: int) -> Plan:
        return cls(rng.choice(KINDS), rng.choice(MODES), rng.randint(1, channels), rng.uniform(0.0, 0.02))


@dataclass
class Killer:
    """Watches one pass and kills it as its plan says; the fake calls `posted` for each post it takes."""

    plan: Plan
    run: Run | None = None
    posts: int = 0
    fired: bool = False

    async def posted(self, by: Run | None = None) -> None:
        """One more post taken; `by` names the pass that made it when several share the fake (the one
        that makes the n-th post is then the one killed), else it is the watched pass."""
        target = by or self.run
        if target is None or self.fired or self.plan.mode == "claiming":
            return
        self.posts += 1
        if self.posts != self.plan.nth:
            return
        self.fired = True
        self.run = target
        if self.plan.mode == "sent":
            target.kill()  # the platform has the post; the process never hears of it
            await target.wait()
        else:
            asyncio.get_running_loop().call_later(self.plan.delay, target.kill)

    async def watch_claims(self, count: Callable[[], Awaitable[int]]) -> None:
        """For `claiming`: kill as soon as `nth` claims of the plan's kind are visible in the outbox."""
        if self.plan.mode != "claiming" or self.run is None:
            return
        while not self.run.done:
            if await count() >= self.plan.nth:
                self.fired = True
                self.run.kill()
                return
            await asyncio.sleep(0.002)  # polling the database for a condition, not waiting for time


def sqlite_claims(url: str, kind: str) -> Callable[[], Awaitable[int]]:
    """How many delivery rows of `kind` a SQLite outbox holds, read without taking any lock."""
    path = url.split(":///", 1)[1]

    async def count() -> int:
        with closing(sqlite3.connect(path, timeout=0.05)) as conn:
            try:
                row = conn.execute("SELECT count(*) FROM schedule_deliveries WHERE kind = ?", (kind,)).fetchone()
            except sqlite3.OperationalError:
                return 0  # busy for a moment: look again
        return int(row[0])

    return count


# -- the world before and the verdict after -------------------------------------------------------------


async def add_schedules(
    url: str,
    platform: str,
    workspace: str,
    channels: list[str],
    *,
    since: dt.timedelta = dt.timedelta(days=1),
    **kind: Any,
) -> None:
    """A weekday 9:00 UTC schedule per channel, active `since` before that Monday; `kind` overrides its
    fields (a digest: `kind="digest"`, its cron, no exam)."""
    fields: dict[str, Any] = {"exam": "SAA-C03", "cron": "0 9 * * 1-5", "reveal_minutes": REVEAL_MINUTES} | kind
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for channel in channels:
                await schedule_store.create(
                    conn,
                    MONDAY_9 - since,
                    platform=platform,
                    workspace=workspace,
                    channel=channel,
                    timezone="UTC",
                    created_by="mo",
                    **fields,
                )
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Row:
    schedule_id: int | None
    kind: str
    state: str
    nonce: str
    message_id: str | None


async def outbox_rows(url: str) -> list[Row]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            t = schedule_deliveries.c
            found = await conn.execute(select(t.schedule_id, t.kind, t.state, t.nonce, t.message_id))
            return [Row(*r) for r in found.all()]
    finally:
        await engine.dispose()


@dataclass
class Verdict:
    """Posts the platform received per (schedule, kind) for the one day, and what the outbox says."""

    posts: Counter[tuple[int | None, str]] = field(default_factory=Counter)
    wrong_ids: list[str] = field(default_factory=list)
    states: Counter[tuple[str, str]] = field(default_factory=Counter)

    def problems(self, schedules: int) -> list[str]:
        found = []
        for kind in KINDS:
            counts = [n for (_s, k), n in self.posts.items() if k == kind]
            doubled = sum(n > 1 for n in counts)
            missing = schedules - sum(n >= 1 for n in counts)
            if doubled or missing:
                found.append(f"{kind}: {doubled} posted more than once, {missing} never posted")
        strays = sorted({k for (_s, k) in self.posts if k not in KINDS})
        if strays:
            found.append(f"posts that name no delivery: {strays}")
        if self.wrong_ids:
            found.append(f"recorded message ids that are not the post: {self.wrong_ids}")
        if set(self.states) != {("prompt", "posted"), ("reveal", "posted")}:
            found.append(f"outbox states {dict(self.states)}")
        return found


def verdict(rows: list[Row], posted: list[tuple[str, str]]) -> Verdict:
    """`posted` is every (nonce, message id) the platform created, once per message."""
    by_nonce = {r.nonce: r for r in rows}
    result = Verdict(states=Counter((r.kind, r.state) for r in rows))
    ids: dict[str, set[str]] = defaultdict(set)
    for nonce, message_id in posted:
        row = by_nonce.get(nonce)
        result.posts[(row.schedule_id if row else None, row.kind if row else f"unknown {nonce}")] += 1
        ids[nonce].add(message_id)
    for row in rows:
        if row.state == "posted" and row.message_id not in ids.get(row.nonce, set()):
            result.wrong_ids.append(f"{row.kind} {row.schedule_id}: {row.message_id}")
    return result


def slack_posts(messages: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str]]:
    """(delivery nonce, ts) of every message the fake Slack holds (one without our metadata names none)."""
    found = []
    for channel in messages.values():
        for m in channel:
            metadata = m.get("metadata") or {}
            named = metadata.get("event_type") == DELIVERY_EVENT
            found.append((str(metadata["event_payload"]["delivery"]) if named else "none", str(m["ts"])))
    return found


def discord_posts(messages: dict[int, dict[str, Any]]) -> list[tuple[str, str]]:
    """(nonce, id) of every message the fake Discord created (a post without a nonce names none)."""
    return [(str(m.get("nonce") or "none"), str(m["id"])) for m in messages.values()]


if os.environ.get(_IN_FORKSERVER):
    # The runtime collects and freezes everything loaded at start (bot/runtime.py); done once here,
    # each pass's collection only walks what the pass itself made, not the catalog and the libraries.
    gc.collect()
    gc.freeze()
