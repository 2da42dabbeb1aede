"""`/stats` and `/leaderboard`, read from the aggregates the answer writer keeps in the transaction that
records each answer (bot/store/practice.py), so neither grows with the number of answers stored."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.catalog.models import Exam
from bot.markup import bold, bullets, code, esc
from bot.practice import stats_picture, texts
from bot.practice.engine import member_zone
from bot.practice.scoring import Readiness, domain_scores, readiness, streak, wilson
from bot.replies import Field, Reply
from bot.requests import Identity
from bot.services import Services
from bot.store import errata as errata_store
from bot.store import members as member_store
from bot.store import practice as store
from bot.store import seasons as season_store
from bot.store.db import reading
from bot.words import plural

WEAK_MIN_ANSWERS = 3
TOP = 10


async def stats(
    svc: Services, identity: Identity, now: dt.datetime, exam: Exam | None, *, picture: bool = False
) -> Reply:
    """The member's stats; with `picture`, a PNG of one exam attached (see `stats_picture`)."""
    code_ = exam.code if exam else None
    async with reading(svc.engine) as conn:
        member = await member_store.find(conn, identity)
        if member is None:
            return _empty()
        rows = await store.accuracy_by_domain(conn, member.id, code_)
        if not rows:
            return _empty(code_)
        zone = member_zone(member, svc)
        times = await day_marks(conn, member.id, ZoneInfo(zone))
        cards, due_now, upcoming = await store.card_counts(conn, member.id, now, code_)
        finals: dict[str, store.FinalResult] = {}
        for result in await store.final_results(conn, member.id):
            finals.setdefault(result.exam, result)  # newest first: the latest final of each exam
        latest = await store.last_answers(conn, member.id)
        by_exam: dict[str, dict[str, tuple[int, int]]] = {}
        for e, d, n, c in rows:
            by_exam.setdefault(e, {})[d] = (n, c)
        drawn = stats_picture.pick_exam(by_exam, code_ or member.target_exam) if picture else None
        weeks = await stats_picture.read_weeks(conn, member.id, drawn, now) if drawn else ()
    async with svc.engine.begin() as conn:
        corrections = await errata_store.take_member_notices(conn, member.id, now)  # said once, here
    answered = sum(n for _e, _d, n, _c in rows)
    correct = sum(c for _e, _d, _n, c in rows)
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
            ready_lines.append(_readiness_line(e, r, finals.get(e), latest.get(e), now, zone))
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
    shown = svc.catalog.exam(drawn) if drawn else None
    attached = (
        await stats_picture.attachment(f"Stats of {identity.user_name}", shown, by_exam[shown.code], weeks)
        if shown
        else None
    )
    if drawn and shown is None:
        footer += f" No picture: {drawn} is not in the catalog."
    return Reply(
        title=f"Stats of {identity.user_name}", fields=tuple(fields), footer=footer, ephemeral=True, attachment=attached
    )


def _readiness_line(
    exam: str, r: Readiness, final: store.FinalResult | None, last: dt.datetime | None, now: dt.datetime, zone: str
) -> str:
    """An exam's readiness as a range with the evidence under it: the latest final mock first (its
    questions were new to the member, so it is the fairest test), then every answer by domain, and how
    recent they are."""
    parts = []
    if final is not None:
        lo, hi = wilson(final.correct, final.total)
        parts.append(
            f"rests first on your final mock of {final.finished_at.astimezone(ZoneInfo(zone)):%a %d %b}: "
            f"{bold(f'{final.correct} of {final.total} right')}, so likely {texts.percent(lo)} to {texts.percent(hi)}"
        )
    practice = f"likely {texts.percent(r.low)} to {texts.percent(r.high)}"
    parts.append(
        (f"all your answers put it at {practice}" if final is not None else bold(practice))
        + f" by the guide's weights, from {plural(r.answered, 'answer')} covering {r.domains_covered} of "
        f"{r.domains_total} domains: {r.evidence}"
    )
    if last is not None:
        parts.append(f"last answer {_ago(last, now)}")
    if r.thin:
        parts.append("too few answers to say in " + ", ".join(f"{esc(name)} ({n})" for name, n in r.thin))
    return f"{code(exam)}: " + "; ".join(parts)


def _ago(at: dt.datetime, now: dt.datetime) -> str:
    days = (now - at).days
    if days < 1:
        return "within the last day"
    return f"{plural(days, 'day')} ago"


SLOT = dt.timedelta(minutes=15)  # every UTC offset in use is a multiple of it, and so is every change


async def day_marks(conn: AsyncConnection, member_id: int, tz: ZoneInfo) -> list[dt.datetime]:
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


def period_of(now: dt.datetime, period: str) -> tuple[str, dt.date] | None:
    """The calendar period a board of `period` counts (this UTC week from Monday, this UTC month), or
    None for all time. Calendar periods, because the answer writer keeps one row per member and period:
    a rolling window had to add up a row per member and day (and, before that, read its first day's
    answers one by one), which grew with the answers in it."""
    if period not in store.PERIODS:
        return None  # all time, or a season (counted from its own start)
    return period, store.period_start(period, now.astimezone(dt.UTC).date())


NO_SEASON = (
    "No season has started here yet. A moderator starts one with `/studyadmin season start name:Spring`; "
    "`period:all` counts everything meanwhile."
)


async def board(svc: Services, identity: Identity, now: dt.datetime, period: str, exam: Exam | None) -> Reply:
    counted = period_of(now, period)
    async with reading(svc.engine) as conn:
        season = await season_store.current(conn, identity.platform, identity.workspace) if period == "season" else None
        if period == "season" and season is None:
            return Reply(title="Leaderboard · season", text=NO_SEASON)
        board = await store.leaderboard(
            conn, identity.platform, identity.workspace, counted, exam.code if exam else None,
            season=season.id if season else None, user_id=identity.user_id, top=TOP,
        )  # fmt: skip
    scope = (
        f"season {esc(season.name)}"
        if season
        else {"week": "this week", "month": "this month", "all": "all time"}[period]
    )
    title = f"Leaderboard · {scope}" + (f" · {exam.code}" if exam else "")
    since = f"Counted since {counted[1]:%a %d %b} (UTC)." if counted else None
    if season is not None:
        since = f"Counted since the season began on {season.started_at:%a %d %b %Y} (UTC)."
    if not board.top:
        return Reply(title=title, text="No answers in this period yet. `/practice` to get on the board.", footer=since)
    lines = []
    for rank, s in enumerate(board.top, start=1):
        lines.append(f"{rank}. {bold(s.display_name)}: {s.correct} correct of {s.answered}")
    notes = [since] if since else []
    if board.mine and board.mine[0] > TOP:
        notes.append(f"You are #{board.mine[0]} with {board.mine[1].correct} correct.")
    return Reply(title=title, text="\n".join(lines), footer=" ".join(notes) or None)
