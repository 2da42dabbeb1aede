"""`/studyadmin digest …`: moderators set up the weekly digest of a channel, and members try its question.

A digest is a schedule of kind `digest` (see `bot.schedule.digest`): every reply shows its next three
runs in its own timezone, like prompt schedules, and every change is audited in the same transaction.
One digest a channel: a second would only lose its claim to the first every week. An edit, a pause and
a resume are written by the prompt schedules' own functions (`bot.features.admin`), so both kinds keep
one rule for what a new time or a resume owes: nothing that was missed, only the next run.

A channel's digest is claimed once a week (the claim names the channel and the week), so a run in a week
whose digest is out already does not post, whatever edit moved it there; the runs shown leave it out.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.actions import ActionId
from bot.commands.registry import Registry
from bot.commands.spec import ActionSpec, Choice, CommandSpec, GroupSpec, Options, OptionSpec, OptionType, Permission
from bot.errors import InvalidOption, NotFound
from bot.features.admin import changes_nothing, check_channel, default_zone, save_edit, set_paused, set_resumed
from bot.features.admin_group import audit
from bot.features.profile import resolve_timezone
from bot.markup import bold, bullets, code, esc
from bot.markup import channel as channel_ref
from bot.practice.engine import place_of, pressed_question, question_reply, serve
from bot.replies import Field, Reply
from bot.requests import Action, Request
from bot.schedule import cron as crons
from bot.schedule.digest import TRY, digest_key, digest_reply, week_digest
from bot.services import Services
from bot.store import deliveries as outbox
from bot.store import members as member_store
from bot.store import schedules as store
from bot.store.db import reading
from bot.store.deliveries import Delivery
from bot.store.schedules import Schedule
from bot.words import plural

GROUP = ("studyadmin", "digest")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_time(text: str) -> tuple[int, int]:
    """`9:00`, `18:30` → (hour, minute) on a 24-hour clock."""
    match = _TIME.match(text.strip())
    if match is None:
        raise InvalidOption(f"{code(text[:20])} is not a time.", "Write it as HH:MM on a 24-hour clock, like `09:00`.")
    return int(match.group(1)), int(match.group(2))


def digest_cron(day: str, hour: int, minute: int) -> str:
    return f"{minute} {hour} * * {day[:3]}"


def timing(schedule: Schedule) -> tuple[str, int, int]:
    """A digest's day (one of DAYS), hour and minute, read back from its cron (see `digest_cron`)."""
    minute, hour, _d, _m, day = schedule.cron.split()
    return next(d for d in DAYS if d.startswith(day)), int(hour), int(minute)


HELD = {"posted": "went out", "claimed": "is going out", "failed": "could not be posted", "skipped": "was missed"}


@dataclass(frozen=True, slots=True)
class Upcoming:
    """A digest's next runs that will post, and a run left out because its week has had its digest."""

    runs: tuple[dt.datetime, ...]
    left_out: dt.datetime | None = None
    held: Delivery | None = None  # the claim of that run's week


async def upcoming(svc: Services, schedule: Schedule, now: dt.datetime, count: int = 3) -> Upcoming:
    """The next `count` runs of `schedule` that will post.

    A run in a week already claimed (its digest posted, being posted, or recorded as missed; by this
    digest at its old time, or by one since removed) would lose its claim to that week's: it is left
    out and said, so a moderator is never shown a run that will not come. Claims are of past runs, so
    only the first run can be one."""
    trigger = crons.make_trigger(schedule.cron, schedule.timezone)
    runs = crons.next_runs(trigger, now, count + 1)
    keys = [digest_key(schedule.platform, schedule.workspace, schedule.channel, r, schedule.timezone) for r in runs]
    async with reading(svc.engine) as conn:
        taken = await outbox.by_keys(conn, keys)
    kept = tuple(r for r, k in zip(runs, keys, strict=True) if k not in taken)[:count]
    for run, key in zip(runs, keys, strict=True):
        if key in taken:
            return Upcoming(kept, run, taken[key])
    return Upcoming(kept)


def describe(schedule: Schedule, coming: Upcoming) -> Field:
    day, hour, minute = timing(schedule)
    zone = schedule.timezone
    lines = [
        f"Channel {channel_ref(schedule.channel)}",
        f"When every {day.capitalize()} at {hour:02d}:{minute:02d} in {esc(zone)}",
    ]
    if schedule.paused:
        reason = f": {esc(schedule.pause_reason)}" if schedule.pause_reason else " by a moderator"
        lines.append(bold("Paused") + reason)
    if coming.left_out is not None and coming.held is not None:
        lines.append(
            f"This week's digest (due {esc(crons.format_local(coming.held.due_at, zone))}) "
            f"{HELD.get(coming.held.state, coming.held.state)}: one a week, so "
            f"{esc(crons.format_local(coming.left_out, zone))} does not post."
        )
    lines.append("Would next run:" if schedule.paused else "Next runs:")
    lines.append(bullets(esc(crons.format_local(r, zone)) for r in coming.runs))
    return Field("Weekly digest", "\n".join(lines))


