"""Reviews that fit a life: the daily cap, and a break whose backlog comes back spread out.

Days are the member's own (their timezone, else the workspace default). A cap counts review answers
given since the member's local midnight; what is left stays due and comes first the next day, oldest
due first, because `/review` always serves the most overdue card. A break pauses reviews (and their
DMs) from its first to its last day; when it is set, every card that would fall due before it ends is
given a new due time on the days after it, in due order, so the member comes back to a few a day.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import practice as practice_store
from bot.store import reviews as plan_store

CAP_BOUNDS = (5, 500)
MAX_BREAK_DAYS = 90
MAX_SPREAD_DAYS = 14  # however long the break, its backlog is back within two weeks


def day_bounds(day: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a local day, in UTC (a DST day is 23 or 25 hours long)."""
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(day, dt.time(), tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
    return start, end


def local_day(now: dt.datetime, zone: str) -> dt.date:
    return now.astimezone(ZoneInfo(zone)).date()


async def reviewed_today(conn: AsyncConnection, member_id: int, now: dt.datetime, zone: str) -> int:
    start, end = day_bounds(local_day(now, zone), zone)
    return await practice_store.reviews_answered_between(conn, member_id, start, end)


def spread(
    cards: list[tuple[int, dt.datetime]], first_day: dt.date, days: int, zone: str
) -> list[tuple[int, dt.datetime]]:
    """New due times for `cards` (oldest due first): evenly over `days` local days from `first_day`, each
    at the start of its day, so the first day after a break holds about 1/`days` of the backlog."""
    n = len(cards)
    moves = []
    for k, (card_id, _due) in enumerate(cards):
        day = first_day + dt.timedelta(days=k * days // n)
        moves.append((card_id, day_bounds(day, zone)[0]))
    return moves


async def take_break(
    conn: AsyncConnection,
    member_id: int,
    start: dt.date,
    end: dt.date,
    now: dt.datetime,
    zone: str,
) -> tuple[plan_store.ReviewPlan, int]:
    """Store the break; returns the plan and how many cards fall due before it ends (as things stand)."""
    plan = await plan_store.save(conn, member_id, now, break_from=start, break_to=end)
    resume, _ = day_bounds(end + dt.timedelta(days=1), zone)
    return plan, len(await plan_store.cards_due_before(conn, member_id, None, resume))


def spread_days(plan: plan_store.ReviewPlan) -> int:
    assert plan.break_from is not None and plan.break_to is not None
    return max(1, min(MAX_SPREAD_DAYS, (plan.break_to - plan.break_from).days + 1))


async def settle(
    conn: AsyncConnection,
    member_id: int,
    plan: plan_store.ReviewPlan,
    today: dt.date,
    now: dt.datetime,
    zone: str,
    *,
    early: bool = False,
) -> plan_store.ReviewPlan:
    """End a break that is over (or, `early`, one going on): clear it and spread the backlog, every card
    due by the end of today, over as many days as the break lasted (at most two weeks) from today, in due
    order. The clearing is a compare-and-set on the stored break, so two requests (or processes) that
    both see it over spread the cards once."""
    if plan.break_from is None or plan.break_to is None or not (early or plan.break_to < today):
        return plan
    if not await plan_store.clear_break(conn, member_id, plan.break_from, plan.break_to, now):
        return await plan_store.get(conn, member_id)
    _start, tomorrow = day_bounds(today, zone)
    cards = await plan_store.cards_due_before(conn, member_id, None, tomorrow)
    if cards:
        await plan_store.move_cards(conn, spread(cards, today, spread_days(plan), zone))
    return await plan_store.get(conn, member_id)
