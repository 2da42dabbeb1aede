"""`/studyadmin schedule …`: moderators set up the channel's scheduled practice prompts.

Every reply that shows a schedule shows its next three run times in the schedule's own timezone, so a
moderator sees at once whether `1-5` meant what they thought. Every change is validated in full before
anything is written, and written together with its audit entry in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.catalog.exams import domain_or_error, find_exam
from bot.catalog.models import Exam
from bot.catalog.questions import Place
from bot.commands.registry import Registry
from bot.commands.spec import Choice, CommandSpec, GroupSpec, Options, OptionSpec, OptionType, Permission
from bot.errors import InvalidOption, NotFound, UserError
from bot.features import admin_group
from bot.features.admin_group import audit
from bot.features.choices import EXAM_CODES
from bot.features.profile import resolve_timezone
from bot.markup import bold, bullets, code, esc
from bot.markup import channel as channel_ref
from bot.replies import Field, Reply
from bot.requests import Request
from bot.schedule import cron as crons
from bot.schedule import focus as focuses
from bot.schedule.prompts import build_prompt
from bot.services import Services
from bot.store import schedules as store
from bot.store import workspaces as workspace_store
from bot.store.db import reading
from bot.store.schedules import Schedule
from bot.words import plural

GROUP = ("studyadmin", "schedule")
DIFFICULTIES = (Choice("easy", "easy"), Choice("medium", "medium"), Choice("hard", "hard"))
DEFAULT_REVEAL_MINUTES = 12 * 60
_DURATION = re.compile(r"^(?:(\d+)w)?\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m(?:in)?)?$")


class CannotPost(UserError):
    pass


# -- validation ----------------------------------------------------------------------------------


def parse_duration(
    text: str,
    *,
    what: str = "reveal_after",
    bounds: tuple[int, int] = (5, 7 * 1440),
    examples: str = "`12h`, `90m`, `1d` or `1h30m`",
) -> int:
    """`12h`, `90m`, `1d`, `1h30m`, `1w3d` → minutes, within `bounds` (by default 5 minutes to 7 days)."""
    match = _DURATION.match(text.strip().casefold())
    if not text.strip() or match is None or not any(match.groups()):
        raise InvalidOption(f"{code(what)} can't be {code(text[:20])}.", f"Write it like {examples}.")
    weeks, days, hours, minutes = (int(g or 0) for g in match.groups())
    total = weeks * 7 * 1440 + days * 1440 + hours * 60 + minutes
    low, high = bounds
    if not low <= total <= high:
        raise InvalidOption(
            f"{code(what)} must be between {duration_words(low)} and {duration_words(high)}.",
            f"{code(text[:20])} is {duration_words(total)}." if total < 10**7 else None,
        )
    return total


def duration_words(minutes: int) -> str:
    """5 → "5 minutes", 10080 → "7 days", 90 → "1 hour 30 minutes"."""
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [
        plural(days, "day") if days else "",
        plural(hours, "hour") if hours else "",
        plural(mins, "minute") if mins else "",
    ]
    return " ".join(p for p in parts if p) or "0 minutes"


def duration_text(minutes: int) -> str:
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m" if mins else ""]
    return "".join(parts) or "0m"


def resolve_exam(svc: Services, text: str, purpose: str = "so no prompts can be scheduled for it") -> Exam:
    """A current exam for prompts, or for what else `purpose` says (see `bot.catalog.exams.find_exam`)."""
    return find_exam(svc.ask.resolver, text, purpose=purpose)


async def check_channel(svc: Services, req: Request, channel: str) -> None:
    """Ask the platform whether the bot can post there, when its poster can tell (Discord, Slack)."""
    poster = svc.posters.get(req.identity.platform)
    checker = getattr(poster, "check_channel", None)
    if checker is None:
        return
    result = await checker(req.identity.workspace, channel)
    if not result.ok:
        raise CannotPost(
            f"I can't post in {channel_ref(channel)}: {esc(result.detail or result.outcome.value)}.",
            "Invite the bot to that channel and give it permission to send messages, then try again.",
        )


async def validate(svc: Services, req: Request, values: dict[str, Any]) -> None:
    """Check a whole schedule configuration; raises a UserError and writes nothing when it can't work."""
    trigger = crons.make_trigger(values["cron"], values["timezone"])
    crons.check_gap(trigger, req.at)
    exam = resolve_exam(svc, values["exam"])
    async with reading(svc.engine) as conn:
        questions = await svc.questions.pool(conn, Place(req.identity.platform, req.identity.workspace), exam.code)
    if values.get("domain"):
        domain = domain_or_error(exam, values["domain"])
        questions = [q for q in questions if q.domain.casefold() == domain.name.casefold()]
    if values.get("difficulty"):
        questions = [q for q in questions if q.difficulty == values["difficulty"]]
    if not questions:
        raise NotFound(
            f"There are no {exam.code} questions matching that domain and difficulty.",
            "Leave out `domain` or `difficulty`, or import questions with `/studyadmin bank import`.",
        )
    await check_channel(svc, req, values["channel"])


