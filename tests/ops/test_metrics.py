"""The metrics count what happened, on a registry of the test's own: commands and presses by outcome,
latency, the writer's batches, and every post attempt with its 429s and rate-limit waits."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.metrics import Metrics
from bot.replies import Reply
from bot.requests import Action, Request
from bot.runtime import Runtime
from bot.schedule.ports import Posters, PostOutcome, PostResult
from bot.schedule.ratelimit import limiter_for
from bot.schedule.sending import Sender
from tests.conftest import make_settings, person
from tests.practice.test_flows import correct_letter, practice_single


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    found = registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


async def test_commands_and_presses_by_outcome_with_latency_and_writer_batches(
    sqlite_url: str, clock: FixedClock, catalog: Catalog
) -> None:
    metrics = Metrics()
    r = metrics.registry
    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog, metrics=metrics) as rt:
        core = rt.core
        await core.handle_line(person(), "/help")
        await core.handle_line(person(), "/studyadmin audit")  # not a moderator: refused
        await core.handle(Request(person(), ("no-such-command",), {}))
        question = await practice_single(core)
        served = value(r, "studybot_commands_total", command="practice", outcome="ok")
        right = correct_letter(core, question)
        button = next(b for b in question.buttons if b.label == right)
        await core.handle(Action(person(), button.action_id))
        await core.handle(Action(person(), "nonsense:1:2"))
    assert value(r, "studybot_commands_total", command="help", outcome="ok") == 1
    assert value(r, "studybot_commands_total", command="studyadmin audit", outcome="refused") == 1
    assert value(r, "studybot_commands_total", command="unknown", outcome="refused") == 1
    assert served >= 1
    kind = button.action_id.split(":", 1)[0]
    assert value(r, "studybot_button_presses_total", action=kind, outcome="ok") == 1
    assert value(r, "studybot_button_presses_total", action="unknown", outcome="refused") == 1
    assert value(r, "studybot_command_seconds_count", command="help") == 1
    assert value(r, "studybot_writer_batch_size_count") >= 1
    assert value(r, "studybot_writer_batch_size_sum") >= 1
    assert value(r, "studybot_writer_commit_seconds_count") == value(r, "studybot_writer_batch_size_count")


async def test_a_registry_counts_only_while_it_is_in_effect(
    core: Core, tmp_path: Path, clock: FixedClock, catalog: Catalog
) -> None:
    """In effect means given to the runtime: a core built without it (no health port) counts nothing."""
    metrics = Metrics()
    assert core.services.metrics is None
    await core.handle_line(person(), "/help")
    url = f"sqlite+aiosqlite:///{tmp_path / 'counted.sqlite3'}"
    async with Runtime(make_settings(url), clock=clock, catalog=catalog, metrics=metrics) as rt:
        await rt.core.handle_line(person(), "/help")
    await core.handle_line(person(), "/help")
    assert value(metrics.registry, "studybot_commands_total", command="help", outcome="ok") == 1


class FlakyPoster:
    """A poster whose first post is answered 429, then accepted."""

    platform = "console"

    def __init__(self) -> None:
        self.calls = 0

    async def post(self, workspace: str, channel: str, reply: Reply, *, nonce: str | None = None) -> PostResult:
        self.calls += 1
        if self.calls == 1:
            return PostResult(PostOutcome.RATE_LIMITED, retry_after=2.0, detail="rate limited")
        return PostResult(PostOutcome.OK, message_id="m1")


async def test_posts_429s_and_rate_limit_waits() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # the limiter's injected clock moves; no real waiting
        slept.append(seconds)
        now[0] += seconds

    posters = Posters()
    poster = FlakyPoster()
    posters.add(poster)  # type: ignore[arg-type]
    metrics = Metrics()
    sender = Sender(posters, metrics=metrics)
    sender.limiters["console"] = limiter_for("console", clock=lambda: now[0], sleep=sleep)
    result = await sender.send("console", "c1", lambda p: p.post("w1", "c1", Reply(text="hi")))
    missing = await sender.send("slack", "c1", lambda p: p.post("w1", "c1", Reply(text="hi")))
    assert result.ok and poster.calls == 2 and slept == [2.0]
    assert missing.outcome is PostOutcome.FAILED  # no Slack here: nothing was attempted, nothing counted
    r = metrics.registry
    assert value(r, "studybot_posts_total", platform="console", outcome="rate_limited") == 1
    assert value(r, "studybot_posts_total", platform="console", outcome="ok") == 1
    assert value(r, "studybot_platform_rate_limited_total", platform="console") == 1
    assert value(r, "studybot_rate_limit_wait_seconds_count", platform="console") == 2
    assert value(r, "studybot_posts_total", platform="slack", outcome="failed") == 0


def test_each_metrics_object_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.posted("discord", "ok")
    assert value(first.registry, "studybot_posts_total", platform="discord", outcome="ok") == 1
    assert value(second.registry, "studybot_posts_total", platform="discord", outcome="ok") == 0
