"""How a question and its verdict read, for private practice, mocks, reviews and group prompts alike.

Wording lives here so it is reviewed in one place; group prompts show the options in written order, a
member's own practice in that member's shuffled order, through the same functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from bot.catalog.models import Question
from bot.markup import Span, bold, bullets, channel, chunk, code, esc, italic, link, user
from bot.practice.questions import LETTERS


def options_text(question: Question, order: str) -> str:
    """The options under the letters this member sees them by."""
    return "\n".join(f"{bold(LETTERS[pos] + '.')} {esc(question.options[int(i)].text)}" for pos, i in enumerate(order))


def choose_note(question: Question) -> str:
    """ "Choose 2." for a multiple-response question whose stem does not already say "(Choose two.)";
    the menu, or the console's `/choose` line, says how."""
    if question.type != "multiple" or "(choose" in question.stem.casefold():
        return ""
    return bold(f"Choose {question.choose}.")


def choose_first(question: Question, platform: str, *, posted: bool = False) -> str:
    """What to do when Submit is pressed before choosing, said once and in the platform's terms: the
    console has no menu (`/choose` in a session, `--choose` for a posted prompt)."""
    what = f"{question.choose} options" if question.type == "multiple" else "an option"
    if platform != "console":
        return f"Choose {what} in the menu first, then press Submit."
    how = (
        "with `--choose` (the options' numbers, like `--choose 1,3`)"
        if posted
        else "with `/choose` (letters or numbers)"
    )
    return f"Choose {what} first {how}, then press Submit."


def question_text(question: Question, order: str) -> str:
    lines = [esc(question.stem), ""]
    if choose_note(question):
        lines += [choose_note(question), ""]
    if question.type == "matching":
        # Items keep their written order and are numbered; their matches are shuffled and lettered.
        lines += [bold("Items"), *(f"{n}. {esc(o.text)}" for n, o in enumerate(question.options, start=1)), ""]
        lines += [bold("Matches"), matches_text(question, order)]
    else:
        if question.type == "ordering":
            lines += [bold("Put every step in order, first to last."), ""]
        lines.append(options_text(question, order))
    return "\n".join(lines)


def matches_text(question: Question, order: str) -> str:
    return "\n".join(
        f"{bold(LETTERS[pos] + '.')} {esc(question.options[int(i)].match or '')}" for pos, i in enumerate(order)
    )


def sequence_progress(question: Question, order: str, picked: str) -> str:
    """Where a member is in answering an ordering or matching question, and what to press next."""
    total = len(question.options)
    step = len(picked) + 1
    if question.type == "ordering":
        so_far = f"Your order so far: {bold(' → '.join(picked))}. " if picked else ""
        return f"{so_far}Press the step that comes {bold(_ordinal(step))} ({step} of {total})."
    done = [f"{n} → {letter}" for n, letter in enumerate(picked, start=1)]
    so_far = f"Matched so far: {bold(', '.join(done))}. " if done else ""
    item = esc(question.options[len(picked)].text)
    return f"{so_far}Which match goes with item {bold(str(step))} ({item})?"


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}.get(n, f"number {n}")


def sequence_verdict(question: Question, order: str, chosen: tuple[int, ...]) -> str:
    """The right sequence or pairs with why, beside what the member gave (all or nothing)."""
    if question.type == "ordering":
        given = " → ".join(LETTERS[order.index(str(i))] for i in chosen)
        lines = [f"Your order: {bold(given)}.", "", bold("The right order")]
        for n, option in enumerate(question.options, start=1):
            letter = LETTERS[order.index(str(n - 1))]
            lines.append(f"{n}. {bold(letter)}: {esc(option.text)}. {esc(option.explanation)}")
        return "\n".join(lines)
    lines = [bold("The right pairs")]
    for n, option in enumerate(question.options, start=1):
        right = LETTERS[order.index(str(n - 1))]
        given = LETTERS[order.index(str(chosen[n - 1]))] if n - 1 < len(chosen) else "?"
        verdict = "right" if given == right else f"you gave {given}"
        pair = f"{esc(option.text)} → {bold(right)} {esc(option.match or '')}"
        lines.append(f"- {n}. {pair} ({verdict}). {esc(option.explanation)}")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class _Rendered:
    """A question's option texts escaped and joined with their explanations, by original index."""

    question: Question  # kept so the cache entry can be checked against the very object asked about
    texts: tuple[str, ...]
    whys: tuple[str, ...]
    correct: tuple[bool, ...]
    answer: tuple[int, ...]  # the correct original indexes, as `Question.correct_indexes`