OVERLAP_HORIZON = crons.LEAP_CYCLE  # how far ahead two schedules' runs are compared: 29 February included
OVERLAP_RUNS = 2000  # at most this many runs of each (weekdays at one time: 1,044 in four years)


async def refuse_a_copy(
    conn: AsyncConnection, req: Request, values: dict[str, Any], *, ignore: int | None = None, verb: str = "added"
) -> None:
    """Refuse a schedule that would post what another one already posts: the same exam, domain and
    difficulty in the same channel at any same instant in the next four years (`0 9 * * 0` beside
    `0 9 * * 1-5,0` doubles Sunday's prompt; `UTC` and `Etc/UTC` are the same), since two prompts at
    once double what the group is asked. `ignore` is the schedule being edited."""
    until = req.at + OVERLAP_HORIZON
    mine: list[dt.datetime] | None = None  # worked out only when some schedule posts the same prompts
    for other in await store.in_workspace(conn, req.identity.platform, req.identity.workspace):
        same_posts = (other.channel, other.exam, other.domain or None, other.difficulty or None) == (
            values["channel"],
            values["exam"],
            values.get("domain") or None,
            values.get("difficulty") or None,
        )
        if other.id == ignore or other.kind == "digest" or not same_posts:
            continue
        if mine is None:
            mine = crons.occurrences(
                crons.make_trigger(values["cron"], values["timezone"]), req.at, until, OVERLAP_RUNS
            )
        theirs = crons.occurrences(crons.make_trigger(other.cron, other.timezone), req.at, until, OVERLAP_RUNS)
        shared = sorted(set(mine) & set(theirs))
        if not shared:
            continue
        paused = " (paused: resume it instead)" if other.paused else ""
        when = (
            "at these times"
            if shared == mine == theirs
            else f"at {plural(len(shared), 'run')} of this one in the next four years, the first "
            f"{crons.format_local(shared[0], values['timezone'])}"
        )
        raise InvalidOption(
            f"Schedule #{other.id}{paused} already posts {values['exam']} prompts in "
            f"{channel_ref(values['channel'])} {when}; a second one would double those prompts.",
            "Pick times that do not meet, another channel, or change that schedule with "
            f"`/studyadmin schedule edit`; nothing was {verb}.",
        )


async def default_zone(svc: Services, req: Request) -> str:
    async with reading(svc.engine) as conn:
        settings = await workspace_store.get_settings(conn, req.identity.platform, req.identity.workspace)
    return settings.timezone or svc.settings.default_timezone


async def default_reveal(svc: Services, req: Request) -> int:
    async with reading(svc.engine) as conn:
        settings = await workspace_store.get_settings(conn, req.identity.platform, req.identity.workspace)
    return settings.reveal_minutes or DEFAULT_REVEAL_MINUTES


# -- showing -------------------------------------------------------------------------------------


def describe(schedule: Schedule, now: dt.datetime) -> Field:
    trigger = crons.make_trigger(schedule.cron, schedule.timezone)
    runs = crons.next_runs(trigger, now, 3)
    what = f"{code(schedule.exam)}" + (
        f", domain {esc(schedule.domain)}" if schedule.domain else f", {focuses.words(schedule.focus, None)}"
    )
    what += f", {schedule.difficulty}" if schedule.difficulty else ""
    lines = [
        f"Channel {channel_ref(schedule.channel)} · {what}",
        f"When {code(schedule.cron)} in {esc(schedule.timezone)}"
        f" · reveal after {duration_text(schedule.reveal_minutes)}",
    ]
    if schedule.paused:
        reason = f": {esc(schedule.pause_reason)}" if schedule.pause_reason else " by a moderator"
        lines.append(bold("Paused") + reason)
        lines.append("Would next run:")
    else:
        lines.append("Next runs:")
    lines.append(bullets(esc(crons.format_local(r, schedule.timezone)) for r in runs))
    return Field(f"Schedule #{schedule.id}", "\n".join(lines))


