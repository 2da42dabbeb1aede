"""Benchmark: `/ask` and `/cert` latency through the core, and the cost of loading all content.

Run by hand: `python bench/ask_latency.py [--rounds 5]`. Targets: p99 under 5 ms per `/ask` through the
whole core, every per-command overhead included (issue 15); loading and indexing all content under 1 s.
The questions are the original evaluation set and the blind tuning set. The baseline, measured in the same
run on the same questions, is `AskEngine.answer` alone: the difference is what the core adds per command.
Prints one line per measurement; copy the figures into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.catalog import load_catalog
from bot.catalog.ask import AskEngine
from bot.requests import Identity
from bot.runtime import Runtime
from bot.settings import Settings
from tests.eval.evaluate import load_items, load_tune


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def main(rounds: int) -> None:
    started = time.perf_counter()
    catalog = load_catalog()
    loaded = time.perf_counter()
    engine = AskEngine(catalog)
    indexed = time.perf_counter()
    print(f"load content: {1000 * (loaded - started):.0f} ms; build /ask index: {1000 * (indexed - loaded):.0f} ms")

    items = load_items() + load_tune()
    questions = [str(item["q"]) for item in items]
    baseline: list[float] = []
    for _ in range(rounds):
        for question in questions:
            t0 = time.perf_counter()
            engine.answer(question)
            baseline.append(1000 * (time.perf_counter() - t0))
    print(
        f"baseline AskEngine.answer: {len(baseline)} calls, p50 {statistics.median(baseline):.2f} ms, "
        f"p99 {percentile(baseline, 0.99):.2f} ms, max {max(baseline):.2f} ms"
    )
    exams = [e.code for e in catalog.exams.values()] + ["saa", "solution architect assoc", "cloudops", "dva"]
    identity = Identity("console", "bench", "bench", "bench", "bench")
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env({"STUDYBOT_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/b.sqlite3"}, None)
        async with Runtime(settings, catalog=catalog) as rt:
            for name, lines in (
                ("/ask", [f"/ask {item['q']}" for item in items]),
                ("/cert", [f"/cert {code}" for code in exams]),
            ):
                for line in lines[:20]:  # warm up
                    await rt.core.handle_line(identity, line)
                times: list[float] = []
                for _ in range(rounds):
                    for line in lines:
                        t0 = time.perf_counter()
                        await rt.core.handle_line(identity, line)
                        times.append(1000 * (time.perf_counter() - t0))
                print(
                    f"{name}: {len(times)} calls, p50 {statistics.median(times):.2f} ms, "
                    f"p99 {percentile(times, 0.99):.2f} ms, max {max(times):.2f} ms"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args().rounds))
