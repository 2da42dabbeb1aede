"""Pictures of practice numbers: a PNG and the same in words, from plain numbers only.

Nothing here reads the store or knows a member, so a member's `/stats` and a group's picture draw with
the same code from whatever they counted. matplotlib is imported when the first picture is drawn, not
with the bot: it takes about half a second to load, which no other command should pay. The PNG is small
(about 18 kB: 64 colours) and the same bytes for the same numbers: fixed size, matplotlib's own default
style whatever a matplotlibrc says, its bundled fonts, and no timestamp or version in the file.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import dataclass

ALT_TEXT_LIMIT = 1000
"""Slack refuses a longer `alt_txt` (alt_txt_too_large); Discord allows 1,024 characters."""
WIDTH, HEIGHT, DPI = 8.0, 6.0, 100  # inches and dots per inch: an 800 x 600 picture
NAME_WIDTH, NAME_LINES = 30, 2  # a domain name beside its bar: two lines of 30 characters at most
ACCURACY = "#2e7dd7"
ANSWERS = "#b9c7d8"
TARGET = "#d9534f"
COLOURS = 64

# matplotlib's settings (rcParams) are process-wide, and a picture is drawn in a worker thread so the
# event loop keeps answering: one drawing at a time keeps one picture's style out of another's.
_DRAWING = threading.Lock()


@dataclass(frozen=True, slots=True)
class DomainBar:
    """One exam-guide domain: its weight in the guide (percent of the exam) and the answers given in it."""

    name: str
    weight: int
    answered: int
    correct: int


@dataclass(frozen=True, slots=True)
class WeekBar:
    """The answers of one week that starts on `start`."""

    start: dt.date
    answered: int
    correct: int


@dataclass(frozen=True, slots=True)
class StatsPicture:
    """What a stats picture shows: one exam's domains against its guide, and the last weeks."""

    title: str
    exam: str
    domains: tuple[DomainBar, ...]
    weeks: tuple[WeekBar, ...]
    target: float | None = None  # the accuracy a domain needs (0 to 1), drawn as a line
    days: str = "UTC"  # in which days the weeks are counted, for the words


def _percent(correct: int, answered: int) -> str:
    return f"{correct / answered * 100:.0f}%"


def _label(name: str, weight: int) -> str:
    """A domain's name on at most two lines, and its weight in the guide."""
    lines = textwrap.wrap(name, NAME_WIDTH, max_lines=NAME_LINES, placeholder="…")
    return "\n".join(lines) + f" · {weight}%"


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def describe(picture: StatsPicture) -> str:
    """The picture in words (its alt text): every number it shows, within Slack's limit."""
    parts = []
    for d in picture.domains:
        got = f"{_percent(d.correct, d.answered)} of {d.answered}" if d.answered else "no answers yet"
        parts.append(f"{d.name} ({d.weight}% of the exam): {got}")
    domains = f"Accuracy per domain of {picture.exam}, against the exam guide's weights: " + "; ".join(parts) + "."
    if picture.target is not None:
        domains += f" A domain meets the mark at {picture.target * 100:.0f}%."
    weeks = []
    for w in picture.weeks:
        weeks.append(
            f"{_day(w.start)}: {w.answered} answered, {_percent(w.correct, w.answered)} correct"
            if w.answered
            else f"{_day(w.start)}: none"
        )
    span = f"Answers in the last {len(picture.weeks)} weeks ({picture.days} days, week starting): "
    text = f"{domains} {span}{'; '.join(weeks)}."
    if len(text) > ALT_TEXT_LIMIT:
        text = text[: ALT_TEXT_LIMIT - 1].rstrip() + "…"
    return text


