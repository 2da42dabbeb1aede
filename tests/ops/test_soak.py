"""Soak test on an injected clock (issue 19): many channels, a simulated week, the process restarted often.

Console channels (500 in the issue; see below) each get a schedule (five crons in five zones, among
them Europe/Berlin and America/New_York, over both autumn DST changes of 2026, with repeated 02:30s)
and a reveal window. The
clock jumps from one due time to the next, found from the schedules' own crons and the deliverer's
`next_reveal`, and at each a delivery pass runs as the bot's wake-up would. Every few simulated hours
the `Runtime` is closed and a new one opened on the same database, sometimes between a prompt and its
reveal, with members' presses on either side of the restart, through the core's press path
(`Core.handle(Action)`).

Checked at the end: every (schedule, local run) an independent crontab reading expects is posted
exactly once and nothing else is; every prompt whose reveal time has come is revealed once, with the
number of members who pressed (a changed answer counts once), and the answers reach `practice_answers`
once each. Memory: the process's resident set size is sampled at every restart; the last simulated
day's peak must stay within 20% of the second day's.

The default is 100 channels over 2026-10-24 22:07 UTC .. 2026-11-01 12:00 UTC (both DST changes), about
1,100 prompts, 600 passes and 45 restarts in under two minutes on two busy cores. The issue's 500
channels take several times longer than a test run should: `STUDYBOT_SOAK_CHANNELS=500` runs them
(`STUDYBOT_SOAK_DAYS` changes the length).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.replies import Reply
from bot.requests import Action, Identity
from bot.runtime import Runtime
from bot.schedule.cron import make_trigger
from bot.schedule.ports import PostOutcome, PostResult
from bot.store import schedules as schedule_store
from bot.store.schema import practice_answers, schedule_deliveries
from tests.conftest import make_settings

START = dt.datetime(2026, 10, 24, 22, 7, tzinfo=dt.UTC)  # Berlin falls back 25 Oct, New York 1 Nov
CHANNELS = int(os.environ.get("STUDYBOT_SOAK_CHANNELS", "100"))
END = START + dt.timedelta(days=float(os.environ.get("STUDYBOT_SOAK_DAYS", "7.58")))
CRONS = ("0 9 * * 1-5", "30 2 * * *", "15 */6 * * *", "45 18 * * 0,3,6", "0 12 * * *")
ZONES = ("Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata", "Australia/Sydney")
REVEALS = (30, 120, 240)  # minutes; shorter than every cron's gap, so a channel alternates prompt, reveal
RESTART_HOURS = (2, 6)  # a new process every 2 to 6 simulated hours
MEMBERS = ("ana", "ben", "cai", "dee")


@dataclass(frozen=True)
class Choices:
    """A prompt's answer controls: its buttons, or its menu's action id with the options and how many to pick."""

    actions: tuple[str, ...]
    values: tuple[str, ...] = ()
    choose: int = 1


@dataclass
class Channel:
    """What one channel received, kept small so the test's own records do not look like a leak."""

    prompts: list[tuple[str, Choices]] = field(default_factory=list)  # message id, how to answer it
    sequence: list[str] = field(default_factory=list)  # "p" and "r" in posting order
    revealed_counts: list[int] = field(default_factory=list)


class SoakPoster:
    """The console platform's poster for the soak: counts and ids only, not whole replies."""

    platform = "console"

    def __init__(self) -> None:
        self.channels: dict[str, Channel] = defaultdict(Channel)
        self.posted = 0
        self.edits = 0

    async def post(self, workspace: str, channel: str, reply: Reply, *, nonce: str | None = None) -> PostResult:
        self.posted += 1
        message_id = f"m{self.posted}"
        seen = self.channels[channel]
        if reply.title == "Question of the day":
            if reply.select is None:  # one answer: a button per option
                choices = Choices(tuple(b.action_id for b in reply.buttons))
            else:  # "choose N": the menu's values come back with the menu's action id
                menu = reply.select
                choices = Choices((menu.action_id,), tuple(o.value for o in menu.options), menu.min_values)
            seen.prompts.append((message_id, choices))
            seen.sequence.append("p")
        else:
            assert reply.title == "Answer revealed", reply.title
            seen.sequence.append("r")
            found = re.search(r"(\d+)\W* answered;", reply.text)
            seen.revealed_counts.append(int(found.group(1)) if found else 0)
        return PostResult(PostOutcome.OK, message_id=message_id)

    async def edit(self, workspace: str, channel: str, message_id: str, reply: Reply) -> PostResult:
        self.edits += 1
        return PostResult(PostOutcome.OK, message_id=message_id)

    async def direct_message(self, workspace: str, user_id: str, reply: Reply) -> PostResult:
        return PostResult(PostOutcome.OK)


# -- an independent reading of the crons: every UTC minute, read as local wall time ------------------


