"""The rate limiter on a virtual clock, APScheduler jobs rebuilt from the database, and the CLI."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.schedule.ports import PostOutcome, PostResult
from bot.schedule.ratelimit import LIMITS, RateLimiter
from tests.conftest import person
from tests.fakes.time import VirtualTime


def test_discord_pacing_keeps_under_both_limits() -> None:
    time = VirtualTime()
    limiter = RateLimiter(LIMITS["discord"], clock=time.clock)
    global_times = [limiter.reserve(f"c{i}") for i in range(200)]
    assert all(b - a >= 1 / 50 for a, b in itertools.pairwise(global_times))
    assert global_times[-1] < 200 / 50 / 0.9  # and not much slower than the limit
    one_channel = [limiter.reserve("busy") for _ in range(11)]
    for first, sixth in zip(one_channel, one_channel[5:], strict=False):
        assert sixth - first >= 5.0  # never more than 5 in any 5 seconds


def test_slack_is_one_per_second_per_channel_and_channels_are_independent() -> None:
    time = VirtualTime()
    limiter = RateLimiter(LIMITS["slack"], clock=time.clock)
    assert [limiter.reserve("a") for _ in range(3)] == pytest.approx([0.0, 1 / 0.96, 2 / 0.96])
    assert limiter.reserve("b") == 0.0


async def test_retry_after_is_honoured() -> None:
    time = VirtualTime()
    limiter = RateLimiter(LIMITS["slack"], clock=time.clock, sleep=time.sleep)
    answers = [PostResult(PostOutcome.RATE_LIMITED, retry_after=7.5), PostResult(PostOutcome.OK, message_id="1")]
    sent_at: list[float] = []

    async def call() -> PostResult:
        sent_at.append(time.now)
        return answers.pop(0)

    result = await limiter.send("a", call)
    assert result.ok and limiter.retries == 1
    assert sent_at[1] - sent_at[0] >= 7.5


async def test_scheduler_jobs_follow_the_database(runtime: Runtime) -> None:
    service = runtime.schedule
    await runtime.core.handle_line(
        person("mo", moderator=True), "/studyadmin schedule add channel:#a exam:SAA-C03 preset:daily-9am"
    )
    await service.start()
    try:
        due = service.next_due()
        assert due is not None and "schedule-1" not in service.job_ids()  # one wake-up, not a job per schedule
        await runtime.core.handle_line(person("mo", moderator=True), "/studyadmin schedule pause id:1")
        assert service.next_due() is None
        await runtime.core.handle_line(person("mo", moderator=True), "/studyadmin schedule resume id:1")
        assert service.next_due() == due
    finally:
        await service.stop()


async def test_one_wake_up_serves_every_schedule_due_that_minute(runtime: Runtime, clock: FixedClock) -> None:
    """3,000 schedules due at 09:00 used to be 3,000 scheduler jobs and 3,000 passes under the write
    lock; now there is one job, at the earliest next run of any schedule, planned again after it runs."""
    mo = person("mo", moderator=True)
    for name in ("a", "b", "c"):
        await runtime.core.handle_line(mo, f"/studyadmin schedule add channel:#{name} exam:SAA-C03 preset:daily-9am")
    await runtime.core.handle_line(
        mo, "/studyadmin schedule add channel:#d exam:SAA-C03 preset:daily-9am timezone:Asia/Tokyo"
    )
    service = runtime.schedule
    clock.set(dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC))
    await service.start()
    try:
        assert [j for j in service.job_ids() if j.startswith("schedule")] == []  # four schedules, one wake-up
        assert service.next_due() == dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # the three UTC ones
        clock.set(dt.datetime(2026, 11, 23, 9, 0, 0, tzinfo=dt.UTC))
        await service._wake_due()  # what the scheduler runs at that time
        assert service.next_due() == dt.datetime(2026, 11, 24, 0, 0, tzinfo=dt.UTC)  # then Tokyo's 09:00
        clock.set(dt.datetime(2026, 11, 23, 23, 59, 59, tzinfo=dt.UTC))  # a clock a moment behind the scheduler
        await service._wake_due()
        assert service.next_due() == dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)  # never the same run twice

        # A wake-up dropped by APScheduler (the machine slept past the grace window) is planned again by
        # the next resync. APScheduler keeps its own wall-clock time, so align the fixed clock with it.
        clock.set(dt.datetime.now(dt.UTC))
        await service.rebuild()
        assert "due" in service.job_ids()
        service._scheduler.remove_job("due")  # type: ignore[union-attr]
        await service._resync()
        assert "due" in service.job_ids() and service.next_due() is not None
    finally:
        await service.stop()


def test_deliver_due_cli_prints_posts_and_ends_with_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STUDYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    runner = CliRunner()
    add = "/studyadmin schedule add channel:#study exam:SAA-C03 preset:weekdays-9am timezone:Europe/Berlin"
    assert runner.invoke(main, ["exec", "--user", "mo", add]).exit_code == 0
    out = runner.invoke(main, ["schedule", "deliver-due", "--now", "2030-01-07T09:00+01:00", "--json"])
    assert out.exit_code == 0, out.output
    assert "posted in #study" in out.output and "Question of the day" in out.output
    counts = json.loads(out.output.strip().splitlines()[-1])
    assert (counts["prompts"], counts["reveals"], counts["reminders"]) == (1, 0, 0)  # skipped: weekdays before 2030
    message = next(w for w in out.output.split() if w.startswith("console-"))
    # Which question comes up depends on the schedule's focus draw: a "choose 2" one is answered with its
    # menu and then its one button, a single-answer one with the second button.
    choose, button, recorded = (["--choose", "2,4"], "1", "B and D") if "Choose 2:" in out.output else ([], "2", "B")
    pressed = runner.invoke(
        main, ["schedule", "press", message, button, *choose, "--user", "ada", "--now", "2030-01-07T09:05+01:00"]
    )
    assert f"Recorded {recorded}" in pressed.output and pressed.exit_code == 0, pressed.output
    again = runner.invoke(main, ["schedule", "deliver-due", "--now", "2030-01-07T09:00+01:00", "--json"])
    assert json.loads(again.output.strip().splitlines()[-1])["prompts"] == 0
    reveal = runner.invoke(main, ["schedule", "deliver-due", "--now", "2030-01-07T21:00+01:00", "--json"])
    assert "Answer revealed" in reveal.output and json.loads(reveal.output.strip().splitlines()[-1])["reveals"] == 1
    # Pressed after the reveal: refused, and the exit status says so, as `exec` does.
    closed = runner.invoke(main, ["schedule", "press", message, "1", "--user", "bo", "--now", "2030-01-07T21:05+01:00"])
    assert closed.exit_code == 1 and "That didn't work" in closed.output, closed.output
    # Tuesday's 9:00 run, two hours late: not posted, and the operator is told which and why.
    late = runner.invoke(main, ["schedule", "deliver-due", "--now", "2030-01-08T11:00+01:00", "--json"])
    assert "skipped: schedule #1 in #study, run of Tue 08 Jan 2030 09:00 CET: missed by more than the" in late.output
    assert "grace window" in late.output and json.loads(late.output.strip().splitlines()[-1])["skipped"] == 1
