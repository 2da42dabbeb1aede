"""The picture `/stats picture:true` attaches: one exam's domains against its guide, and the last weeks.

The numbers come from the same aggregates as the stats text (a member's all-time totals per domain and
daily counts per UTC day; a group's window of its channel, `bot.practice.group_stats`), so picture and
text never disagree; `bot/charts.py` draws them and says them in words.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import charts
from bot.catalog.models import Exam
from bot.practice.scoring import MEETS_SHARE, domain_scores
from bot.replies import Attachment
from bot.store import practice as store

WEEKS = 8
MIME = "image/png"


def pick_exam(by_exam: Mapping[str, Mapping[str, tuple[int, int]]], target: str | None) -> str:
    """The exam a picture shows when none was asked for: the member's target exam if they answered
    in it, else the one they answered most in (the first by code on a tie)."""
    if target in by_exam:
        return str(target)
    return max(sorted(by_exam), key=lambda e: sum(n for n, _c in by_exam[e].values()))


async def read_weeks(conn: AsyncConnection, member_id: int, exam: str, now: dt.datetime) -> tuple[charts.WeekBar, ...]:
    """The member's answers in `exam` over the last `WEEKS` seven-day weeks ending today (UTC days)."""
    starts = charts.weeks_ending(now.astimezone(dt.UTC).date(), WEEKS)
    days = await store.daily_counts(conn, member_id, starts[0], exam)
    return charts.fold_weeks(days, starts)


async def attachment(
    title: str,
    exam: Exam,
    domains: Mapping[str, tuple[int, int]],
    weeks: tuple[charts.WeekBar, ...],
    *,
    name: str = "stats",
) -> Attachment:
    """The PNG of `domains` (domain → answered, correct) against the guide and of `weeks`, with its alt
    text, as `name-<exam>.png`: a member's `/stats` and a group's `/stats channel:` both draw with it.
    Drawn in a worker thread so the event loop keeps answering others."""
    bars = tuple(charts.DomainBar(s.name, s.weight, s.answered, s.correct) for s in domain_scores(exam, domains))
    picture = charts.StatsPicture(title, exam.code, bars, weeks, target=MEETS_SHARE)
    png = await asyncio.to_thread(charts.draw, picture)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in exam.code)
    return Attachment(f"{name}-{safe}.png", png, MIME, charts.describe(picture))
