"""How questions, verdicts and times read to a member; wording lives here so it is reviewed in one place."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from bot.catalog.models import Question
from bot.markup import bold, bullets, esc, link
from bot.practice.questions import LETTERS


def options_text(question: Question, order: str) -> str:
    """The options under the letters this member sees them by."""
    return "\n".join(f"{bold(LETTERS[pos] + '.')} {esc(question.options[int(i)].text)}" for pos, i in enumerate(order))


def question_text(question: Question, order: str) -> str:
    lines = [esc(question.stem), ""]
    if question.type == "multiple":
        lines += [bold(f"Choose {question.choose}."), ""]
    lines.append(options_text(question, order))
    return "\n".join(lines)


@lru_cache(maxsize=8192)
def _escaped(text: str) -> str:
    """Content text is escaped once, not on every verdict: a burst of answers re-renders the same options."""
    return esc(text)


def explanations(question: Question, order: str, chosen: tuple[int, ...]) -> str:
    """Every option with why it is right or wrong, in the order the member saw them."""
    items = []
    for pos, i in enumerate(order):
        option = question.options[int(i)]
        marks = []
        if option.correct:
            marks.append("correct")
        if int(i) in chosen:
            marks.append("your answer")
        tag = f" ({', '.join(marks)})" if marks else ""
        items.append(f"**{LETTERS[pos]}{tag}**: {_escaped(option.text)} {_escaped(option.explanation)}")
    return bullets(items)


@lru_cache(maxsize=4096)
def _links(links: tuple[str, ...]) -> str:
    return bullets(link(_short(url), url) for url in links)


def doc_links(question: Question) -> str:
    return _links(question.links)


def _short(url: str) -> str:
    parsed = urlparse(url)
    shown = parsed.netloc + parsed.path
    return shown if len(shown) <= 80 else shown[:77] + "…"


def local_time(at: dt.datetime, zone: str) -> str:
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b %H:%M} ({zone})"


def until(at: dt.datetime, now: dt.datetime) -> str:
    """'in 8 minutes', 'in 3 hours', 'in 2 days'; 'now' when due."""
    seconds = (at - now).total_seconds()
    if seconds <= 0:
        return "now"
    minutes = round(seconds / 60)
    if minutes < 1:
        return "in less than a minute"
    if minutes < 90:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    if hours < 36:
        return f"in {hours} hours"
    return f"in {round(hours / 24)} days"


def percent(share: float) -> str:
    return f"{share * 100:.0f}%"
