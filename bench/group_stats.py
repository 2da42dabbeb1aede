"""Benchmark: `/stats channel:` and a `focus:weakest` draw's read, as the stored history grows, SQLite.

Run by hand: `python bench/group_stats.py [--sizes 10000 300000] [--rounds 9]`. Target (issue 18): neither
grows with the history of other channels and older weeks: both read one channel's answers in a window
through the (channel, exam, answered_at) index.

Each size gets its own database at head: 1,000 members of one workspace answering in 50 channels over the
365 days before the bench's fixed "now"; the measured channel always holds the same 2,000 answers in its
last 8 weeks, so only the rest of the history grows. Beside each figure, in the same run on the same file,
the baseline: the same command with the channel index dropped (what the reads cost without migration
0013's index). "command" is the whole `Core.handle_line` through the real runtime; "draw read" is the
query a `focus:weakest` prompt makes before drawing its domain.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.catalog import load_catalog
from bot.clock import FixedClock
from bot.requests import Identity
from bot.runtime import Runtime
from bot.schedule.focus import WINDOW
from bot.settings import Settings
from bot.store import practice as store
from bot.store.db import reading

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
MEMBERS = 1_000
CHANNELS = 50
MEASURED = "study"
IN_WINDOW = 2_000
WORKSPACE = "bench"
MOD = Identity("console", WORKSPACE, MEASURED, "mod", "Mod", is_moderator=True)


def text(at: dt.datetime) -> str:
    """SQLite's stored form of a UTC timestamp (see bot/store/types.py)."""
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def settings(path: Path) -> Settings:
    return Settings.from_env({"STUDYBOT_DATABASE_URL": f"sqlite+aiosqlite:///{path}"}, env_file=None)


async def migrate(path: Path) -> None:
    async with Runtime(settings(path), clock=FixedClock(NOW)):
        pass  # the runtime applies every migration at start


def fill(path: Path, answers: int, seed: int = 18) -> None:
    catalog = load_catalog()
    exam = catalog.exam("SAA-C03")
    assert exam is not None
    bank = list(catalog.questions["SAA-C03"])
    rng = random.Random(seed)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    created = text(NOW - dt.timedelta(days=400))
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO members (id, platform, workspace, user_id, display_name, created_at, updated_at) "
        "VALUES (?, 'console', ?, ?, ?, ?, ?)",
        [(n + 1, WORKSPACE, f"u{n}", f"Member {n}", created, created) for n in range(MEMBERS)],
    )
    rows = []
    recent = NOW - dt.timedelta(weeks=8)
    for n in range(answers):
        q = rng.choice(bank)
        measured = n < IN_WINDOW
        channel = MEASURED if measured else f"c{rng.randrange(1, CHANNELS)}"
        if not measured and rng.random() < 0.02:
            channel = MEASURED  # the measured channel's older history grows with the rest
            at = NOW - dt.timedelta(days=rng.uniform(60, 365))
        else:
            at = recent + (NOW - recent) * rng.random() if measured else NOW - dt.timedelta(days=rng.uniform(0, 365))
        rows.append(
            (n + 1, n + 1, 1 + rng.randrange(MEMBERS), q.id, "SAA-C03", q.domain, "group", channel, "0",
             rng.random() < 0.7, text(at))
        )  # fmt: skip
    db.executemany(
        "INSERT INTO practice_answers (id, attempt_id, member_id, question_id, exam, domain, source, channel, "
        "chosen, correct, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


async def measure(path: Path, rounds: int) -> tuple[float, float]:
    """Median milliseconds of `/stats channel:` and of the weakest draw's read."""
    catalog = load_catalog()
    async with Runtime(settings(path), clock=FixedClock(NOW), catalog=catalog) as rt:
        command, draw = [], []
        for _ in range(rounds):
            started = time.perf_counter()
            reply = await rt.core.handle_line(MOD, f"/stats channel:#{MEASURED} exam:SAA-C03")
            command.append((time.perf_counter() - started) * 1000)
            assert reply.title == "Group stats", reply
            started = time.perf_counter()
            async with reading(rt.services.engine) as conn:
                await store.channel_domains(conn, "console", WORKSPACE, MEASURED, "SAA-C03", NOW - WINDOW, NOW)
            draw.append((time.perf_counter() - started) * 1000)
    return statistics.median(command), statistics.median(draw)


async def main(sizes: list[int], rounds: int) -> None:
    print(f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, {rounds} rounds, median ms")
    print("| stored answers | /stats channel: | without the index | weakest draw read | without the index |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = Path(folder) / f"bench-{size}.sqlite3"
            await migrate(path)
            fill(path, size)
            indexed = await measure(path, rounds)
            db = sqlite3.connect(path)
            db.execute("DROP INDEX ix_practice_answers_channel")
            db.close()
            plain = await measure(path, rounds)
            print(f"| {size:,} | {indexed[0]:.1f} | {plain[0]:.1f} | {indexed[1]:.2f} | {plain[1]:.2f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 300_000])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    asyncio.run(main(args.sizes, args.rounds))
