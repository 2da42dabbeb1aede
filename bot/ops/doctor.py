"""`studybot doctor`: everything that must hold for studybot to run, checked once, each problem with its fix.

The core checks what it owns (settings, the database and its schema, the clock and timezone data,
the schedules); each enabled platform's checks (its token, scopes or intents, and whether the bot may
post in every scheduled channel) are handed in by the adapters as `PlatformProbe`s, since the core
never imports a platform library. Nothing here changes anything: a missing SQLite file is reported,
not created, and no migration runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock, SystemClock
from bot.settings import Settings
from bot.store import (
    DatabaseUnavailable,
    create_engine,
    describe,
    head_revision,
    inspect_sqlite,
    revision,
    schema_problem,
    server_now,
    sqlite_path,
    sqlite_write_problem,
)
from bot.store import schedules as schedule_store
from bot.words import plural

_UNUSABLE_FIX = (
    "restore a backup into it (`studybot db restore FILE`), or move it away so the next start "
    "creates an empty database, or point STUDYBOT_DATABASE_URL at another file"
)
MAX_CLOCK_SKEW = dt.timedelta(seconds=5)  # claims and leases compare times across processes


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's result: `fix` is set exactly when it is a problem."""

    check: str
    detail: str
    fix: str | None = None

    @property
    def ok(self) -> bool:
        return self.fix is None


@dataclass(frozen=True, slots=True)
class Target:
    """A scheduled channel a platform probe checks the bot may post in."""

    schedule_id: int
    workspace: str
    channel: str


PlatformProbe = Callable[[Sequence[Target]], Awaitable[list[Finding]]]
"""A platform's checks: its credentials and permissions, and posting in each of its scheduled channels."""


async def diagnose(
    settings: Settings, probes: Mapping[str, PlatformProbe], *, clock: Clock | None = None
) -> list[Finding]:
    """Every finding, in the order an operator would fix them."""
    findings = [Finding("settings", "every variable is valid")]
    findings += _platform_settings(settings)
    findings += _clock_and_timezones(settings, clock or SystemClock())
    database, targets = await _database(settings, clock or SystemClock())
    findings += database
    for name, probe in probes.items():
        findings += await probe(targets.get(name, []))
    return findings


def _platform_settings(settings: Settings) -> list[Finding]:
    found: list[Finding] = []
    if settings.slack_bot_token is not None and not settings.slack_enabled:
        found.append(
            Finding(
                "slack",
                "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET",
                "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode) as well",
            )
        )
    if settings.discord_shard_ids and settings.discord_shard_count is None:
        found.append(Finding("discord", "DISCORD_SHARD_IDS without DISCORD_SHARD_COUNT", "set DISCORD_SHARD_COUNT"))
    if not (settings.discord_enabled or settings.slack_enabled):
        found.append(Finding("platforms", "no platform tokens: `studybot run` opens the console"))
    return found


def _clock_and_timezones(settings: Settings, clock: Clock) -> list[Finding]:
    found: list[Finding] = []
    now = clock.now()
    if now.tzinfo is None or now.utcoffset() != dt.timedelta(0):
        found.append(Finding("clock", f"the clock reads {now!r}, not UTC", "run studybot with its SystemClock"))
    try:
        for name in ("Europe/Berlin", "America/New_York", "Asia/Tokyo", settings.default_timezone):
            ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        found.append(
            Finding("timezones", "the IANA timezone database is missing", "pip install tzdata (studybot depends on it)")
        )
    else:
        found.append(Finding("timezones", f"timezone data present; default timezone {settings.default_timezone}"))
    return found


async def _database(settings: Settings, clock: Clock) -> tuple[list[Finding], dict[str, list[Target]]]:
    where = describe(settings.database_url)
    unfit = settings.database_problem()
    if unfit is not None:
        what, _sep, fix = unfit.partition(": ")[2].partition(": ")  # "VARIABLE: what: fix"
        return [Finding("database", what, fix or "see .env.example")], {}
    path = sqlite_path(settings.database_url)
    if path is not None and path.exists() and not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file"
        return [Finding("database", f"{where} is {what}", "point STUDYBOT_DATABASE_URL at a file, not a folder")], {}
    if path is not None and not path.exists():
        return [Finding("database", f"{where} does not exist yet; the first start creates it")], {}
    if path is not None:
        unusable = inspect_sqlite(path).problem
        if unusable is not None:
            return [Finding("database", unusable, _UNUSABLE_FIX)], {}
        read_only = sqlite_write_problem(path)
        if read_only is not None:
            return [Finding("database", f"{where} cannot be written", _fix_of(read_only))], {}
    try:
        engine = create_engine(settings.database_url)
    except DatabaseUnavailable as exc:
        return [Finding("database", where, exc.message)], {}
    try:
        try:
            current, head = await revision(engine)
        except DatabaseUnavailable as exc:
            return [Finding("database", f"{where} cannot be reached", _fix_of(exc.message))], {}
        found: list[Finding] = []
        problem = await schema_problem(engine)
        if problem is None:
            found.append(Finding("database", f"{where} answers; schema at the newest revision {head}"))
        elif current is None:
            found.append(Finding("database", f"{where} is empty", "run `studybot db upgrade` (or start studybot once)"))
        else:
            found.append(Finding("database", f"{where}: {problem}", _fix_of(problem)))
        if engine.dialect.name == "postgresql":
            found.append(await _server_clock(engine, clock))
        if current != head_revision():
            return found, {}
        async with engine.connect() as conn:
            active = await schedule_store.active(conn)
        targets: dict[str, list[Target]] = {}
        for s in active:
            targets.setdefault(s.platform, []).append(Target(s.id, s.workspace, s.channel))
        found.append(Finding("schedules", f"{plural(len(active), 'active schedule')}"))
        return found, targets
    finally:
        await engine.dispose()


async def _server_clock(engine: AsyncEngine, clock: Clock) -> Finding:
    try:
        server = await server_now(engine)
    except SQLAlchemyError as exc:
        return Finding("clock", f"could not read the database server's clock ({type(exc).__name__})")
    skew = abs(clock.now() - server)
    if skew > MAX_CLOCK_SKEW:
        return Finding(
            "clock",
            f"this machine's clock is {skew.total_seconds():.0f} s off the database server's",
            "turn on time synchronisation (NTP, e.g. systemd-timesyncd or chrony) on both machines",
        )
    return Finding("clock", "this machine's clock agrees with the database server's")


def _fix_of(message: str) -> str:
    """The fix part of a one-sentence problem ("what: how to fix"), or the sentence itself."""
    _what, sep, fix = message.partition(": ")
    return fix if sep else message


def report(findings: Sequence[Finding]) -> tuple[str, int]:
    """The findings as text, and the exit code: 1 when any is a problem."""
    lines = []
    for f in findings:
        lines.append(f"{'ok  ' if f.ok else 'FAIL'}  {f.check}: {f.detail}")
        if f.fix is not None:
            lines.append(f"      fix: {f.fix}")
    problems = [f for f in findings if not f.ok]
    lines.append(f"{plural(len(problems), 'problem')} found." if problems else "No problems found.")
    return "\n".join(lines), 1 if problems else 0
