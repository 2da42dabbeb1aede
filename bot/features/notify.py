"""`/notify`: what studybot may send a member, and a snooze that silences all of it for a while.

The settings live in `bot.store.notify`; the senders ask `NotifySettings.blocks` before each message
and record what they held back. A snooze is bounded (one hour to twelve weeks) so nobody disappears
for good by a typo, and its end is shown in the member's own timezone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.commands.registry import Registry
from bot.commands.spec import Choice, CommandSpec, Options, OptionSpec, OptionType
from bot.errors import InvalidOption
from bot.features.admin import parse_duration
from bot.markup import bold, code, esc
from bot.practice.texts import local_time
from bot.replies import Field, Reply
from bot.requests import Request
from bot.schedule.ports import LeavesRoles
from bot.services import Services
from bot.store import members as member_store
from bot.store import notify as notify_store
from bot.store import workspaces as workspace_store
from bot.store.db import reading

SNOOZE_BOUNDS = (60, 12 * 7 * 1440)
ON_OFF = (Choice("on", "on"), Choice("off", "off"))
LABELS = {
    "role_ping": ("Role ping of scheduled prompts", "role_ping"),
    "review_dms": ("Review reminders by DM", "review_dms"),
    "expiry_reminders": ("Certification expiry reminders", "expiry_reminders"),
    "digest_mentions": ("Mentions in the weekly digest", "digest_mentions"),
}
WHAT_OFF_MEANS = {
    "role_ping": "Where studybot cannot take you out of the role, prompts still ping the role; you are left out "
    "of every mention studybot renders for you.",
    "review_dms": "",
    "expiry_reminders": "A reminder switched off is not sent later; a snoozed one is sent when the snooze ends "
    "if it is still relevant.",
    "digest_mentions": "The weekly digest never pings anyone: it shows the week's best by name, as plain text, "
    "so it does not ping you whether this is on or off.",
}


def parse_snooze(text: str, now: dt.datetime) -> dt.datetime | None:
    """`off` → None (no snooze); `7d`, `2w`, `1w3d`, `12h` → when the snooze ends."""
    if text.strip().casefold() in ("off", "none", "0"):
        return None
    minutes = parse_duration(text, what="snooze", bounds=SNOOZE_BOUNDS, examples="`7d`, `2w`, `1w3d` or `off`")
    return now + dt.timedelta(minutes=minutes)


async def notify_command(req: Request, opts: Options, svc: Services) -> Reply:
    """Show the settings; with options, change them first (all in one transaction, or nothing)."""
    changes: dict[str, bool | dt.datetime | None] = {}
    for kind in notify_store.KINDS:
        if kind in opts:
            value = opts[kind].strip().casefold()
            if value not in ("on", "off"):
                raise InvalidOption(f"{code(kind)} is `on` or `off`, not {code(opts[kind][:20])}.", None)
            changes[kind] = value == "on"
    if "snooze" in opts:
        changes["snooze_until"] = parse_snooze(opts["snooze"], req.at)
    async with svc.engine.begin() as conn:
        member = await member_store.ensure(conn, req.identity, req.at)
        if changes:
            settings = await notify_store.save(conn, member.id, req.at, **changes)
        else:
            settings = await notify_store.get(conn, member.id)
    zone = member.timezone or svc.settings.default_timezone
    reply = notify_reply(settings, req.at, zone, changed=bool(changes), ended="snooze" in opts)
    if changes.get("role_ping") is False:
        note = await leave_mention_role(req, svc)
        reply = dataclasses.replace(reply, text=f"{reply.text}\n{note}")
    return reply


async def leave_mention_role(req: Request, svc: Services) -> str:
    """Take the member out of the role prompts mention where the platform lets the bot (Discord with
    Manage Roles); otherwise say what the mute does and does not stop. Runs after the settings are
    saved, so a platform that fails leaves the member's choice stored."""
    async with reading(svc.engine) as conn:
        workspace = await workspace_store.get_settings(conn, req.identity.platform, req.identity.workspace)
    role = workspace.mention_role
    if role is None:
        return "Prompts here mention no role, so there is nothing to leave."
    poster = svc.posters.get(req.identity.platform)
    if isinstance(poster, LeavesRoles):
        result = await poster.leave_role(req.identity.workspace, req.identity.user_id, role)
        if result.ok:
            return (
                f"I took you out of the role {code(role)} that prompts mention, so they no longer ping you. "
                "A moderator can give it back."
            )
        why = f" ({esc(result.detail)})" if result.detail else ""
        return (
            f"I could not take you out of the role {code(role)}{why}: prompts still ping it. "
            "Ask a moderator to remove it."
        )
    return (
        f"Prompts here ping the role {code(role)}, and on this platform I cannot take you out of it: ask a "
        "moderator, or leave the user group yourself. Nothing else I send mentions you."
    )


def notify_reply(
    settings: notify_store.NotifySettings, now: dt.datetime, zone: str, *, changed: bool, ended: bool
) -> Reply:
    snoozed = settings.snoozed(now)
    fields = []
    for kind, (label, _option) in LABELS.items():
        on = getattr(settings, kind)
        # A role ping goes to the whole role in the channel: a snooze cannot leave one member out of it.
        state = "off" if not on else ("snoozed" if snoozed and kind != "role_ping" else "on")
        fields.append(Field(label, code(state), True))
    if snoozed:
        assert settings.snooze_until is not None
        fields.append(Field("Snoozed until", esc(local_time(settings.snooze_until, zone)), False))
    lines = []
    if changed:
        lines.append(bold("Saved."))
    if snoozed:
        assert settings.snooze_until is not None
        lines.append(
            f"Nothing studybot sends you reaches you until {bold(local_time(settings.snooze_until, zone))}. "
            "Expiry reminders that fall due meanwhile are sent when the snooze ends, if still relevant. "
            "A prompt that pings a role you are in still pings the role; `/notify role_ping:off` takes you "
            "out of it where I can. End the snooze early with `/notify snooze:off`."
        )
    elif ended and changed:
        lines.append("No snooze: notifications reach you as set below.")
    lines.append(
        "Change one with `/notify expiry_reminders:off` (or `on`), or pause everything with `/notify snooze:7d`."
    )
    notes = [WHAT_OFF_MEANS[k] for k in notify_store.KINDS if not getattr(settings, k) and WHAT_OFF_MEANS[k]]
    lines.extend(notes)
    return Reply(title="Your notifications", text="\n".join(lines), fields=tuple(fields), ephemeral=True)


def register(registry: Registry) -> None:
    registry.command(
        CommandSpec(
            ("notify",),
            "Choose what studybot sends you, or snooze all of it",
            notify_command,
            examples=(
                "/notify",
                "/notify snooze:7d",
                "/notify snooze:off",
                "/notify expiry_reminders:off",
                "/notify role_ping:off digest_mentions:off",
            ),
            options=(
                OptionSpec(
                    "snooze",
                    OptionType.STRING,
                    "Pause everything for a while, like 7d, 2w, 1w3d; off ends it",
                    max_length=20,
                ),
                *(
                    OptionSpec(option, OptionType.STRING, f"{label}: on or off", choices=ON_OFF)
                    for label, option in LABELS.values()
                ),
            ),
        )
    )