def draw(picture: StatsPicture) -> bytes:
    """The picture as PNG bytes; blocking (a few tenths of a second), so callers run it in a worker thread."""
    from matplotlib import style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    with _DRAWING, style.context("default"):
        figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
        canvas = FigureCanvasAgg(figure)
        # Fixed margins, room for a line of NAME_WIDTH characters: matplotlib's automatic layout
        # would measure every label first and double the drawing time.
        top, bottom = figure.subplots(2, 1, height_ratios=(max(len(picture.domains), 2), 3))
        figure.subplots_adjust(left=0.33, right=0.92, top=0.88, bottom=0.06, hspace=0.4)
        figure.suptitle(picture.title, fontsize=12)

        labels = [_label(d.name, d.weight) for d in picture.domains]
        rows = list(range(len(picture.domains)))[::-1]  # the guide's first domain on top
        shares = [d.correct / d.answered * 100 if d.answered else 0.0 for d in picture.domains]
        top.barh(rows, shares, color=ACCURACY, height=0.6)
        for row, d, share in zip(rows, picture.domains, shares, strict=True):
            note = f"{share:.0f}% of {d.answered}" if d.answered else "no answers yet"
            top.text(min(share, 100) + 1.5, row, note, va="center", fontsize=8)
        if picture.target is not None:
            top.axvline(picture.target * 100, color=TARGET, linestyle="--", linewidth=1)
            top.text(picture.target * 100 + 1, len(rows) - 0.55, f"meets at {picture.target * 100:.0f}%",
                     color=TARGET, fontsize=7, va="top")  # fmt: skip
        top.set_yticks(rows, labels, fontsize=8)
        top.set_xlim(0, 118)
        top.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=8)
        top.set_title(f"{picture.exam}: accuracy per domain (the guide's weight beside each name)", fontsize=9)

        ticks = list(range(len(picture.weeks)))
        answered = [w.answered for w in picture.weeks]
        bottom.bar(ticks, answered, color=ANSWERS, width=0.6)
        bottom.set_xticks(ticks, [_day(w.start) for w in picture.weeks], fontsize=8)
        bottom.set_ylabel("answers", fontsize=8)
        bottom.set_ylim(0, max([*answered, 1]) * 1.15)
        bottom.tick_params(axis="y", labelsize=8)
        right = bottom.twinx()
        points = [(t, w.correct / w.answered * 100) for t, w in zip(ticks, picture.weeks, strict=True) if w.answered]
        if points:
            right.plot([p[0] for p in points], [p[1] for p in points], color=ACCURACY, marker="o", linewidth=1.5)
        right.set_ylim(0, 105)
        right.set_yticks([0, 50, 100], ["0%", "50%", "100%"], fontsize=8)
        right.set_ylabel("correct", fontsize=8, color=ACCURACY)
        bottom.set_title(f"Answers (bars) and accuracy (line) per week, {picture.days} days", fontsize=9)

        canvas.draw()
        width, height = canvas.get_width_height()
        pixels = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    # A few flat colours and anti-aliased text: 64 colours look the same and take a third of the bytes
    # of full colour (about 18 kB instead of 60). Pillow writes no time or version into the file.
    out = io.BytesIO()
    pixels.convert("RGB").quantize(colors=COLOURS, method=Image.Quantize.FASTOCTREE).save(out, format="PNG")
    return out.getvalue()


def weeks_ending(today: dt.date, count: int) -> list[dt.date]:
    """The first days of the `count` seven-day weeks that end with `today`, oldest first."""
    return [today - dt.timedelta(days=7 * (count - i) - 1) for i in range(count)]


def fold_weeks(days: Sequence[tuple[dt.date, int, int]], starts: Sequence[dt.date]) -> tuple[WeekBar, ...]:
    """Daily (day, answered, correct) counts added up into the weeks beginning on `starts` (seven days
    each, oldest first); days outside them are left out."""
    totals = {start: [0, 0] for start in starts}
    for day, answered, correct in days:
        for start in starts:
            if start <= day < start + dt.timedelta(days=7):
                totals[start][0] += answered
                totals[start][1] += correct
                break
    return tuple(WeekBar(start, *totals[start]) for start in starts)
