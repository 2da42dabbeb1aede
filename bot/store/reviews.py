"""A member's review plan (`/review settings`, `/review break`): daily cap, due DM, quiet hours, break.

A member without a row has the defaults (`ReviewPlan()`), so the row is written only when they change
something. Moving cards for a break is here too, since it is one statement over `review_cards` per card.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, replace

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.held_out import not_held_out
from bot.store.members import Member
from bot.store.schema import members, review_cards, review_plans

DEFAULT_CAP = 50
DEFAULT_QUIET = (22, 8)  # local hours: no due DM from 22:00 to 08:00


@dataclass(frozen=True, slots=True)
class ReviewPlan:
    daily_cap: int | None = None  # None: DEFAULT_CAP
    due_dm: bool = False  # opt-in
    quiet_from: int | None = None  # None: DEFAULT_QUIET
    quiet_to: int | None = None
    break_from: dt.date | None = None
    break_to: dt.date | None = None

    @property
    def cap(self) -> int:
        return self.daily_cap if self.daily_cap is not None else DEFAULT_CAP

    @property
    def quiet(self) -> tuple[int, int]:
        if self.quiet_from is None or self.quiet_to is None:
            return DEFAULT_QUIET
        return self.quiet_from, self.quiet_to

    def is_quiet(self, hour: int) -> bool:
        """Whether a local `hour` falls in the quiet window (start inclusive, end exclusive, may wrap midnight)."""
        start, end = self.quiet
        if start == end:
            return False
        return start <= hour < end if start < end else hour >= start or hour < end

    def on_break(self, day: dt.date) -> bool:
        return self.break_from is not None and self.break_to is not None and self.break_from <= day <= self.break_to


def _plan(row: object) -> ReviewPlan:
    return ReviewPlan(
        row.daily_cap,  # type: ignore[attr-defined]
        bool(row.due_dm),  # type: ignore[attr-defined]
        row.quiet_from,  # type: ignore[attr-defined]
        row.quiet_to,  # type: ignore[attr-defined]
        row.break_from,  # type: ignore[attr-defined]
        row.break_to,  # type: ignore[attr-defined]
    )


async def get(conn: AsyncConnection, member_id: int) -> ReviewPlan:
    row = (await conn.execute(select(review_plans).where(review_plans.c.member_id == member_id))).first()
    return ReviewPlan() if row is None else _plan(row)


async def save(conn: AsyncConnection, member_id: int, now: dt.datetime, **changes: object) -> ReviewPlan:
    """Apply `changes` (fields of `ReviewPlan`) and return the plan now in force."""
    new = replace(await get(conn, member_id), **changes)  # type: ignore[arg-type]
    values = {
        "daily_cap": new.daily_cap,
        "due_dm": new.due_dm,
        "quiet_from": new.quiet_from,
        "quiet_to": new.quiet_to,
        "break_from": new.break_from,
        "break_to": new.break_to,
        "updated_at": now,
    }
    where = review_plans.c.member_id == member_id
    if (await conn.execute(update(review_plans).where(where).values(**values))).rowcount:
        return new
    try:
        async with conn.begin_nested():
            await conn.execute(insert(review_plans).values(member_id=member_id, **values))
    except IntegrityError:  # written by a racing request between our update and insert
        await conn.execute(update(review_plans).where(where).values(**values))
    return new


async def clear_break(conn: AsyncConnection, member_id: int, start: dt.date, end: dt.date, now: dt.datetime) -> bool:
    """End the stored break if it is still the one from `start` to `end`; False when someone else did."""
    result = await conn.execute(
        update(review_plans)
        .where(
            (review_plans.c.member_id == member_id)
            & (review_plans.c.break_from == start)
            & (review_plans.c.break_to == end)
        )
        .values(break_from=None, break_to=None, updated_at=now)
    )
    return bool(result.rowcount)


async def with_due_dm(conn: AsyncConnection) -> list[tuple[Member, ReviewPlan]]:
    """Every member who asked for a DM when reviews are due, with their plan."""
    stmt = (
        select(members, *(c.label(f"plan_{c.name}") for c in review_plans.c))
        .select_from(members.join(review_plans, review_plans.c.member_id == members.c.id))
        .where(review_plans.c.due_dm.is_(True))
        .order_by(members.c.id)
    )
    found = []
    for row in (await conn.execute(stmt)).mappings():
        member = Member(**{c.name: row[c.name] for c in members.c})
        plan = ReviewPlan(
            row["plan_daily_cap"],
            bool(row["plan_due_dm"]),
            row["plan_quiet_from"],
            row["plan_quiet_to"],
            row["plan_break_from"],
            row["plan_break_to"],
        )
        found.append((member, plan))
    return found


async def cards_due_before(
    conn: AsyncConnection, member_id: int, since: dt.datetime | None, until: dt.datetime
) -> list[tuple[int, dt.datetime]]:
    """(card id, due) of the member's cards falling due in [since, until), oldest first; cards of
    final-mock questions left out (review never serves them, so a break does not move them)."""
    cond = (
        (review_cards.c.member_id == member_id)
        & (review_cards.c.due < until)
        & not_held_out(review_cards.c.question_id)
    )
    if since is not None:
        cond = cond & (review_cards.c.due >= since)
    rows = await conn.execute(
        select(review_cards.c.id, review_cards.c.due).where(cond).order_by(review_cards.c.due, review_cards.c.id)
    )
    return [(int(i), d) for i, d in rows.all()]


async def move_cards(conn: AsyncConnection, moves: Collection[tuple[int, dt.datetime]]) -> None:
    """Set each card's due time (a break spreading its backlog); the cards' memory state is untouched."""
    for card_id, due in moves:
        await conn.execute(update(review_cards).where(review_cards.c.id == card_id).values(due=due))
