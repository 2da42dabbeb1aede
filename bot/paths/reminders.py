"""Expiry reminders: a direct message 90, 30 and 7 days before a certification expires, each sent once.

Once means a claim in the `claims` table, keyed by member, exam, expiry date and threshold, so it holds
across restarts and between processes, and a renewal (a new expiry date) starts a fresh series. Only the
nearest threshold already reached is due: a certification added with 20 days left gets the 30-day
reminder, not the 90-day one as well. A transient delivery failure gives the claim back so the next run
tries again; a permanent one (the member left, DMs closed) keeps it, so nobody is retried forever.
A member who switched expiry reminders off (`/notify`) or is snoozed is not sent one; see `_hold`.

`deliver_reminders` is what the scheduler (or `studybot schedule deliver-due` in the console) calls.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.catalog import Catalog
from bot.markup import bold, code, esc
from bot.paths.expiry import Held, add_years, expiries
from bot.replies import Reply
from bot.schedule.ports import Posters, PostResult
from bot.services import Services
from bot.store import certifications as cert_store
from bot.store import notify as notify_store
from bot.store.claims import claim, is_claimed
from bot.store.db import reading
from bot.store.notify import NotifySettings, Reason
from bot.store.schema import claims

log = logging.getLogger(__name__)

THRESHOLDS = (90, 30, 7)
KEY_PREFIX = "cert-expiry"


@dataclass(frozen=True, slots=True)
class DueReminder:
    key: str
    member_id: int
    platform: str
    workspace: str
    user_id: str
    display_name: str
    exam: str
    expires_on: dt.date
    days_left: int
    threshold: int
    renewed_by: str | None = None


@dataclass(frozen=True, slots=True)
class Delivered:
    reminder: DueReminder
    result: PostResult


def _today(now: dt.datetime, timezone: str | None) -> dt.date:
    """The member's calendar day: a reminder "7 days before" counts days where the member lives."""
    try:
        zone = zoneinfo.ZoneInfo(timezone) if timezone else dt.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return now.astimezone(zone).date()


def reminder_key(member_id: int, exam: str, expires_on: dt.date, threshold: int) -> str:
    return f"{KEY_PREFIX}:{member_id}:{exam}:{expires_on.isoformat()}:{threshold}"


async def due_reminders(
    conn: AsyncConnection, now: dt.datetime, *, renewing: Mapping[str, frozenset[str]] | None = None
) -> list[DueReminder]:
    """Reminders due at `now` and not yet claimed, soonest expiry first. Reads only.

    Args:
        conn: a connection; nothing is written.
        now: the current time (timezone-aware).
        renewing: exam code → codes whose pass renews it (`bot.paths.expiry.renewers`); without it
            only each certification's own date counts.
    """
    today = now.astimezone(dt.UTC).date()
    # A renewal can move expiry up to one validity period later, so look back that far (plus a day
    # either side for time zones) for certifications that may have been extended into the window.
    start = add_years(today, -3) - dt.timedelta(days=2)
    end = today + dt.timedelta(days=max(THRESHOLDS) + 1)
    member_ids = await cert_store.members_expiring_between(conn, start, end)
    if not member_ids:
        return []
    rows = await cert_store.with_holders(conn, member_ids)
    by_member: dict[int, list[cert_store.HolderRow]] = {}
    for row in rows:
        by_member.setdefault(row.cert.member_id, []).append(row)
    due: list[DueReminder] = []
    for member_rows in by_member.values():
        held = [Held(r.cert.exam, r.cert.passed_on, r.cert.expires_on) for r in member_rows]
        dates = expiries(held, renewing or {}, {})
        for row in member_rows:
            expiry = dates[row.cert.exam]
            days = expiry.days_left(_today(now, row.timezone))
            reached = [t for t in THRESHOLDS if days <= t]
            if days < 0 or not reached:
                continue
            threshold = min(reached)
            key = reminder_key(row.cert.member_id, row.cert.exam, expiry.expires_on, threshold)
            if await is_claimed(conn, key):
                continue
            due.append(
                DueReminder(
                    key,
                    row.cert.member_id,
                    row.platform,
                    row.workspace,
                    row.user_id,
                    row.display_name,
                    row.cert.exam,
                    expiry.expires_on,
                    days,
                    threshold,
                    expiry.renewed_by,
                )
            )
    return sorted(due, key=lambda r: (r.expires_on, r.member_id, r.exam))


def reminder_reply(reminder: DueReminder, catalog: Catalog) -> Reply:
    """The direct message: when it expires and how to renew, in the exam's own words."""
    exam = catalog.exam(reminder.exam)
    name = exam.short_name if exam else reminder.exam
    when = "today" if reminder.days_left == 0 else f"in {reminder.days_left} days"
    lines = [
        f"Your {code(reminder.exam)} {esc(name)} certification expires {bold(when)}, "
        f"on {reminder.expires_on:%-d %B %Y}.",
    ]
    if exam is not None:
        lines.append(f"How to renew: {esc(exam.renewal)}")
    lines.append("See all your certifications with `/mycerts list`.")
    return Reply(title=f"{reminder.exam} expires {when}", text="\n\n".join(lines))


async def deliver_reminders(services: Services, posters: Posters, now: dt.datetime) -> list[Delivered]:
    """Claim each due reminder, then send it as a direct message through its platform's poster.

    Reminders for a platform without a poster stay unclaimed, for a run where it is connected.
    """
    renewing = services.paths.renewing
    async with reading(services.engine) as conn:
        due = await due_reminders(conn, now, renewing=renewing)
        wishes = await notify_store.for_members(conn, sorted({r.member_id for r in due}))
    sent: list[Delivered] = []
    for reminder in due:
        poster = posters.get(reminder.platform)
        if poster is None:
            continue
        held = wishes.get(reminder.member_id, NotifySettings()).blocks("expiry_reminders", now)
        if held is not None:
            await _hold(services, reminder, held, now)
            continue
        async with services.engine.begin() as conn:
            if not await claim(conn, reminder.key, now):
                continue  # another process got there first
        result = await poster.direct_message(
            reminder.workspace, reminder.user_id, reminder_reply(reminder, services.catalog)
        )
        async with services.engine.begin() as conn:
            if result.ok or result.permanent:
                await conn.execute(
                    update(claims).where(claims.c.key == reminder.key).values(result=result.outcome.value)
                )
            else:
                await conn.execute(delete(claims).where(claims.c.key == reminder.key))
        log.info("expiry reminder %s: %s", reminder.key, result.outcome.value)
        sent.append(Delivered(reminder, result))
    return sent


async def _hold(services: Services, reminder: DueReminder, reason: Reason, now: dt.datetime) -> None:
    """A reminder the member does not want now. Switched off, it is claimed as skipped and never sent;
    snoozed, it stays unclaimed, so the first run after the snooze sends it if its threshold is still
    the nearest one reached (a 30-day reminder held until 5 days before expiry gives way to the 7-day
    one). Either way the skip is recorded once for the member to see in `/profile export`."""
    async with services.engine.begin() as conn:
        if reason == "off" and not await claim(conn, reminder.key, now, f"skipped-{reason}"):
            return
        if await notify_store.record_skip(conn, reminder.member_id, "expiry_reminders", reminder.key, reason, now):
            log.info("expiry reminder %s: held back (%s)", reminder.key, reason)
