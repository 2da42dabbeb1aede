"""The opt-in direct message when reviews are due: at most once a member's local day, never in their
quiet hours or on a break, and only when there is something to do (cards due, cap not reached).

Once means a claim keyed by member and local day, as expiry reminders do (`bot.paths.reminders`): it
holds across restarts and between processes. A transient delivery failure gives the claim back for the
next run; a permanent one keeps it. `/notify review_dms:off` or a snooze holds the DM back too.
`deliver_review_dms` is what every delivery run (the scheduler, `studybot schedule deliver-due`) calls.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import delete, update

from bot.markup import bold
from bot.practice import plans
from bot.replies import Reply
from bot.schedule.ports import Posters
from bot.services import Services
from bot.store import notify as notify_store
from bot.store import practice as practice_store
from bot.store import reviews as plan_store
from bot.store.claims import claim, is_claimed
from bot.store.db import reading
from bot.store.notify import NotifySettings
from bot.store.schema import claims
from bot.words import plural

log = logging.getLogger(__name__)

KEY_PREFIX = "review-due"


def dm_key(member_id: int, day: dt.date) -> str:
    return f"{KEY_PREFIX}:{member_id}:{day.isoformat()}"


def due_reply(due: int, cap: int, done: int) -> Reply:
    left = min(due, cap - done)
    more = f" ({plural(due - left, 'more card')} wait for the next days, oldest first)" if due > left else ""
    return Reply(
        title="Reviews are due",
        text=f"{bold(plural(left, 'review') + ' waiting for you today')}{more}. Start with `/review`.\n"
        "Stop these messages with `/review settings dm:off`, or set your quiet hours with `quiet:22-7`.",
    )


async def deliver_review_dms(svc: Services, posters: Posters, now: dt.datetime) -> int:
    """Send every due-reviews DM owed at `now`; returns how many went out."""
    async with reading(svc.engine) as conn:
        candidates = await plan_store.with_due_dm(conn)
        wishes = await notify_store.for_members(conn, [m.id for m, _plan in candidates])
    sent = 0
    for member, plan in candidates:
        poster = posters.get(member.platform)
        if poster is None:
            continue  # for a run where its platform is connected
        zone = member.timezone or svc.settings.default_timezone
        local = now.astimezone(ZoneInfo(zone))
        if plan.is_quiet(local.hour) or plan.on_break(local.date()):
            continue
        if wishes.get(member.id, NotifySettings()).blocks("review_dms", now) is not None:
            continue
        if plan.break_to is not None and plan.break_to < local.date():
            async with svc.engine.begin() as conn:  # back from a break: its backlog spread first
                plan = await plans.settle(conn, member.id, plan, local.date(), now, zone)
        key = dm_key(member.id, local.date())
        async with reading(svc.engine) as conn:
            if await is_claimed(conn, key):
                continue
            _total, due, _next = await practice_store.card_counts(conn, member.id, now)
            done = await plans.reviewed_today(conn, member.id, now, zone)
        if due == 0 or done >= plan.cap:
            continue
        async with svc.engine.begin() as conn:
            if not await claim(conn, key, now):
                continue  # another process got there first
        result = await poster.direct_message(member.workspace, member.user_id, due_reply(due, plan.cap, done))
        async with svc.engine.begin() as conn:
            if result.ok or result.permanent:
                await conn.execute(update(claims).where(claims.c.key == key).values(result=result.outcome.value))
            else:
                await conn.execute(delete(claims).where(claims.c.key == key))
        log.info("review DM %s: %s", key, result.outcome.value)
        sent += 1 if result.ok else 0
    return sent
