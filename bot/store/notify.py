"""A member's notification settings (`/notify`) and the notifications they held back.

A member without a row gets everything and is not snoozed, so the row is written only when they
change something. `blocks` is the one rule every sender asks: a kind switched off is held back for
good, a snooze holds every kind back until it ends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Literal

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import notify_settings, notify_skips

KINDS = ("role_ping", "review_dms", "expiry_reminders", "digest_mentions")
Kind = Literal["role_ping", "review_dms", "expiry_reminders", "digest_mentions"]
Reason = Literal["off", "snoozed"]


@dataclass(frozen=True, slots=True)
class NotifySettings:
    role_ping: bool = True
    review_dms: bool = True
    expiry_reminders: bool = True
    digest_mentions: bool = True
    snooze_until: dt.datetime | None = None

    def snoozed(self, now: dt.datetime) -> bool:
        return self.snooze_until is not None and now < self.snooze_until

    def blocks(self, kind: Kind, now: dt.datetime) -> Reason | None:
        """Why a `kind` notification must not reach the member at `now`, or None when it may."""
        if not getattr(self, kind):
            return "off"
        if self.snoozed(now):
            return "snoozed"
        return None


@dataclass(frozen=True, slots=True)
class Skip:
    kind: str
    ref: str
    reason: str
    skipped_at: dt.datetime


async def get(conn: AsyncConnection, member_id: int) -> NotifySettings:
    row = (await conn.execute(select(notify_settings).where(notify_settings.c.member_id == member_id))).first()
    if row is None:
        return NotifySettings()
    return NotifySettings(row.role_ping, row.review_dms, row.expiry_reminders, row.digest_mentions, row.snooze_until)


async def for_members(conn: AsyncConnection, member_ids: list[int]) -> dict[int, NotifySettings]:
    """Settings of many members in one read; members without a row are left out (they get everything)."""
    if not member_ids:
        return {}
    rows = await conn.execute(select(notify_settings).where(notify_settings.c.member_id.in_(member_ids)))
    return {
        r.member_id: NotifySettings(r.role_ping, r.review_dms, r.expiry_reminders, r.digest_mentions, r.snooze_until)
        for r in rows
    }


async def save(
    conn: AsyncConnection, member_id: int, now: dt.datetime, **changes: bool | dt.datetime | None
) -> NotifySettings:
    """Apply `changes` (kind flags and `snooze_until`) and return the settings now in force."""
    unknown = set(changes) - {*KINDS, "snooze_until"}
    if unknown:
        raise ValueError(f"not notification settings: {sorted(unknown)}")
    current = await get(conn, member_id)
    new = replace(current, **changes)  # type: ignore[arg-type]
    values = {
        "role_ping": new.role_ping,
        "review_dms": new.review_dms,
        "expiry_reminders": new.expiry_reminders,
        "digest_mentions": new.digest_mentions,
        "snooze_until": new.snooze_until,
        "updated_at": now,
    }
    where = notify_settings.c.member_id == member_id
    if (await conn.execute(update(notify_settings).where(where).values(**values))).rowcount:
        return new
    try:
        async with conn.begin_nested():
            await conn.execute(insert(notify_settings).values(member_id=member_id, **values))
    except IntegrityError:  # written by a racing request between our update and insert
        await conn.execute(update(notify_settings).where(where).values(**values))
    return new


async def record_skip(
    conn: AsyncConnection, member_id: int, kind: Kind, ref: str, reason: Reason, now: dt.datetime
) -> bool:
    """Note that the `kind` notification `ref` was held back; once per (member, kind, ref), so a
    reminder skipped on every delivery pass of a week-long snooze is one row. True when it is new."""
    try:
        async with conn.begin_nested():
            values = {"member_id": member_id, "kind": kind, "ref": ref[:200], "reason": reason, "skipped_at": now}
            await conn.execute(insert(notify_skips).values(**values))
    except IntegrityError:
        return False
    return True


async def skips(conn: AsyncConnection, member_id: int) -> list[Skip]:
    rows = await conn.execute(
        select(notify_skips).where(notify_skips.c.member_id == member_id).order_by(notify_skips.c.id)
    )
    return [Skip(r.kind, r.ref, r.reason, r.skipped_at) for r in rows]