_RENDERED: dict[int, _Rendered] = {}
_RENDERED_MAX = 8192


def _rendered(question: Question) -> _Rendered:
    """Content text is escaped once per question, not on every verdict: a burst of answers re-renders the
    same options thousands of times. Keyed by object identity (hashing a pydantic model hashes every
    field), with the object kept in the entry so a recycled id can never return another question's text."""
    entry = _RENDERED.get(id(question))
    if entry is None or entry.question is not question:
        if len(_RENDERED) >= _RENDERED_MAX:
            _RENDERED.clear()
        entry = _RENDERED[id(question)] = _Rendered(
            question,
            tuple(esc(o.text) for o in question.options),
            tuple(esc(o.explanation) for o in question.options),
            tuple(o.correct for o in question.options),
            question.correct_indexes,
        )
    return entry


def answer_indexes(question: Question) -> tuple[int, ...]:
    """`question.correct_indexes` from the same cache (the property rebuilds the tuple on every call)."""
    return _rendered(question).answer


_TAGS = {(False, False): "", (True, False): " (correct)", (False, True): " (your answer)"}
_TAGS[(True, True)] = " (correct, your answer)"


def explanations(
    question: Question, order: str, chosen: tuple[int, ...] = (), notes: Sequence[str] | None = None
) -> str:
    """Every option with why it is right or wrong, in the order the member saw them; `notes` (markup,
    by original index) go after an option's text, as a reveal's share of answers does."""
    rendered = _rendered(question)
    lines = []
    for pos, digit in enumerate(order):
        i = int(digit)
        tag = _TAGS[(rendered.correct[i], i in chosen)]
        note = f" {notes[i]}" if notes is not None and notes[i] else ""
        lines.append(f"- **{LETTERS[pos]}{tag}**: {rendered.texts[i]}{note} {rendered.whys[i]}")
    return "\n".join(lines)


def written_order(question: Question) -> str:
    """The options as the question was written: how a group prompt shows them to everyone."""
    return "".join(str(i) for i in range(len(question.options)))


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


# -- the mock report's pages ------------------------------------------------------------------------

PAGE_BUDGET = 3000
"""Markup characters per report page: under Slack's 3,000 per section once chunked into a few sections
and under Discord's 6,000 per message with the title and buttons, so a page is always one message."""


def _as_markup(span: Span) -> str:
    """A span written back as neutral markup, so `bot.markup.chunk` can split markup into markup."""
    match span.kind:
        case "bold":
            return bold(span.text)
        case "italic":
            return italic(span.text)
        case "code":
            return code(span.text)
        case "link":
            return link(span.text, span.url or "")
        case "channel":
            return channel(span.text)
        case "user":
            return user(span.text)
        case _:
            return esc(span.text)


def pages(blocks: Sequence[str], budget: int = PAGE_BUDGET) -> list[str]:
    """Blocks of markup packed into pages of at most `budget` characters, whole blocks where they fit;
    a block longer than a page is split between lines or spans (never inside a bold phrase or link)."""
    out: list[str] = []
    current = ""
    for block in blocks:
        parts = [block] if len(block) <= budget else chunk(block, budget, _as_markup)
        for part in parts:
            candidate = f"{current}\n\n{part}" if current else part
            if len(candidate) <= budget:
                current = candidate
            else:
                out.append(current)
                current = part
    if current:
        out.append(current)
    return out
