"""`/studyadmin group|moderators|settings|audit`: the workspace's configuration, every change audited."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, replace
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands.registry import Registry
from bot.commands.spec import Choice, CommandSpec, GroupSpec, Options, OptionSpec, OptionType, Permission
from bot.errors import InvalidOption, NotFound
from bot.features import admin_group
from bot.features.admin import default_zone, duration_text, parse_duration, resolve_exam
from bot.features.admin_group import audit
from bot.features.choices import EXAM_CODES
from bot.features.profile import resolve_timezone
from bot.markup import bullets, code, esc
from bot.markup import channel as channel_ref
from bot.replies import Field, Reply
from bot.requests import Request
from bot.schedule.texts import countdown
from bot.services import Services
from bot.store import audit as audit_store
from bot.store import moderators as moderator_store
from bot.store import schedules as schedule_store
from bot.store import workspaces as workspace_store
from bot.store.db import reading
from bot.store.workspaces import GroupTarget
from bot.words import plural

MAX_AUDIT = 50
_CLEAR = {"none", "off", "clear", "-"}


# -- group target --------------------------------------------------------------------------------


async def group_target(req: Request, opts: Options, svc: Services) -> Reply:
    exam = resolve_exam(svc, opts["exam"], "so a group can no longer take it and it cannot be a target")
    try:
        day = dt.date.fromisoformat(opts["date"].strip())
    except ValueError:
        raise InvalidOption(
            f"{code(opts['date'][:20])} is not a date.", "Write it as YYYY-MM-DD, like 2027-03-01."
        ) from None
    zone = await default_zone(svc, req)
    today = req.at.astimezone(ZoneInfo(zone)).date()
    if day < today:
        raise InvalidOption(f"{day.isoformat()} is in the past.", "Give the date the group plans to sit the exam.")
    ident = req.identity
    target = GroupTarget(exam.code, day)
    async with svc.engine.begin() as conn:
        channel, why = await _target_channel(conn, req, opts.get("channel"))
        before = await workspace_store.get_target(conn, ident.platform, ident.workspace, channel)
        await workspace_store.put_target(conn, ident.platform, ident.workspace, channel, target, ident.user_id, req.at)
        await audit(conn, req, "group.target", f"channel {channel}", before and asdict(before), asdict(target))
    return Reply(
        title="Group target set",
        text=f"Channel {channel_ref(channel)}{why}: "
        + countdown(exam.code, day, today)
        + "\nEvery prompt there shows the countdown.",
        ephemeral=True,
    )


async def _target_channel(conn: AsyncConnection, req: Request, given: str | None) -> tuple[str, str]:
    """The channel a group target is for, and how it was chosen (shown in the reply).

    A target belongs to the channel where the group's prompts appear, and moderators often set it
    from a moderators' channel: without `channel:`, the one channel with schedules is meant; with
    several, the moderator is asked rather than the target landing silently where the command ran.
    """
    here = req.identity.channel
    if given is not None:
        return given, ""
    found = await schedule_store.in_workspace(conn, req.identity.platform, req.identity.workspace)
    channels = sorted({s.channel for s in found})
    if not channels:
        return here, " (this channel; no schedule posts anywhere yet)"
    if here in channels:
        return here, ""
    if len(channels) == 1:
        return channels[0], " (the channel with the group's schedule)"
    listed = ", ".join(channel_ref(c) for c in channels[:10])
    raise InvalidOption(
        f"Schedules post in several channels ({listed}); which group is this target for?",
        "Add channel:#name, for example `/studyadmin group target exam:SAA-C03 date:2027-03-01 channel:#study`.",
    )


# -- moderators ----------------------------------------------------------------------------------


async def moderators_add(req: Request, opts: Options, svc: Services) -> Reply:
    who = opts["who"]
    ident = req.identity
    async with svc.engine.begin() as conn:
        added = await moderator_store.add_moderator(conn, ident.platform, ident.workspace, who, ident.user_id, req.at)
        if added:
            await audit(conn, req, "moderators.add", who, None, {"moderator": who})
    svc.moderators.forget(ident.platform, ident.workspace)
    text = (
        f"{code(who)} is now a moderator here." if added else f"{code(who)} was already a moderator; nothing changed."
    )
    return Reply(title="Moderators", text=text, ephemeral=True)


async def moderators_remove(req: Request, opts: Options, svc: Services) -> Reply:
    who = opts["who"]
    ident = req.identity
    async with svc.engine.begin() as conn:
        removed = await moderator_store.remove_moderator(conn, ident.platform, ident.workspace, who)
        if removed:
            await audit(conn, req, "moderators.remove", who, {"moderator": who}, None)
    svc.moderators.forget(ident.platform, ident.workspace)
    if not removed:
        raise NotFound(f"{code(who)} is not a configured moderator.", "See `/studyadmin moderators list`.")
    return Reply(
        title="Moderators",
        text=f"{code(who)} is no longer a configured moderator (platform admins stay moderators).",
        ephemeral=True,
    )


async def moderators_list(req: Request, opts: Options, svc: Services) -> Reply:
    async with reading(svc.engine) as conn:
        subjects = await moderator_store.moderator_subjects(conn, req.identity.platform, req.identity.workspace)
    base = {
        "discord": "Members with Manage Server are always moderators.",
        "slack": "Workspace admins and owners are always moderators.",
        "console": "The local user (unless started with --member) is always a moderator.",
    }.get(req.identity.platform, "Platform admins are always moderators.")
    listed = bullets(code(s) for s in subjects) if subjects else "None configured yet."
    return Reply(
        title="Moderators",
        text=f"{base}\n\nConfigured users, roles and user groups:\n{listed}",
        ephemeral=True,
    )


# -- settings ------------------------------------------------------------------------------------


async def settings_command(req: Request, opts: Options, svc: Services) -> Reply:
    ident = req.identity
    async with reading(svc.engine) as conn:
        current = await workspace_store.get_settings(conn, ident.platform, ident.workspace)
    new = current
    if "timezone" in opts:
        new = replace(new, timezone=resolve_timezone(opts["timezone"]))
    if "reveal_after" in opts:
        new = replace(new, reveal_minutes=parse_duration(opts["reveal_after"]))
    if "mention_role" in opts:
        role = opts["mention_role"]
        new = replace(new, mention_role=None if role.casefold() in _CLEAR else role)
    if "group_stats" in opts:
        new = replace(new, group_stats_members=opts["group_stats"] == "members")
    changed = new != current
    if changed:
        async with svc.engine.begin() as conn:
            await workspace_store.put_settings(conn, ident.platform, ident.workspace, new, req.at)
            await audit(conn, req, "settings", "workspace", asdict(current), asdict(new))
    fields = (
        Field("Default timezone", esc(new.timezone or f"{svc.settings.default_timezone} (studybot's default)"), True),
        Field("Reveal after", duration_text(new.reveal_minutes) if new.reveal_minutes else "12h (default)", True),
        Field("Prompts mention", code(new.mention_role) if new.mention_role else "nobody", True),
        Field("Group stats", "members and moderators" if new.group_stats_members else "moderators only", True),
    )
    text = (
        "Saved."
        if changed
        else "Change one with `timezone:`, `reveal_after:`, `mention_role:` (`none` clears it) or `group_stats:`."
    )
    return Reply(title="Workspace settings", text=text, fields=fields, ephemeral=True)


# -- audit ---------------------------------------------------------------------------------------


def _shown(value: object, key: str = "") -> str:
    """A stored setting as a moderator reads it: yes/no for switches, "none" for nothing, #name for a
    channel."""
    if key == "channel" and isinstance(value, str) and value:
        return f"#{value}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "none" if value is None or value == "" else str(value)


def _pairs(data: dict[str, object]) -> str:
    return ", ".join(f"{k.replace('_', ' ')}: {_shown(v, k)}" for k, v in data.items() if v is not None) or "nothing"


def _change(before: str | None, after: str | None) -> str:
    """What a change did, in words: the settings that changed (old → new) when both sides are settings,
    what was added or removed when one side is empty, else both sides."""
    old = json.loads(before) if before is not None else None
    new = json.loads(after) if after is not None else None
    if isinstance(old, dict) and isinstance(new, dict):
        changed = [
            f"{k.replace('_', ' ')}: {_shown(old.get(k), k)} → {_shown(new.get(k), k)}"
            for k in dict.fromkeys([*old, *new])
            if old.get(k) != new.get(k)
        ]
        return "; ".join(changed) or "no change"
    if old is None and isinstance(new, dict):
        return _pairs(new)
    if new is None and isinstance(old, dict):
        return f"was {_pairs(old)}"
    return (
        f"before {_shown(old) if old is not None else 'nothing'}; after {_shown(new) if new is not None else 'nothing'}"
    )


async def audit_command(req: Request, opts: Options, svc: Services) -> Reply:
    limit = int(opts.get("limit", 10))
    async with reading(svc.engine) as conn:
        entries = await audit_store.audit_entries(conn, req.identity.platform, req.identity.workspace, limit)
    if not entries:
        return Reply(title="Audit log", text="No configuration changes yet.", ephemeral=True)
    lines = [
        f"{e.at:%Y-%m-%d %H:%M} UTC · {esc(e.actor_name)} · {code(e.action)} {esc(e.target)}: "
        f"{esc(_change(e.before, e.after))}"
        for e in entries
    ]
    return Reply(
        title="Audit log",
        text=(
            f"The last {plural(len(entries), 'change')}, newest first:\n" if len(entries) > 1 else "The last change:\n"
        )
        + bullets(lines),
        ephemeral=True,
    )


# -- declarations --------------------------------------------------------------------------------


def register(registry: Registry) -> None:
    admin_group.register(registry)
    mod = Permission.MODERATOR
    registry.group(GroupSpec(("studyadmin", "group"), "This channel's study group", mod))
    registry.command(
        CommandSpec(
            ("studyadmin", "group", "target"),
            "Set the group's target exam and date (a countdown in each prompt)",
            group_target,
            permission=mod,
            options=(
                OptionSpec(
                    "exam", OptionType.STRING, "Exam code, like SAA-C03", required=True, choices_source=EXAM_CODES
                ),
                OptionSpec("date", OptionType.STRING, "Exam date, YYYY-MM-DD", required=True, max_length=10),
                OptionSpec("channel", OptionType.CHANNEL, "The group's channel (default: this one)"),
            ),
            examples=("/studyadmin group target exam:SAA-C03 date:2027-03-01 channel:#study",),
        )
    )
    registry.group(GroupSpec(("studyadmin", "moderators"), "Who may use /studyadmin besides platform admins", mod))
    who = OptionSpec("who", OptionType.MENTIONABLE, "A member, or a role / user group", required=True)
    for name, handler, description in (
        ("add", moderators_add, "Make a member, role or user group moderators"),
        ("list", moderators_list, "Who counts as a moderator here"),
        ("remove", moderators_remove, "Remove a configured moderator"),
    ):
        registry.command(
            CommandSpec(
                ("studyadmin", "moderators", name),
                description,
                handler,
                permission=mod,
                options=() if name == "list" else (who,),
                examples=(f"/studyadmin moderators {name}" + ("" if name == "list" else " who:@ada"),),
            )
        )
    registry.command(
        CommandSpec(
            ("studyadmin", "settings"),
            "Workspace defaults: timezone, reveal window, role to mention, who sees group stats",
            settings_command,
            permission=mod,
            options=(
                OptionSpec("timezone", OptionType.STRING, "Default IANA timezone for schedules", max_length=64),
                OptionSpec("reveal_after", OptionType.STRING, "Default time until the reveal, like 12h", max_length=20),
                OptionSpec("mention_role", OptionType.MENTIONABLE, "Role or user group prompts mention (none clears)"),
                OptionSpec(
                    "group_stats",
                    OptionType.STRING,
                    "Who may see /stats channel: (moderators by default)",
                    choices=(Choice("moderators", "moderators"), Choice("members", "members")),
                ),
            ),
            examples=(
                "/studyadmin settings",
                "/studyadmin settings timezone:Europe/Berlin reveal_after:8h",
                "/studyadmin settings group_stats:members",
            ),
        )
    )
    registry.command(
        CommandSpec(
            ("studyadmin", "audit"),
            "Every configuration change: who, when, before and after",
            audit_command,
            permission=mod,
            options=(
                OptionSpec(
                    "limit", OptionType.INTEGER, "How many changes (default 10)", min_value=1, max_value=MAX_AUDIT
                ),
            ),
            examples=("/studyadmin audit", "/studyadmin audit limit:5"),
        )
    )
