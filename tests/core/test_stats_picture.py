"""`/stats picture:true`: a PNG of one exam's domains against its guide and of the last weeks, whose alt
text carries the same numbers as the stats beside it; saved to a file in the console (issue 17)."""

from __future__ import annotations

import datetime as dt
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import bot
from adapters.console.shell import ConsoleSession
from bot import charts
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.replies import Reply
from tests.conftest import START, person
from tests.practice.test_flows import correct_letter, practice_single, press

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature and every chunk's CRC."""
    assert data.startswith(PNG_SIGNATURE)
    at, size, kinds = len(PNG_SIGNATURE), (0, 0), []
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        kinds.append(kind)
        at += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    return size


async def answer(core: Core, right: int, wrong: int) -> None:
    ada = person()
    for n in range(right + wrong):
        question = await practice_single(core)
        good = correct_letter(core, question)
        letter = good if n < right else next(b.label for b in question.buttons if b.label != good)
        await press(core, ada, question, letter)


def field(reply: Reply, name: str) -> str:
    return next(f.value for f in reply.fields if f.name == name)


async def test_the_picture_is_a_small_png_and_its_alt_text_carries_the_numbers(core: Core, clock: FixedClock) -> None:
    await answer(core, right=3, wrong=2)
    clock.advance(dt.timedelta(days=9))
    await answer(core, right=1, wrong=2)

    plain = await core.handle_line(person(), "/stats exam:SAA-C03")
    assert plain.attachment is None  # only when asked: drawing takes a quarter second
    reply = await core.handle_line(person(), "/stats exam:SAA-C03 picture:true")
    assert reply.fields == plain.fields  # the picture adds to the stats, it changes none of them
    picture = reply.attachment
    assert picture is not None and picture.mime == "image/png" and picture.filename == "stats-SAA-C03.png"
    assert picture.caption is None
    assert png_size(picture.content) == (800, 600)
    assert 5_000 < len(picture.content) < 40_000

    # Every domain figure of the stats, in the alt text, beside the guide's weight.
    shown = re.findall(r"`SAA-C03` (.+?): (\d+%) of (\d+)", field(reply, "By domain"))
    assert shown and sum(int(n) for _d, _p, n in shown) == 8
    for domain, share, answered in shown:
        assert re.search(rf"{re.escape(domain)} \(\d+% of the exam\): {share} of {answered}", picture.alt_text)
    assert picture.alt_text.count("no answers yet") == 4 - len(shown)  # SAA-C03 has four domains
    # The weeks: seven UTC days each, ending today; 5 answers in the week of START, 3 in this one.
    today = (START + dt.timedelta(days=9)).date()
    this_week, before = today - dt.timedelta(days=6), today - dt.timedelta(days=13)
    assert f"{this_week.day} {this_week:%b}: 3 answered, 33% correct" in picture.alt_text
    assert f"{before.day} {before:%b}: 5 answered, 60% correct" in picture.alt_text
    assert picture.alt_text.count(": none") == 6 and len(picture.alt_text) <= charts.ALT_TEXT_LIMIT

    again = await core.handle_line(person(), "/stats exam:SAA-C03 picture:true")
    assert again.attachment is not None and again.attachment.content == picture.content  # deterministic


async def test_without_an_exam_the_picture_shows_the_one_answered_most(core: Core) -> None:
    await answer(core, right=2, wrong=0)
    reply = await core.handle_line(person(), "/stats picture:true")
    assert reply.attachment is not None and reply.attachment.filename == "stats-SAA-C03.png"
    assert reply.attachment.alt_text.startswith("Accuracy per domain of SAA-C03")


async def test_no_answers_no_picture(core: Core) -> None:
    reply = await core.handle_line(person(), "/stats picture:true")
    assert reply.title == "No answers yet" and reply.attachment is None


async def test_the_console_saves_the_picture_and_prints_its_path_with_the_stats(core: Core, tmp_path: Path) -> None:
    await answer(core, right=1, wrong=1)
    session = ConsoleSession(core, person(), files=tmp_path / "files")
    said = await session.run_line("/stats exam:SAA-C03 picture:true")
    path = tmp_path / "files" / "stats-SAA-C03.png"
    assert said is not None and f"Saved to {path} (" in said and "Answered" in said and "By domain" in said
    assert png_size(path.read_bytes()) == (800, 600)


def test_alt_text_stays_within_slacks_limit_however_many_domains() -> None:
    domains = tuple(charts.DomainBar(f"A domain with a long name number {n}", 5, 10, n % 10) for n in range(40))
    weeks = charts.fold_weeks([], charts.weeks_ending(dt.date(2026, 12, 3), 8))
    text = charts.describe(charts.StatsPicture("Stats", "SAA-C03", domains, weeks))
    assert len(text) == charts.ALT_TEXT_LIMIT and text.endswith("…")


def test_weeks_add_up_their_days_and_leave_out_the_others() -> None:
    starts = charts.weeks_ending(dt.date(2026, 12, 3), 2)
    assert starts == [dt.date(2026, 11, 20), dt.date(2026, 11, 27)]
    days = [(dt.date(2026, 11, 19), 9, 9), (dt.date(2026, 11, 20), 2, 1), (dt.date(2026, 11, 26), 1, 1)]
    days.append((dt.date(2026, 12, 3), 4, 0))
    assert charts.fold_weeks(days, starts) == (
        charts.WeekBar(dt.date(2026, 11, 20), 3, 2),
        charts.WeekBar(dt.date(2026, 11, 27), 4, 0),
    )


LOADS_EVERYTHING = """
import importlib, pkgutil, sys
import adapters, bot
for package in (bot, adapters):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".migrations" not in info.name and not info.name.endswith("__main__"):  # that one runs the bot
            importlib.import_module(info.name)
print("bot.charts" in sys.modules, ",".join(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib")))
"""


def test_matplotlib_loads_with_the_first_picture_not_with_the_bot() -> None:
    """About half a second of imports that start-up and every other command would otherwise pay."""
    root = Path(bot.__file__).parent.parent
    result = subprocess.run(
        [sys.executable, "-c", LOADS_EVERYTHING], capture_output=True, text=True, check=True, cwd=root
    )
    assert result.stdout.strip() == "True"
