"""Prometheus metrics: every metric studybot exports, defined once, and the thin calls that feed them.

A `Metrics` owns its own `CollectorRegistry`, so a test creates a fresh one and reads exactly what
its own run counted. The composition root (`bot.runtime.Runtime`) builds one for a process that
serves them and puts it on `Services.metrics`; it reaches the instrumented places (the dispatcher,
the sender, the answer writer) as a constructor argument or through the services. Where it is None
the helpers below do nothing, so the console, `studybot exec` and the benchmarks pay nothing for
numbers no one reads.

docs/operations.md lists every metric with its labels; keep the two together.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from functools import wraps
from typing import Any, Protocol, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.replies import Reply, error_reply, internal_error_reply
from bot.requests import Action, Request

T = TypeVar("T")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
UNKNOWN = "unknown"  # the label for commands and buttons that are not declared: labels stay a closed set

# Outcomes are read off the reply the dispatcher returns: the titles come from the functions that
# build those replies, so a change of wording cannot silently turn refusals into successes.
_REFUSED_TITLE = error_reply("").title
_ERROR_TITLE = internal_error_reply("").title


class Metrics:
    """Every studybot metric, registered in `registry` (a new one when none is given)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.commands = Counter(
            "studybot_commands", "Slash commands handled, by command and outcome.", ["command", "outcome"], registry=r
        )
        self.presses = Counter(
            "studybot_button_presses",
            "Button presses handled, by action and outcome.",
            ["action", "outcome"],
            registry=r,
        )
        self.latency = Histogram(
            "studybot_command_seconds",
            "Time from a command or press reaching the core to its reply.",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.posts = Counter(
            "studybot_posts",
            "Scheduled posts and edits sent to a platform, by platform and outcome (each attempt).",
            ["platform", "outcome"],
            registry=r,
        )
        self.rate_limited = Counter(
            "studybot_platform_rate_limited", "HTTP 429 answers from a platform.", ["platform"], registry=r
        )
        self.rate_limit_waits = Histogram(
            "studybot_rate_limit_wait_seconds",
            "Time a post waited for its platform's rate limit before going out.",
            ["platform"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.writer_batch = Histogram(
            "studybot_writer_batch_size", "Answers recorded per group commit.", buckets=BATCH_BUCKETS, registry=r
        )
        self.writer_commit = Histogram(
            "studybot_writer_commit_seconds",
            "Time to commit one batch of answers.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.deliveries = Gauge(
            "studybot_deliveries",
            "Rows of the delivery outbox by kind (prompt, reveal) and state (claimed, posted, skipped, failed); "
            "read from the database at each scrape, so every replica reports the same totals.",
            ["kind", "state"],
            registry=r,
        )
        self.oldest_claim = Gauge(
            "studybot_delivery_oldest_claim_age_seconds",
            "Age of the oldest delivery claimed but not yet posted (0 when none is open).",
            registry=r,
        )
        self.pool = Gauge(
            "studybot_db_pool_connections",
            "Database pool connections by state (in_use, idle, overflow) and the pool's size.",
            ["state"],
            registry=r,
        )

    # -- the calls the instrumented places make ------------------------------------------------

    def handled(self, kind: str, name: str, reply: Reply, seconds: float) -> None:
        outcome = outcome_of(reply)
        if kind == "command":
            self.commands.labels(name, outcome).inc()
        else:
            self.presses.labels(name, outcome).inc()
        self.latency.labels(name).observe(seconds)

    def posted(self, platform: str, outcome: str) -> None:
        self.posts.labels(platform, outcome).inc()
        if outcome == "rate_limited":
            self.rate_limited.labels(platform).inc()

    def set_pool(self, usage: Mapping[str, int]) -> None:
        for state, value in usage.items():
            self.pool.labels(state).set(value)

    def set_deliveries(self, counts: Mapping[tuple[str, str], int], oldest_claim_age: float) -> None:
        self.deliveries.clear()
        for (kind, state), count in counts.items():
            self.deliveries.labels(kind, state).set(count)
        self.oldest_claim.set(oldest_claim_age)


def outcome_of(reply: Reply) -> str:
    """ok, refused (a user error), error (an internal one, with a reference) or duplicate."""
    if reply.duplicate:
        return "duplicate"
    if reply.title == _ERROR_TITLE:
        return "error"
    if reply.title == _REFUSED_TITLE:
        return "refused"
    return "ok"


# -- instrumentation helpers: one line at each place an event happens -----------------------------


class _Registered(Protocol):
    @property
    def commands(self) -> Mapping[tuple[str, ...], Any]: ...

    @property
    def actions(self) -> Mapping[str, Any]: ...


class _Counted(Protocol):
    @property
    def metrics(self) -> Metrics | None: ...


class _Dispatcher(Protocol):
    @property
    def registry(self) -> _Registered: ...

    @property
    def services(self) -> _Counted: ...


D = TypeVar("D", bound=_Dispatcher)


def observed(
    handle: Callable[[D, Request | Action], Coroutine[Any, Any, Reply]],
) -> Callable[[D, Request | Action], Coroutine[Any, Any, Reply]]:
    """Decorates `Core.handle`: counts each command or press by name and outcome, and times it, in the
    core's `services.metrics` (read at each call, so a core without metrics pays one attribute read)."""

    @wraps(handle)
    async def wrapper(core: D, message: Request | Action) -> Reply:
        metrics = core.services.metrics
        if metrics is None:
            return await handle(core, message)
        started = time.perf_counter()
        reply = await handle(core, message)
        if isinstance(message, Request):
            name = message.command_name if message.command in core.registry.commands else UNKNOWN
            metrics.handled("command", name, reply, time.perf_counter() - started)
        else:
            kind = message.action_id.split(":", 1)[0]
            metrics.handled(
                "press", kind if kind in core.registry.actions else UNKNOWN, reply, time.perf_counter() - started
            )
        return reply

    return wrapper


class _Outcome(Protocol):
    @property
    def outcome(self) -> Any: ...


R = TypeVar("R", bound=_Outcome)


def observe_sends(
    metrics: Metrics | None, platform: str, call: Callable[[], Awaitable[R]]
) -> Callable[[], Awaitable[R]]:
    """Wraps one post's `call` as the rate limiter will run it: each attempt's outcome (429s too) and
    the time it waited for the limiter before each attempt; `call` itself when `metrics` is None."""
    if metrics is None:
        return call
    ready = time.perf_counter()

    async def attempt() -> R:
        nonlocal ready
        metrics.rate_limit_waits.labels(platform).observe(time.perf_counter() - ready)
        try:
            result = await call()
        finally:
            ready = time.perf_counter()
        metrics.posted(platform, str(result.outcome))
        return result

    return attempt


async def observe_batch(metrics: Metrics | None, size: int, commit: Awaitable[T]) -> T:
    """Awaits one writer batch's commit, recording its size and how long it took (when `metrics` is set)."""
    if metrics is None:
        return await commit
    started = time.perf_counter()
    try:
        return await commit
    finally:
        metrics.writer_batch.observe(size)
        metrics.writer_commit.observe(time.perf_counter() - started)
