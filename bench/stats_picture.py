"""Benchmark: what `/stats picture:true` costs beside `/stats`, through the whole core.

Run by hand: `python bench/stats_picture.py [--rounds 20]`. A member answers 60 questions over nine
weeks; then, in the same run and on the same data, `/stats exam:SAA-C03` (the baseline) and
`/stats exam:SAA-C03 picture:true` are timed alternately, and so are a moderator's `/stats channel:`
(the group's baseline) and `/stats channel: picture:true` of the channel the member practised in
(issue 18). The first picture is timed on its own: it
pays for loading matplotlib, which no other command does. Also prints the PNG's size, and the time to
import the bot's composition root with and without matplotlib loaded (fresh interpreters).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import FixedClock
from bot.requests import Action, Identity
from bot.runtime import Runtime
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
START = dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.UTC)


def import_ms(code: str) -> float:
    """Milliseconds a fresh interpreter takes to run `code`, the interpreter's own start subtracted."""

    def run(source: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", source], check=True, cwd=ROOT)
        return time.perf_counter() - t0

    empty = min(run("pass") for _ in range(3))
    return 1000 * (min(run(code) for _ in range(3)) - empty)


async def main(rounds: int) -> None:
    who = Identity("console", "bench", "bench", "ada", "Ada")
    mod = Identity("console", "bench", "bench", "mo", "Mo", is_moderator=True)
    clock = FixedClock(START)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env({"STUDYBOT_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/b.sqlite3"}, None)
        async with Runtime(settings, clock=clock) as rt:
            for n in range(60):
                clock.set(START + dt.timedelta(days=n))
                question = await rt.core.handle_line(who, "/practice exam:SAA-C03")
                if question.buttons:
                    await rt.core.handle(Action(who, question.buttons[n % len(question.buttons)].action_id))
            t0 = time.perf_counter()
            first = await rt.core.handle_line(who, "/stats exam:SAA-C03 picture:true")
            print(f"first /stats picture:true (loads matplotlib): {1000 * (time.perf_counter() - t0):.0f} ms")
            assert first.attachment is not None
            print(f"PNG: {len(first.attachment.content):,} bytes; alt text {len(first.attachment.alt_text)} characters")
            group = await rt.core.handle_line(mod, "/stats channel:#bench picture:true")
            assert group.attachment is not None
            print(f"group PNG: {len(group.attachment.content):,} bytes; alt text {len(group.attachment.alt_text)}")
            timed: dict[str, list[float]] = {}
            lines = (
                ("/stats (baseline)", who, "/stats exam:SAA-C03"),
                ("/stats picture:true", who, "/stats exam:SAA-C03 picture:true"),
                ("/stats channel: (group baseline)", mod, "/stats channel:#bench"),
                ("/stats channel: picture:true", mod, "/stats channel:#bench picture:true"),
            )
            for _ in range(rounds):
                for name, identity, line in lines:
                    t0 = time.perf_counter()
                    await rt.core.handle_line(identity, line)
                    timed.setdefault(name, []).append(1000 * (time.perf_counter() - t0))
    for name, times in timed.items():
        print(f"{name}: {len(times)} calls, median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")
    bare = import_ms("import bot.runtime, adapters.console")
    loaded = import_ms("import bot.runtime, adapters.console, matplotlib.figure, matplotlib.backends.backend_agg")
    print(f"import bot.runtime + console: {bare:.0f} ms; with matplotlib as well: {loaded:.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(parser.parse_args().rounds))
