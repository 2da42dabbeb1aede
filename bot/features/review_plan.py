"""`/review settings` and `/review break`/`resume`: the member's review plan (`bot.practice.plans`).

Every bad value is refused before anything is written; a break and its spread backlog are one
transaction, so a failure leaves the cards where they were.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.commands.spec import Options
from bot.errors import InvalidOption
from bot.markup import bold, code
from bot.practice import plans
from bot.practice.engine import member_zone
from bot.replies import Field, Reply
from bot.requests import Request
from bot.services import Services
from bot.store import members as member_store
from bot.store import reviews as plan_store
from bot.store.reviews import ReviewPlan
from bot.words import plural

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_QUIET = re.compile(r"^(\d{1,2})\s*-\s*(\d{1,2})$")


def _day(name: str, text: str) -> dt.date:
    example = f"`{name}:2026-12-24`"
    if not _ISO_DAY.match(text.strip()):
        raise InvalidOption(f"{code(text[:20])} is not a date.", f"Write it as `{name}:YYYY-MM-DD`, like {example}.")
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidOption(f"{code(text[:20])} is not a real day.", "Check the month and day.") from None


def _quiet(text: str) -> tuple[int, int]:
    match = _QUIET.match(text.strip())
    hours = (int(match.group(1)), int(match.group(2))) if match else None
    if hours is None or not all(0 <= h <= 23 for h in hours):
        raise InvalidOption(
            f"{code(text[:20])} is not a quiet window.",
            "Give two hours of the day, from and to, like `quiet:22-7` (no DM from 22:00 to 07:00).",
        )
    return hours


def plan_reply(plan: ReviewPlan, *, changed: bool, today: dt.date) -> Reply:
    start, end = plan.quiet
    fields = [
        Field("Daily cap", f"{plan.cap} reviews", True),
        Field("DM when reviews are due", code("on" if plan.due_dm else "off"), True),
        Field("Quiet hours", f"{start:02d}:00 to {end:02d}:00", True),
    ]
    if plan.break_to is not None and plan.break_to >= today and plan.break_from is not None:
        fields.append(Field("Break", f"{plan.break_from:%a %d %b} to {plan.break_to:%a %d %b}", False))
    lines = [bold("Saved.")] if changed else []
    lines.append(
        "Change them with `/review settings cap:30 dm:on quiet:22-7`; the DM comes at most once a day, "
        "outside your quiet hours, in your timezone (`/profile timezone:`)."
    )
    return Reply(title="Your reviews", text="\n".join(lines), fields=tuple(fields), ephemeral=True)


async def settings(req: Request, opts: Options, svc: Services) -> Reply:
    changes: dict[str, object] = {}
    if "cap" in opts:
        low, high = plans.CAP_BOUNDS
        cap = int(opts["cap"])
        if not low <= cap <= high:
            raise InvalidOption(f"A daily cap of {cap} is out of bounds.", f"Choose {low} to {high} reviews a day.")
        changes["daily_cap"] = cap
    if "dm" in opts:
        value = opts["dm"].strip().casefold()
        if value not in ("on", "off"):
            raise InvalidOption(f"{code('dm')} is `on` or `off`, not {code(opts['dm'][:20])}.", None)
        changes["due_dm"] = value == "on"
    if "quiet" in opts:
        changes["quiet_from"], changes["quiet_to"] = _quiet(opts["quiet"])
    async with svc.engine.begin() as conn:
        member = await member_store.ensure(conn, req.identity, req.at)
        if changes:
            plan = await plan_store.save(conn, member.id, req.at, **changes)
        else:
            plan = await plan_store.get(conn, member.id)
    return plan_reply(plan, changed=bool(changes), today=plans.local_day(req.at, member_zone(member, svc)))


async def take_break(req: Request, opts: Options, svc: Services) -> Reply:
    if "from" not in opts or "to" not in opts:
        raise InvalidOption(
            "A break needs its first and last day.", "Like `/review break from:2026-12-24 to:2027-01-02`."
        )
    start, end = _day("from", opts["from"]), _day("to", opts["to"])
    async with svc.engine.begin() as conn:
        member = await member_store.ensure(conn, req.identity, req.at)
        zone = member_zone(member, svc)
        today = plans.local_day(req.at, zone)
        if end < start:
            raise InvalidOption(f"The break ends on {end:%a %d %b}, before it starts on {start:%a %d %b}.", None)
        if end < today:
            raise InvalidOption(f"{end:%a %d %b} has passed.", "A break ends today or later.")
        if (end - start).days + 1 > plans.MAX_BREAK_DAYS:
            raise InvalidOption(
                f"That break is {(end - start).days + 1} days long.", f"Take at most {plans.MAX_BREAK_DAYS} days."
            )
        plan, waiting = await plans.take_break(conn, member.id, max(start, today), end, req.at, zone)
    back = end + dt.timedelta(days=1)
    days = plans.spread_days(plan)
    return Reply(
        title="Break set",
        text=f"{bold(f'Reviews pause from {max(start, today):%a %d %b} to {end:%a %d %b}')}, and so do review DMs. "
        f"From {back:%a %d %b}, what is due by then ({plural(waiting, 'card')} as things stand) comes back "
        f"spread over {plural(days, 'day')}, oldest first. End it early with `/review resume`.",
        ephemeral=True,
    )


async def resume(req: Request, opts: Options, svc: Services) -> Reply:
    async with svc.engine.begin() as conn:
        member = await member_store.ensure(conn, req.identity, req.at)
        today = plans.local_day(req.at, member_zone(member, svc))
        plan = await plan_store.get(conn, member.id)
        if not plan.on_break(today) and (plan.break_from is None or plan.break_from <= today):
            return Reply(title="No break", text="You are not on a break: `/review` serves what is due.", ephemeral=True)
        if plan.on_break(today):
            await plans.settle(conn, member.id, plan, today, req.at, member_zone(member, svc), early=True)
        else:
            await plan_store.save(conn, member.id, req.at, break_from=None, break_to=None)
    if not plan.on_break(today):
        return Reply(
            title="Break called off",
            text="Your coming break is off: `/review` goes on serving what is due, up to your daily cap.",
            ephemeral=True,
        )
    return Reply(
        title="Break ended",
        text="Reviews are back: `/review` serves what is due, oldest first, up to your daily cap.",
        ephemeral=True,
    )
