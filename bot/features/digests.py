"""`/studyadmin digest …`: moderators set up the weekly digest of a channel, and members try its question.

A digest is a schedule of kind `digest` (see `bot.schedule.digest`): every reply shows its next three
runs in its own timezone, like prompt schedules, and every change is audited in the same transaction.
One digest a channel: a second would only lose its claim to the first every week.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.actions import ActionId
from bot.commands.registry import Registry
from bot.commands.spec import ActionSpec, Choice, CommandSpec, GroupSpec, Options, OptionSpec, OptionType, Permission
from bot.errors import InvalidOption, NotFound
from bot.features.admin import check_channel, default_zone
from bot.features.admin_group import audit
from bot.features.profile import resolve_timezone
from bot.markup import bold, bullets, code, esc
from bot.markup import channel as channel_ref
from bot.practice.engine import place_of, pressed_question, question_reply, serve
from bot.replies import Field, Reply
from bot.requests import Action, Request
from bot.schedule import cron as crons
from bot.schedule.digest import TRY, digest_reply, week_digest
from bot.services import Services
from bot.store import members as member_store
from bot.store import schedules as store
from bot.store.db import reading
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


def describe(schedule: Schedule, now: dt.datetime) -> Field:
    trigger = crons.make_trigger(schedule.cron, schedule.timezone)
    runs = crons.next_runs(trigger, now, 3)
    minute, hour, _d, _m, day = schedule.cron.split()
    lines = [
        f"Channel {channel_ref(schedule.channel)}",
        f"When every {next(d for d in DAYS if d.startswith(day)).capitalize()} at {int(hour):02d}:{int(minute):02d}"
        f" in {esc(schedule.timezone)}",
    ]
    if schedule.paused:
        reason = f": {esc(schedule.pause_reason)}" if schedule.pause_reason else " by a moderator"
        lines += [bold("Paused") + reason, "Would next run:"]
    else:
        lines.append("Next runs:")
    lines.append(bullets(esc(crons.format_local(r, schedule.timezone)) for r in runs))
    return Field("Weekly digest", "\n".join(lines))


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
            "To change its day or time, remove it with `/studyadmin digest remove` first.",
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
    return Reply(
        title="Digest added",
        text=f"The group's week will appear in {channel_ref(channel)} once a week.",
        fields=(describe(schedule, req.at),),
        ephemeral=True,
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
    fields = tuple(describe(s, req.at) for s in found[:25])
    more = f"\n{len(found) - 25} more not shown." if len(found) > 25 else ""
    return Reply(title="Digests", text=f"{plural(len(found), 'digest')} here.{more}", fields=fields, ephemeral=True)


async def remove(req: Request, opts: Options, svc: Services) -> Reply:
    current = await owned(svc, req, opts["channel"])
    async with svc.engine.begin() as conn:
        await store.remove(conn, current.id)
        await audit(conn, req, "digest.remove", f"digest #{current.id}", current.public(), None)
    await svc.schedule.changed()
    shown = describe(current, req.at)
    return Reply(
        title="Digest removed",
        text="It will not post again.",
        fields=(Field(shown.name + " (removed)", shown.value.replace("Next runs:", "Would have run:")),),
        ephemeral=True,
    )


async def preview(req: Request, opts: Options, svc: Services) -> Reply:
    """The digest as it would read now (the week up to this moment), shown to the moderator alone;
    nothing is posted or claimed, so the week's own digest still goes out at its time."""
    current = await owned(svc, req, opts["channel"])
    async with reading(svc.engine) as conn:
        digest = await week_digest(
            conn, svc, current.platform, current.workspace, current.channel, req.at, current.timezone
        )
    shown = digest_reply(digest)
    return Reply(
        title=f"Preview: {shown.title}",
        text=shown.text,
        fields=(*shown.fields, describe(current, req.at)),
        buttons=shown.buttons,
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
                OptionSpec(
                    "day",
                    OptionType.STRING,
                    "Day of the week",
                    required=True,
                    choices=tuple(Choice(d, d, aliases=(d[:3],)) for d in DAYS),
                ),
                OptionSpec(
                    "time", OptionType.STRING, "Time of day, HH:MM on a 24-hour clock", required=True, max_length=5
                ),
                OptionSpec("timezone", OptionType.STRING, "IANA timezone, like Europe/Berlin", max_length=64),
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
    for name, handler, description in (
        ("preview", preview, "Show what a channel's digest would post now, to you alone"),
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