def shown(title: str, text: str, schedule: Schedule, now: dt.datetime) -> Reply:
    return Reply(title=title, text=text, fields=(describe(schedule, now),), ephemeral=True)


async def owned(svc: Services, req: Request, schedule_id: int) -> Schedule:
    async with reading(svc.engine) as conn:
        found = await store.get(conn, schedule_id)
    if (
        found is None
        or found.kind != "prompt"  # a weekly digest is managed with `/studyadmin digest`
        or (found.platform, found.workspace) != (req.identity.platform, req.identity.workspace)
    ):
        raise NotFound(f"There is no schedule #{schedule_id} here.", "See `/studyadmin schedule list` for the ids.")
    return found


async def _changed(svc: Services) -> None:
    await svc.schedule.changed()


# -- handlers ------------------------------------------------------------------------------------


def aim(exam: Exam, opts: Options) -> dict[str, Any]:
    """`focus:` as the schedule's columns: a mode, or one domain (kept where `domain:` keeps it).

    Raises:
        InvalidOption: an unknown focus (the reply lists the choices), or both `focus` and `domain`.
    """
    if "domain" in opts:
        raise InvalidOption(
            "Give `focus` or `domain`, not both.",
            "`focus:weakest`, `focus:weighted`, `focus:even`, or `focus:` with a domain replaces `domain`.",
        )
    mode, domain = focuses.resolve(exam, opts["focus"])
    return {"focus": mode, "domain": domain.name if domain else None}


async def add(req: Request, opts: Options, svc: Services) -> Reply:
    zone = resolve_timezone(opts["timezone"]) if "timezone" in opts else await default_zone(svc, req)
    exam = resolve_exam(svc, opts["exam"])
    values: dict[str, Any] = {
        "channel": opts["channel"],
        "exam": exam.code,
        "cron": crons.resolve(opts.get("cron"), opts.get("preset")),
        "timezone": zone,
        "reveal_minutes": parse_duration(opts["reveal_after"])
        if "reveal_after" in opts
        else await default_reveal(svc, req),
        "domain": opts.get("domain"),
        "difficulty": opts.get("difficulty"),
        "focus": focuses.DEFAULT,
    }
    if "focus" in opts:
        values.update(aim(exam, opts))
    await validate(svc, req, values)
    async with svc.engine.begin() as conn:
        await refuse_a_copy(conn, req, values)
        schedule = await store.create(
            conn,
            req.at,
            platform=req.identity.platform,
            workspace=req.identity.workspace,
            created_by=req.identity.user_id,
            **values,
        )
        await audit(conn, req, "schedule.add", f"schedule #{schedule.id}", None, schedule.public())
    await _changed(svc)
    return shown("Schedule added", f"Prompts will appear in {channel_ref(schedule.channel)}.", schedule, req.at)


async def list_(req: Request, opts: Options, svc: Services) -> Reply:
    async with reading(svc.engine) as conn:
        found = await store.in_workspace(conn, req.identity.platform, req.identity.workspace)
    if not found:
        return Reply(
            title="Schedules",
            text="No schedules yet. Add one with "
            "`/studyadmin schedule add channel:#study exam:SAA-C03 preset:weekdays-9am timezone:Europe/Berlin`.",
            ephemeral=True,
        )
    fields = tuple(describe(s, req.at) for s in found[:25])
    more = f"\n{len(found) - 25} more not shown." if len(found) > 25 else ""
    return Reply(title="Schedules", text=f"{plural(len(found), 'schedule')} here.{more}", fields=fields, ephemeral=True)


async def edit(req: Request, opts: Options, svc: Services) -> Reply:
    current = await owned(svc, req, opts["id"])
    changes = {k: v for k, v in opts.items() if k != "id"}
    if not changes:
        raise InvalidOption("Say what to change, for example `reveal_after:6h` or `preset:daily-9am`.", None)
    values: dict[str, Any] = {
        "channel": changes.get("channel", current.channel),
        "exam": resolve_exam(svc, changes["exam"]).code if "exam" in changes else current.exam,
        "cron": crons.resolve(changes.get("cron"), changes.get("preset"))
        if ("cron" in changes or "preset" in changes)
        else current.cron,
        "timezone": resolve_timezone(changes["timezone"]) if "timezone" in changes else current.timezone,
        "reveal_minutes": parse_duration(changes["reveal_after"])
        if "reveal_after" in changes
        else current.reveal_minutes,
        "domain": current.domain,
        "difficulty": current.difficulty,
    }
    for name in ("domain", "difficulty"):
        if name in changes:
            values[name] = None if changes[name].casefold() in ("none", "any", "all") else changes[name]
    if "focus" in changes:
        values.update(aim(resolve_exam(svc, values["exam"]), changes))
    await validate(svc, req, values)
    if changes_nothing(current, values):
        return shown("Nothing to change", "The schedule already reads like that; nothing changed.", current, req.at)
    async with reading(svc.engine) as conn:
        await refuse_a_copy(conn, req, values, ignore=current.id, verb="changed")
    schedule = await save_edit(svc, req, current, values)
    return shown("Schedule changed", "Saved.", schedule, req.at)