async def shown(svc: Services, title: str, text: str, schedule: Schedule, now: dt.datetime) -> Reply:
    """A reply about one digest, with its next runs."""
    return Reply(
        title=title, text=text, fields=(describe(schedule, await upcoming(svc, schedule, now)),), ephemeral=True
    )


async def owned(svc: Services, req: Request, channel: str) -> Schedule:
    """The digest of `channel` here: one a channel, so the channel names it."""
    async with reading(svc.engine) as conn:
        found = await store.in_workspace(conn, req.identity.platform, req.identity.workspace, "digest")
    mine = next((s for s in found if s.channel == channel), None)
    if mine is None:
        raise NotFound(
            f"{channel_ref(channel)} has no weekly digest.", "See `/studyadmin digest list` for the channels with one."
        )
    return mine


async def add(req: Request, opts: Options, svc: Services) -> Reply:
    day = opts["day"]  # one of DAYS: the option's choices are checked before the handler runs
    hour, minute = parse_time(opts["time"])
    zone = resolve_timezone(opts["timezone"]) if "timezone" in opts else await default_zone(svc, req)
    channel = opts["channel"]
    ident = req.identity
    async with reading(svc.engine) as conn:
        existing = [s for s in await store.in_workspace(conn, ident.platform, ident.workspace, "digest")]
    if any(s.channel == channel for s in existing):
        raise InvalidOption(
            f"{channel_ref(channel)} already has a weekly digest.",
            "To change its day, time or timezone, use `/studyadmin digest edit`.",
        )
    await check_channel(svc, req, channel)
    async with svc.engine.begin() as conn:
        schedule = await store.create(
            conn,
            req.at,
            platform=ident.platform,
            workspace=ident.workspace,
            channel=channel,
            exam="",
            cron=digest_cron(day, hour, minute),
            timezone=zone,
            reveal_minutes=0,
            domain=None,
            difficulty=None,
            created_by=ident.user_id,
            kind="digest",
        )
        await audit(conn, req, "digest.add", f"digest #{schedule.id}", None, schedule.public())
    await svc.schedule.changed()
    return await shown(
        svc, "Digest added", f"The group's week will appear in {channel_ref(channel)} once a week.", schedule, req.at
    )


async def list_(req: Request, opts: Options, svc: Services) -> Reply:
    async with reading(svc.engine) as conn:
        found = await store.in_workspace(conn, req.identity.platform, req.identity.workspace, "digest")
    if not found:
        return Reply(
            title="Digests",
            text="No weekly digest yet. Add one with "
            "`/studyadmin digest add channel:#study day:monday time:09:00 timezone:Europe/Berlin`.",
            ephemeral=True,
        )
    fields = tuple([describe(s, await upcoming(svc, s, req.at)) for s in found[:25]])
    more = f"\n{len(found) - 25} more not shown." if len(found) > 25 else ""
    return Reply(title="Digests", text=f"{plural(len(found), 'digest')} here.{more}", fields=fields, ephemeral=True)


async def remove(req: Request, opts: Options, svc: Services) -> Reply:
    current = await owned(svc, req, opts["channel"])
    async with svc.engine.begin() as conn:
        await store.remove(conn, current.id)
        await audit(conn, req, "digest.remove", f"digest #{current.id}", current.public(), None)
    await svc.schedule.changed()
    was = describe(current, await upcoming(svc, current, req.at))
    return Reply(
        title="Digest removed",
        text="It will not post again.",
        fields=(Field(was.name + " (removed)", was.value.replace("Next runs:", "Would have run:")),),
        ephemeral=True,
    )


async def edit(req: Request, opts: Options, svc: Services) -> Reply:
    """Change only what is given of a digest's day, time and timezone; the reply shows its next runs."""
    current = await owned(svc, req, opts["channel"])
    if not any(name in opts for name in ("day", "time", "timezone")):
        raise InvalidOption(
            "Say what to change: `day:`, `time:` or `timezone:`.",
            "For example `/studyadmin digest edit channel:#study time:18:00` or `day:friday`.",
        )
    day, hour, minute = timing(current)
    day = opts.get("day", day)  # one of DAYS: the option's choices are checked before the handler runs
    if "time" in opts:
        hour, minute = parse_time(opts["time"])
    zone = resolve_timezone(opts["timezone"]) if "timezone" in opts else current.timezone
    values = {"cron": digest_cron(day, hour, minute), "timezone": zone}
    if changes_nothing(current, values):
        return await shown(
            svc, "Nothing changed", "That is the digest's day, time and timezone already.", current, req.at
        )
    schedule = await save_edit(svc, req, current, values)
    return await shown(
        svc,
        "Digest changed",
        "Saved. The new time counts from now: a run of it that has passed already is not made up.",
        schedule,
        req.at,
    )


