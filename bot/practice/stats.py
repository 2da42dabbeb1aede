"""`/stats` and `/leaderboard`, read from the aggregates the answer writer keeps in the transaction that
records each answer (bot/store/practice.py), so neither grows with the number of answers stored."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.catalog.models import Exam
from bot.markup import bold, bullets, code, esc
from bot.practice import texts
from bot.practice.engine import member_zone
from bot.practice.scoring import domain_scores, readiness, streak
from bot.replies import Field, Reply
from bot.requests import Identity
from bot.services import Services
from bot.store import errata as errata_store
from bot.store import members as member_store
from bot.store import practice as store
from bot.store.db import reading

WEAK_MIN_ANSWERS = 3
PERIODS = {"week": dt.timedelta(days=7), "month": dt.timedelta(days=30), "all": None}
TOP = 10


async def stats(svc: Services, identity: Identity, now: dt.datetime, exam: Exam | None) -> Reply:
    code_ = exam.code if exam else None
    async with reading(svc.engine) as conn:
        member = await member_store.find(conn, identity)
        if member is None:
            return _empty()
        rows = await store.accuracy_by_domain(conn, member.id, code_)
        if not rows:
            return _empty(code_)
        zone = member_zone(member, svc)
        times = await _day_marks(conn, member.id, ZoneInfo(zone))
        cards, due_now, upcoming = await store.card_counts(conn, member.id, now, code_)
    async with svc.engine.begin() as conn:
        corrections = await errata_store.take_member_notices(conn, member.id, now)  # said once, here
    answered = sum(n for _e, _d, n, _c in rows)
    correct = sum(c for _e, _d, _n, c in rows)
    by_exam: dict[str, dict[str, tuple[int, int]]] = {}
    for e, d, n, c in rows:
        by_exam.setdefault(e, {})[d] = (n, c)
    s = streak(times, zone, now)
    fields = [
        Field("Answered", f"{answered} ({texts.percent(correct / answered)} correct)", True),
        Field("Streak", f"{s.current} day{'s' if s.current != 1 else ''} (best {s.best})", True),
        Field(
            "Reviews",
            f"{due_now} due of {cards} cards"
            + (f"; next {texts.until(upcoming, now)}" if not due_now and upcoming else ""),
            True,
        ),
    ]
    exam_lines, domain_lines, ready_lines, weak = [], [], [], []
    for e, domains in sorted(by_exam.items()):
        n = sum(v[0] for v in domains.values())
        c = sum(v[1] for v in domains.values())
        exam_lines.append(f"{code(e)}: {n} answered, {texts.percent(c / n)} correct")
        known = svc.catalog.exam(e)
        if known is None:
            continue
        scores = domain_scores(known, domains)
        for score in scores:
            if score.answered:
                domain_lines.append(f"{code(e)} {esc(score.name)}: {texts.percent(score.share)} of {score.answered}")
                if score.answered >= WEAK_MIN_ANSWERS and score.share < 1:  # all right is no weak spot
                    weak.append((score.share, e, score.name, score.answered))
        r = readiness(scores)
        if r.share is not None:
            ready_lines.append(
                f"{code(e)}: {bold(texts.percent(r.share))}, resting on {r.answered} answers covering "
                f"{r.domains_covered} of {r.domains_total} domains ({r.covered_weight}% of the exam's weight): "
                f"{r.evidence}"
            )
    fields.append(Field("By exam", bullets(exam_lines)))
    fields.append(Field("By domain", bullets(domain_lines[:30])))
    if weak:
        weak.sort()
        fields.append(
            Field(
                "Weakest domains",
                bullets(f"{code(e)} {esc(d)}: {texts.percent(sh)} of {n}" for sh, e, d, n in weak[:3]),
            )
        )
    if ready_lines:
        fields.append(Field("Readiness (estimate)", bullets(ready_lines)))
    if corrections:
        fields.append(Field("Corrected since you last looked", bullets(corrections)))
    footer = f"Days are counted in {zone}." + ("" if member.timezone else " Set yours with `/profile timezone:`.")
    return Reply(title=f"Stats of {identity.user_name}", fields=tuple(fields), footer=footer, ephemeral=True)


SLOT = dt.timedelta(minutes=15)  # every UTC offset in use is a multiple of it, and so is every change


async def _day_marks(conn: AsyncConnection, member_id: int, tz: ZoneInfo) -> list[dt.datetime]:
    """One answer time on each local day the member answered on, from the daily counts.

    A UTC day's answers lie between its first and last answer, so their local days are those two, and
    any day between them that holds an answer. That happens only when a DST change falls inside the
    span (a 23-hour day can sit wholly inside a UTC day) or the span is longer than a local day; then
    the span is walked in quarter hours, each of which lies in one local day, and every day not yet
    seen is looked up in the answers themselves (an indexed lookup by member and time).
    """
    marks: list[dt.datetime] = []
    for first, last in await store.active_spans(conn, member_id):
        marks += (first, last)
        a, b = first.astimezone(tz), last.astimezone(tz)
        if a.utcoffset() == b.utcoffset() and (b.date() - a.date()).days <= 1:
            continue
        known = {a.date(), b.date()}
        pieces: dict[dt.date, list[dt.datetime]] = {}
        slot = first.replace(minute=first.minute - first.minute % 15, second=0, microsecond=0)
        while slot <= last:
            day = slot.astimezone(tz).date()
            if day not in known:
                pieces.setdefault(day, []).append(slot)
            slot += SLOT
        for slots in pieces.values():
            for start in slots:
                found = await store.first_answer_between(conn, member_id, max(start, first), start + SLOT)
                if found is not None:
                    marks.append(found)
                    break
    return marks


def _empty(exam: str | None = None) -> Reply:
    scope = f" for {exam}" if exam else ""
    return Reply(
        title="No answers yet",
        text=f"You have not answered any questions{scope} yet. Start with `/practice`.",
        ephemeral=True,
    )


def window_start(now: dt.datetime, span: dt.timedelta) -> dt.datetime:
    """Where a leaderboard window of `span` begins: the UTC midnight that makes it that many whole days
    ending with today. Whole days, because the board adds up stored daily counts: a window that began at
    this minute a week ago would have to read its first day's answers one by one, and that read grows
    with the answers (about 10x from 10,000 to 1,000,000 stored)."""
    today = now.astimezone(dt.UTC).date()
    return dt.datetime.combine(today - dt.timedelta(days=span.days - 1), dt.time(), dt.UTC)


async def board(svc: Services, identity: Identity, now: dt.datetime, period: str, exam: Exam | None) -> Reply:
    span = PERIODS[period]
    since = window_start(now, span) if span else None
    async with reading(svc.engine) as conn:
        board = await store.leaderboard(
            conn, identity.platform, identity.workspace, since, exam.code if exam else None,
            user_id=identity.user_id, top=TOP,
        )  # fmt: skip
    scope = {"week": "the last 7 days", "month": "the last 30 days", "all": "all time"}[period]
    title = f"Leaderboard · {scope}" + (f" · {exam.code}" if exam else "")
    counted = f"Counted from {since:%a %d %b} (UTC days)." if since else None
    if not board.top:
        return Reply(
            title=title, text="No answers in this period yet. `/practice` to get on the board.", footer=counted
        )
    lines = []
    for rank, s in enumerate(board.top, start=1):
        lines.append(f"{rank}. {bold(s.display_name)}: {s.correct} correct of {s.answered}")
    notes = [counted] if counted else []
    if board.mine and board.mine[0] > TOP:
        notes.append(f"You are #{board.mine[0]} with {board.mine[1].correct} correct.")
    return Reply(title=title, text="\n".join(lines), footer=" ".join(notes) or None)