async def pause(req: Request, opts: Options, svc: Services) -> Reply:
    current = await owned(svc, req, opts["id"])
    if current.paused:
        return shown("Already paused", "Nothing changed.", current, req.at)
    schedule = await set_paused(svc, req, current)
    return shown("Schedule paused", "No prompts until you resume it.", schedule, req.at)


async def resume(req: Request, opts: Options, svc: Services) -> Reply:
    current = await owned(svc, req, opts["id"])
    if not current.paused:
        return shown("Not paused", "Nothing changed.", current, req.at)
    schedule = await set_resumed(svc, req, current)
    return shown("Schedule resumed", "Prompts continue at the next run.", schedule, req.at)


# -- changes of either kind (a prompt schedule here, a weekly digest in `bot.features.digests`) ----


def audit_name(schedule: Schedule) -> str:
    """What the audit log calls a schedule: `schedule.edit` on `schedule #3`, `digest.pause` on `digest #4`."""
    return "digest" if schedule.kind == "digest" else "schedule"


async def _write(svc: Services, req: Request, current: Schedule, verb: str, **values: Any) -> Schedule:
    """One change of a schedule and its audit entry in one transaction; the scheduler is told after."""
    name = audit_name(current)
    async with svc.engine.begin() as conn:
        schedule = await store.change(conn, current.id, req.at, **values)
        await audit(conn, req, f"{name}.{verb}", f"{name} #{current.id}", current.public(), schedule.public())
    await _changed(svc)
    return schedule


def changes_nothing(current: Schedule, values: dict[str, Any]) -> bool:
    """Whether an edit's values are what the schedule (of either kind) holds already: nothing to write."""
    return all(getattr(current, name) == value for name, value in values.items())


async def save_edit(svc: Services, req: Request, current: Schedule, values: dict[str, Any]) -> Schedule:
    """Write an edit that has been validated. A new time or zone counts from now: runs of the old timing
    that were missed are not owed, and a run of the new one that already passed is not made up."""
    if (values.get("cron", current.cron), values.get("timezone", current.timezone)) != (current.cron, current.timezone):
        values = {**values, "active_from": req.at}
    return await _write(svc, req, current, "edit", **values)


async def set_paused(svc: Services, req: Request, current: Schedule) -> Schedule:
    """Pause a schedule (the caller has checked it is not paused already)."""
    return await _write(svc, req, current, "pause", paused=True, pause_reason=None)


async def set_resumed(svc: Services, req: Request, current: Schedule) -> Schedule:
    """Resume a paused schedule, once the bot can post in its channel. Runs that fell in the pause are
    not owed, so they are neither posted nor reported as skipped: only the next run posts."""
    await check_channel(svc, req, current.channel)
    return await _write(svc, req, current, "resume", paused=False, pause_reason=None, failures=0, active_from=req.at)


async def remove(req: Request, opts: Options, svc: Services) -> Reply:
    current = await owned(svc, req, opts["id"])
    async with svc.engine.begin() as conn:
        await store.remove(conn, current.id)
        await audit(conn, req, "schedule.remove", f"schedule #{current.id}", current.public(), None)
    await _changed(svc)
    reply = shown("Schedule removed", "It will not post again; past prompts still get their reveal.", current, req.at)
    return Reply(
        title=reply.title,
        text=reply.text,
        fields=tuple(
            Field(f.name + " (removed)", f.value.replace("Next runs:", "Would have run:")) for f in reply.fields
        ),
        ephemeral=True,
    )