async def pause(req: Request, opts: Options, svc: Services) -> Reply:
    current = await owned(svc, req, opts["channel"])
    if current.paused:
        return await shown(
            svc, "Already paused", "Nothing changed. `/studyadmin digest resume` starts it again.", current, req.at
        )
    schedule = await set_paused(svc, req, current)
    return await shown(svc, "Digest paused", "No digest until you resume it.", schedule, req.at)


async def resume(req: Request, opts: Options, svc: Services) -> Reply:
    current = await owned(svc, req, opts["channel"])
    if not current.paused:
        return await shown(svc, "Not paused", "Nothing changed: it posts at its next run.", current, req.at)
    schedule = await set_resumed(svc, req, current)
    return await shown(
        svc,
        "Digest resumed",
        "It posts again from its next run, which covers every answer since the last digest (up to eight "
        "weeks back), the paused weeks included; the runs it missed are not posted one by one.",
        schedule,
        req.at,
    )


async def preview(req: Request, opts: Options, svc: Services) -> Reply:
    """The digest as it would read now (from the last digest, or a week back, up to this moment), shown
    to the moderator alone; nothing is posted or claimed, so the week's own digest still goes out at its
    time."""
    current = await owned(svc, req, opts["channel"])
    async with reading(svc.engine) as conn:
        digest = await week_digest(
            conn, svc, current.platform, current.workspace, current.channel, req.at, current.timezone
        )
    digested = digest_reply(digest)
    return Reply(
        title=f"Preview: {digested.title}",
        text=digested.text,
        fields=(*digested.fields, describe(current, await upcoming(svc, current, req.at))),
        buttons=digested.buttons,
        ephemeral=True,
    )


async def try_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    """The digest's most-missed question, served to the member who pressed, privately, as `/practice`
    would serve it: the answer is recorded and graded like any other practice answer."""
    code_, question = aid.field(0), await pressed_question(svc, action.identity, aid.field(1))
    async with reading(svc.engine) as conn:
        pool = await svc.questions.pool(conn, place_of(action.identity), code_)
    exam = svc.catalog.exam(code_)
    if exam is None or all(q.id != question.id for q in pool):
        raise NotFound("That question is not in the bank any more.", "Run `/practice` for a fresh one.")
    async with svc.engine.begin() as conn:
        member = await member_store.ensure(conn, action.identity, action.at)
        served = await serve(conn, svc, action.identity, member.id, exam, question, "practice", action.at)
    return question_reply(served, heading=f"{exam.code} · {question.domain}")


def _timing(*, required: bool) -> tuple[OptionSpec, ...]:
    """`day`, `time` and `timezone`: all but the zone required to add a digest, none to edit one."""
    return (
        OptionSpec(
            "day",
            OptionType.STRING,
            "Day of the week",
            required=required,
            choices=tuple(Choice(d, d, aliases=(d[:3],)) for d in DAYS),
        ),
        OptionSpec("time", OptionType.STRING, "Time of day, HH:MM on a 24-hour clock", required=required, max_length=5),
        OptionSpec("timezone", OptionType.STRING, "IANA timezone, like Europe/Berlin", max_length=64),
    )


def register(registry: Registry) -> None:
    mod = Permission.MODERATOR
    registry.group(GroupSpec(GROUP, "The group's week in one message, once a week", mod))
    registry.command(
        CommandSpec(
            (*GROUP, "add"),
            "Post the group's week in a channel every week",
            add,
            options=(
                OptionSpec("channel", OptionType.CHANNEL, "Where the digest appears", required=True),
                *_timing(required=True),
            ),
            permission=mod,
            examples=("/studyadmin digest add channel:#study day:monday time:09:00 timezone:Europe/Berlin",),
        )
    )
    registry.command(
        CommandSpec(
            (*GROUP, "list"),
            "Every weekly digest here, with its next runs",
            list_,
            permission=mod,
            examples=("/studyadmin digest list",),
        )
    )
    where = OptionSpec("channel", OptionType.CHANNEL, "The channel whose digest it is", required=True)
    registry.command(
        CommandSpec(
            (*GROUP, "edit"),
            "Change a channel's digest day, time or timezone",
            edit,
            options=(where, *_timing(required=False)),
            permission=mod,
            examples=(
                "/studyadmin digest edit channel:#study time:18:00",
                "/studyadmin digest edit channel:#study day:friday timezone:America/New_York",
            ),
        )
    )
    for name, handler, description in (
        ("preview", preview, "Show what a channel's digest would post now, to you alone"),
        ("pause", pause, "Stop a channel's digest for now"),
        ("resume", resume, "Start a paused digest again, from its next run"),
        ("remove", remove, "Delete a channel's weekly digest"),
    ):
        registry.command(
            CommandSpec(
                (*GROUP, name),
                description,
                handler,
                options=(where,),
                permission=mod,
                examples=(f"/studyadmin digest {name} channel:#study",),
            )
        )
    registry.action(ActionSpec(TRY, try_pressed))