def _field(spec: str, value: int) -> bool:
    for part in spec.split(","):
        if part == "*":
            return True
        if part.startswith("*/"):
            if value % int(part[2:]) == 0:
                return True
        elif "-" in part:
            low, high = part.split("-")
            if int(low) <= value <= int(high):
                return True
        elif int(part) == value:
            return True
    return False


@functools.cache
def expected_runs(cron: str, zone: str, since: dt.datetime, until: dt.datetime) -> frozenset[dt.datetime]:
    """Local wall times (naive) in (since, until] that `cron` names in crontab(5); a wall time that
    occurs twice (the fall-back hour) is one run."""
    minute, hour, day, month, weekday = cron.split()
    tz = ZoneInfo(zone)
    runs: set[dt.datetime] = set()
    at = since.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    while at <= until:
        local = at.astimezone(tz)
        if (
            _field(minute, local.minute)
            and _field(hour, local.hour)
            and _field(day, local.day)
            and _field(month, local.month)
            and _field(weekday, (local.weekday() + 1) % 7)
        ):
            runs.add(local.replace(tzinfo=None))
        at += dt.timedelta(minutes=1)
    return frozenset(runs)


def rss_kib() -> int:
    """This process's resident set size (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def plan_of(index: int) -> tuple[str, str, int]:
    return CRONS[index % len(CRONS)], ZONES[(index // len(CRONS)) % len(ZONES)], REVEALS[(index // 25) % 3]


async def test_a_week_of_channels_with_restarts(tmp_path: Path, catalog: Catalog) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'soak.sqlite3'}"
    settings = make_settings(url)
    clock = FixedClock(START)
    poster = SoakPoster()
    rng = random.Random(19)
    channels = [f"c{i:03}" for i in range(CHANNELS)]

    async def open_runtime() -> Runtime:
        runtime = Runtime(settings, clock=clock, catalog=catalog)
        await runtime.__aenter__()
        runtime.services.posters.add(poster)
        return runtime

    rt = await open_runtime()
    async with rt.services.engine.begin() as conn:
        for index, channel in enumerate(channels):
            cron, zone, reveal = plan_of(index)
            await schedule_store.create(
                conn,
                START,
                platform="console",
                workspace="w1",
                channel=channel,
                exam="SAA-C03",
                cron=cron,
                timezone=zone,
                reveal_minutes=reveal,
                created_by="mod",
            )
    triggers = {(c, z): make_trigger(c, z) for c, z, _ in map(plan_of, range(CHANNELS))}

    pressed: dict[str, set[str]] = defaultdict(set)  # prompt message id -> members who pressed
    answered: Counter[str] = Counter()  # prompt message id -> members who pressed at least once
    restarts: list[tuple[dt.datetime, int]] = [(clock.now(), rss_kib())]
    restart_at = START + dt.timedelta(hours=rng.uniform(*RESTART_HOURS))
    restarted_between = 0  # restarts with a prompt posted and not yet revealed
    passes = 0

    async def press(channel: str, message_id: str, choices: Choices, member: str) -> None:
        identity = Identity("console", "w1", channel, member, member.title())
        if choices.values:
            action = Action(identity, choices.actions[0], tuple(rng.sample(choices.values, choices.choose)))
        else:
            action = Action(identity, rng.choice(choices.actions))
        reply = await rt.core.handle(action)
        assert reply.ephemeral, reply
        assert reply.text.startswith(("Recorded", "Changed to", "Your answer is still")), (
            reply.text
        )  # before its reveal: accepted
        if member not in pressed[message_id]:
            answered[message_id] += 1
        pressed[message_id].add(member)

    try:
        now = START
        while True:
            seen = {c: len(poster.channels[c].prompts) for c in channels}
            await rt.schedule.deliver_due(now)
            passes += 1
            later: list[tuple[str, str, Choices, str]] = []
            for channel in channels:
                for message_id, actions in poster.channels[channel].prompts[seen[channel] :]:
                    members = MEMBERS[: rng.randrange(len(MEMBERS) + 1)]
                    for position, member in enumerate(members):
                        if position % 2 == 0:
                            await press(channel, message_id, actions, member)
                        else:  # after the restart, if one comes now
                            later.append((channel, message_id, actions, member))
                        if rng.random() < 0.2:  # a change of mind: still one answer
                            later.append((channel, message_id, actions, member))
            if now >= restart_at:
                await rt.schedule.counts.flush()
                pending = await rt.schedule.deliverer.next_reveal()
                restarted_between += pending is not None
                await rt.__aexit__(None, None, None)
                rt = await open_runtime()
                await rt.schedule.deliver_due(now)  # what a start does first
                restarts.append((now, rss_kib()))
                restart_at = now + dt.timedelta(hours=rng.uniform(*RESTART_HOURS))
            for pending_press in later:
                await press(*pending_press)
            upcoming = [t.get_next_fire_time(None, now + dt.timedelta(seconds=1)) for t in triggers.values()]
            reveal_at = await rt.schedule.deliverer.next_reveal()
            # In UTC: a fall-back run (fold=1) plus a second, in its own zone, would read an hour earlier.
            following = min(t.astimezone(dt.UTC) for t in [*upcoming, reveal_at] if t is not None)
            if following > END:
                break
            now = following
            clock.set(now)
        await rt.schedule.counts.flush()
    finally:
        await rt.__aexit__(None, None, None)
    final = now

    # Every expected run posted once, nothing else, read from the outbox and from what the platform got.
    rt = await open_runtime()
    try:
        async with rt.services.engine.connect() as conn:
            rows = (await conn.execute(select(schedule_deliveries).order_by(schedule_deliveries.c.id))).mappings().all()
            answers = (
                await conn.execute(select(func.count()).where(practice_answers.c.source == "group"))
            ).scalar_one()
    finally:
        await rt.__aexit__(None, None, None)
    prompts = [r for r in rows if r["kind"] == "prompt"]
    reveals = [r for r in rows if r["kind"] == "reveal"]
    assert {r["state"] for r in rows} == {"posted"}
    expected_total = 0
    by_channel: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in prompts:
        by_channel[row["channel"]].append(dict(row))
    for index, channel in enumerate(channels):
        cron, zone, _reveal = plan_of(index)
        expected = expected_runs(cron, zone, START, final)
        expected_total += len(expected)
        got = [r["due_at"].astimezone(ZoneInfo(zone)).replace(tzinfo=None) for r in by_channel[channel]]  # type: ignore[attr-defined]
        assert sorted(got) == sorted(expected), (channel, cron, zone)  # none missing, none twice
        assert [m for m, _ in poster.channels[channel].prompts] == [r["message_id"] for r in by_channel[channel]]
    assert len(prompts) == expected_total == sum(len(c.prompts) for c in poster.channels.values())

    # Every reveal whose time came, once, with every member who answered counted once.
    due_reveals = [r for r in prompts if r["reveal_at"] is None or r["reveal_at"] <= final]
    assert len(reveals) == len({r["prompt_id"] for r in reveals}) == len(due_reveals)
    assert {r["prompt_id"] for r in reveals} == {r["id"] for r in due_reveals}
    fed = 0  # a group answer reaches the member's history at the reveal
    for channel in channels:
        seen_here = poster.channels[channel]
        assert "".join(seen_here.sequence).replace("pr", "") in ("", "p"), channel  # prompt, reveal, prompt...
        counts = [answered[m] for m, _ in seen_here.prompts][: len(seen_here.revealed_counts)]
        assert seen_here.revealed_counts == counts, channel
        fed += sum(counts)
    assert answers == fed and fed > 0

    # Memory flat: the last simulated day's peak against the second day's.
    def day_of(at: dt.datetime) -> int:
        return int((at - START) / dt.timedelta(days=1))

    peaks: dict[int, int] = {}
    for at, kib in restarts:
        peaks[day_of(at)] = max(peaks.get(day_of(at), 0), kib)
    last = max(peaks)
    assert last >= 2 and 1 in peaks, peaks
    summary = {
        "channels": CHANNELS,
        "passes": passes,
        "restarts": len(restarts) - 1,
        "restarts_between_prompt_and_reveal": restarted_between,
        "prompts": len(prompts),
        "reveals": len(reveals),
        "answers": answers,
        "rss_peak_kib_by_day": peaks,
    }
    print(summary)
    assert restarted_between >= 3, summary
    assert peaks[last] <= peaks[1] * 1.2, summary


async def test_the_wake_up_after_a_repeated_fall_back_run_is_the_next_day(tmp_path: Path, catalog: Catalog) -> None:
    """Found by the soak: the scheduler planned its next wake-up as the run it had just served plus a
    second, in the schedule's own zone, so after the second 02:30 of Berlin's fall-back night (fold=1)
    it read an hour back and planned that same 02:30 again."""
    second = dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)  # 02:30 CET, after 02:30 CEST an hour before
    clock = FixedClock(second - dt.timedelta(minutes=5))
    async with Runtime(
        make_settings(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"), clock=clock, catalog=catalog
    ) as rt:
        rt.services.posters.add(SoakPoster())
        async with rt.services.engine.begin() as conn:
            await schedule_store.create(
                conn,
                clock.now(),
                platform="console",
                workspace="w1",
                channel="c1",
                exam="SAA-C03",
                cron="30 2 * * *",
                timezone="Europe/Berlin",
                reveal_minutes=30,
                created_by="mod",
            )
        async with rt.schedule:
            planned = rt.schedule.next_due()
            assert planned is not None and planned.astimezone(dt.UTC) == second
            clock.set(second)
            await rt.schedule._wake_due()  # the wake-up APScheduler runs at that minute
            planned = rt.schedule.next_due()
            assert planned is not None and planned.astimezone(dt.UTC) == second + dt.timedelta(days=1)