async def preview(req: Request, opts: Options, svc: Services) -> Reply:
    """Post one prompt of the schedule now, so moderators see exactly what members will see."""
    current = await owned(svc, req, opts["id"])
    if svc.posters.get(current.platform) is None:
        # No way to post from here (a console without a poster): show the prompt as this reply instead.
        job_id, _result = await svc.schedule.preview(current, req.at, post=False)
        prompt = await build_prompt(svc, job_id, req.at)
        return Reply(
            title=prompt.title,
            text=prompt.text,
            buttons=prompt.buttons,
            select=prompt.select,
            footer=prompt.footer,
            fields=(describe(current, req.at),),
        )
    try:
        job_id, result = await svc.schedule.preview(current, req.at)
    except LookupError:
        raise NotFound("No question matches this schedule's exam, domain and difficulty.", None) from None
    if not result.ok:
        raise CannotPost(
            f"I couldn't post in {channel_ref(current.channel)}: {esc(result.detail or result.outcome.value)}.",
            "Check that the bot is in the channel and may send messages.",
        )
    return shown(
        "Preview posted",
        f"A prompt is in {channel_ref(current.channel)} now; its reveal follows as usual.",
        current,
        req.at,
    )


# -- declarations --------------------------------------------------------------------------------

_ID = OptionSpec(
    "id", OptionType.INTEGER, "The schedule's number, from /studyadmin schedule list", required=True, min_value=1
)


def _timing(required_channel: bool) -> tuple[OptionSpec, ...]:
    return (
        OptionSpec("channel", OptionType.CHANNEL, "Where the prompts appear", required=required_channel),
        OptionSpec(
            "exam", OptionType.STRING, "Exam code, like SAA-C03", required=required_channel, choices_source=EXAM_CODES
        ),
        OptionSpec("cron", OptionType.STRING, 'crontab(5) time, like "0 9 * * 1-5" (weekdays at 9:00)', max_length=100),
        OptionSpec(
            "preset",
            OptionType.STRING,
            "A ready-made time instead of cron",
            choices=tuple(Choice(name, name) for name in crons.PRESETS),
        ),
        OptionSpec("timezone", OptionType.STRING, "IANA timezone, like Europe/Berlin", max_length=64),
        OptionSpec("reveal_after", OptionType.STRING, "How long until the answer is revealed, like 12h", max_length=20),
        OptionSpec("domain", OptionType.STRING, "Only questions from this exam domain", max_length=100),
        OptionSpec("difficulty", OptionType.STRING, "Only questions of this difficulty", choices=DIFFICULTIES),
        OptionSpec(
            "focus",
            OptionType.STRING,
            "weakest, weighted (the guide's weights, default), even, or one domain",
            max_length=100,
        ),
    )


def register(registry: Registry) -> None:
    admin_group.register(registry)
    registry.group(GroupSpec(GROUP, "Scheduled practice prompts in a channel", Permission.MODERATOR))
    mod = Permission.MODERATOR
    timing = _timing(True)
    registry.command(
        CommandSpec(
            (*GROUP, "add"),
            "Post a practice question in a channel on a schedule",
            add,
            options=timing,
            permission=mod,
            examples=(
                "/studyadmin schedule add channel:#study exam:SAA-C03 preset:weekdays-9am timezone:Europe/Berlin",
                '/studyadmin schedule add channel:#study exam:CLF-C02 cron:"30 18 * * 1,3" '
                "timezone:America/New_York reveal_after:2h difficulty:easy",
                "/studyadmin schedule add channel:#study exam:SAA-C03 preset:weekdays-9am focus:weakest",
            ),
        )
    )
    registry.command(
        CommandSpec(
            (*GROUP, "list"),
            "Every schedule here, with its next runs",
            list_,
            permission=mod,
            examples=("/studyadmin schedule list",),
        )
    )
    edit_options = (_ID, *(o for o in _timing(False)))
    registry.command(
        CommandSpec(
            (*GROUP, "edit"),
            "Change a schedule's channel, exam, time or reveal",
            edit,
            options=edit_options,
            permission=mod,
            examples=("/studyadmin schedule edit id:1 reveal_after:6h", "/studyadmin schedule edit id:3 focus:even"),
        )
    )
    for name, handler, description in (
        ("pause", pause, "Stop a schedule for now"),
        ("resume", resume, "Start a paused schedule again"),
        ("preview", preview, "Post one prompt of a schedule now"),
        ("remove", remove, "Delete a schedule"),
    ):
        example = f"/studyadmin schedule {name} id:" + ("2" if name == "remove" else "1")
        registry.command(
            CommandSpec((*GROUP, name), description, handler, options=(_ID,), permission=mod, examples=(example,))
        )
