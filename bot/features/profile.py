"""`/profile`: a member's own settings, and seeing (`export`) or deleting everything stored about them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import partial

from bot.actions import ActionId
from bot.clock import zone_names
from bot.commands.parse import suggest
from bot.commands.registry import Registry
from bot.commands.spec import ActionSpec, Choice, CommandSpec, Options, OptionSpec, OptionType
from bot.errors import InvalidOption, StaleAction
from bot.markup import bold, code, esc
from bot.practice.texts import local_time
from bot.replies import Attachment, Button, Field, Reply
from bot.requests import Action, Identity, Request
from bot.services import Services
from bot.store import audit as audit_store
from bot.store import claims
from bot.store import members as member_store
from bot.store.db import reading

DELETE = "profile-delete"
KEEP = "profile-keep"
CONFIRM_VERSION = 2
"""Version 2 ids carry when the question was asked (epoch milliseconds) beside the owner, so a press can
be matched with what happened since; version 1 ids carried the owner only."""


def _looks_like_a_path(name: str) -> bool:
    return name.startswith(("/", ".", "~")) or "\\" in name or ".." in name or name.count("/") > 2


def resolve_timezone(name: str) -> str:
    """An IANA zone name, accepting any letter case; a friendly error with the closest names otherwise.

    The one place a timezone typed by someone is checked, for profiles, schedules and workspaces."""
    available = zone_names()
    by_fold = {z.casefold(): z for z in available}
    found = by_fold.get(name.strip().casefold())
    if found:
        return found
    hint = None if _looks_like_a_path(name.strip()) else suggest(name, sorted(available))
    raise InvalidOption(
        f"{code(name[:60])} is not a timezone I know.",
        (f"Did you mean {code(hint)}? " if hint else "")
        + "Use an IANA name such as `Europe/Berlin` or `America/New_York`.",
    )


async def profile_command(registry: Registry, req: Request, opts: Options, svc: Services) -> Reply:
    action = opts.get("action", "show")
    if action != "show" and "timezone" in opts:
        raise InvalidOption(f"Give either `action:{action}` or `timezone`, not both.", None)
    if action == "export":
        return await export_reply(registry, req, svc)
    if action == "delete":
        ids = (req.identity.user_id, str(int(req.at.timestamp() * 1000)))
        return Reply(
            title="Delete your studybot data?",
            text="This deletes your profile, every answer you gave, your review cards and your certifications "
            "here. It cannot be undone.",
            buttons=(
                Button("Delete everything", ActionId(DELETE, ids, CONFIRM_VERSION).encode(), "danger"),
                Button("Keep my data", ActionId(KEEP, ids, CONFIRM_VERSION).encode()),
            ),
            ephemeral=True,
        )
    async with svc.engine.begin() as conn:
        member = await member_store.ensure(conn, req.identity, req.at)
        if "timezone" in opts:
            zone = resolve_timezone(opts["timezone"])
            await member_store.update_profile(conn, member.id, req.at, timezone=zone)
            changed = await member_store.find(conn, req.identity)
            member = changed or member
    fields = [Field("Timezone", esc(member.timezone or f"not set (using {svc.settings.default_timezone})"), True)]
    if member.target_exam:
        fields.append(Field("Target exam", code(member.target_exam), True))
    for section in registry.profile_sections:
        fields.extend(await section.fields(req, member, svc))
    text = "Saved." if "timezone" in opts else "Set your timezone with `/profile timezone:Europe/Berlin`."
    return Reply(title=f"Profile of {req.identity.user_name}", text=text, fields=tuple(fields), ephemeral=True)


async def export_data(registry: Registry, identity: Identity, now: dt.datetime, svc: Services) -> dict[str, object]:
    """Everything stored about the member, in the shape `/profile export` shows.

    `stored` is exactly what `/profile delete` deletes: the member's row and the rows of
    `member_tables()` (which the cascade empties), and the rows of each deletion step (read by its own
    `export`). `audit_entries` are the workspace's history of changes the member made or was the
    target of, which deletion keeps.
    """
    async with reading(svc.engine) as conn:
        member = await member_store.find(conn, identity)
        stored: dict[str, object] = dict(await member_store.member_rows(conn, member.id)) if member else {}
        for step in registry.deletion_steps:
            stored[step.name] = await step.export(conn, identity)
        audit = await audit_store.entries_about(conn, identity.platform, identity.workspace, identity.user_id)
    return {
        "studybot_export": 1,
        "exported_at": now,
        "who": {"platform": identity.platform, "workspace": identity.workspace, "user_id": identity.user_id},
        "stored": stored,
        "audit_entries": audit,
        "notes": "'stored' is what /profile delete deletes; 'audit_entries' are the workspace's record of "
        "changes you made or that named you, which it keeps.",
    }


def _json_value(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"not exportable: {type(value).__name__}")


def export_json(value: object, depth: int = 0) -> str:
    """Indented JSON with each stored row on one line: a reader scans it table by table, and a page
    break never falls inside a row."""
    flat = isinstance(value, dict) and not any(isinstance(v, dict | list) for v in value.values())
    if flat or not isinstance(value, dict | list) or not value:
        return json.dumps(value, default=_json_value, ensure_ascii=False)
    pad = " " * (depth + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(key)}: {export_json(item, depth + 1)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * depth + "}"
    return "[\n" + ",\n".join(pad + export_json(item, depth + 1) for item in value) + "\n" + " " * depth + "]"


async def export_reply(registry: Registry, req: Request, svc: Services) -> Reply:
    """The JSON as a file where the adapter can deliver one (console, Discord, Slack), and as text
    where it cannot: one code line per JSON line, so each platform pages it between lines and every
    page is well formed."""
    text = export_json(await export_data(registry, req.identity, req.at, svc))
    body = "\n".join(code(line) for line in text.splitlines())
    name = f"studybot-export-{req.identity.user_id}.json"
    return Reply(
        title="Everything studybot stores about you",
        text="As JSON: copy it from here. `/profile delete` deletes everything under `stored`.\n" + body,
        ephemeral=True,
        attachment=Attachment(
            name,
            text.encode(),
            "application/json",
            caption=f"As JSON, in the file {code(name)}. `/profile delete` deletes everything under `stored`.",
        ),
    )


def _owner_check(action: Action, aid: ActionId) -> None:
    if aid.field(0) != action.identity.user_id:
        raise StaleAction("That button belongs to someone else's profile.", "Use `/profile action:delete` yourself.")


def _asked_at(aid: ActionId) -> dt.datetime:
    """When the confirmation was shown; a button from before version 2 cannot say, so it is refused."""
    if aid.version != CONFIRM_VERSION or not aid.field(1).isdigit():
        raise StaleAction("That confirmation is from an older version of studybot.", "Run `/profile delete` again.")
    return dt.datetime.fromtimestamp(int(aid.field(1)) / 1000, dt.UTC)


def _confirm_keys(identity: Identity, asked: ActionId) -> tuple[str, str]:
    """The claim of one confirmation message and the prefix of all of this member's.

    The member is named by a hash: the claims outlive the deletion they record, and must not keep the
    member's platform ids after "everything stored about you" is gone.
    """
    who = hashlib.sha256(f"{identity.platform}:{identity.workspace}:{identity.user_id}".encode()).hexdigest()[:24]
    prefix = f"profile-confirm:{who}:"
    return prefix + asked.field(1), prefix


async def _answer_confirmation(registry: Registry, action: Action, aid: ActionId, svc: Services, choice: str) -> Reply:
    """Delete or keep; a confirmation deletes at most once.

    Either answer is final: the first press is stored as the question's claim, and a later press of
    either button (an old console line, a message a client still shows) says what was chosen and when,
    and changes nothing, so a stray press on a question answered "keep" can never delete. A question
    asked before the member's data was deleted by another one deletes nothing either, since what they
    stored since is newer than the question they answered.
    """
    _owner_check(action, aid)
    asked = _asked_at(aid)
    key, prefix = _confirm_keys(action.identity, aid)
    zone = svc.settings.default_timezone
    async with svc.engine.begin() as conn:
        member = await member_store.find(conn, action.identity)
        if member is not None and member.timezone:
            zone = member.timezone
        done = await claims.claimed(conn, key)
        if done is not None and done[1] == "delete":
            return _already_answered(*done, zone)
        deleted_since = await claims.last_claimed(conn, prefix, "delete")
        if deleted_since is not None and deleted_since > asked:  # by another question, after this one
            return _out_of_date(deleted_since, zone)
        if done is not None:
            return _already_answered(*done, zone)
        if not await claims.claim(conn, key, action.at, choice):
            won = await claims.claimed(conn, key)  # two presses of this question at once: the first one won
            return _already_answered(*(won or (action.at, choice)), zone)
        if choice == "keep":
            return Reply(text=f"{bold('Nothing was deleted.')} Your data is as it was.", ephemeral=True, replace=True)
        removed = [await step.run(conn, action.identity) for step in registry.deletion_steps]
        deleted = await member_store.delete_member(conn, action.identity) or any(removed)
    text = "Everything studybot stored about you is deleted." if deleted else "There was nothing stored about you."
    return Reply(title="Deleted", text=text, ephemeral=True, replace=True)


def _already_answered(when: dt.datetime, choice: str | None, zone: str) -> Reply:
    if choice == "keep":
        return Reply(
            title="Already answered",
            text=f"You chose to keep your data on {esc(local_time(when, zone))}; this press changed nothing. "
            "To delete it, run `/profile delete` again.",
            ephemeral=True,
            replace=True,
        )
    return Reply(
        title="Already deleted",
        text=f"This was already confirmed on {esc(local_time(when, zone))}: everything stored about you then "
        "was deleted. Nothing more was deleted now.",
        ephemeral=True,
        replace=True,
    )


def _out_of_date(deleted: dt.datetime, zone: str) -> Reply:
    return Reply(
        title="This question is out of date",
        text=f"Your data was already deleted on {esc(local_time(deleted, zone))}, after this question was asked, "
        "so this button deleted nothing: what you stored since is kept. Run `/profile delete` to delete it too.",
        ephemeral=True,
        replace=True,
    )


async def delete_pressed(registry: Registry, action: Action, aid: ActionId, svc: Services) -> Reply:
    return await _answer_confirmation(registry, action, aid, svc, "delete")


async def keep_pressed(registry: Registry, action: Action, aid: ActionId, svc: Services) -> Reply:
    return await _answer_confirmation(registry, action, aid, svc, "keep")


def register(registry: Registry) -> None:
    registry.command(
        CommandSpec(
            ("profile",),
            "Show your profile, set your timezone, or export or delete your data",
            partial(profile_command, registry),
            examples=("/profile", "/profile timezone:Europe/Berlin", "/profile export", "/profile delete"),
            options=(
                OptionSpec(
                    "action",
                    OptionType.STRING,
                    "show (default), export or delete",
                    choices=(Choice("show", "show"), Choice("export", "export"), Choice("delete", "delete")),
                ),
                OptionSpec("timezone", OptionType.STRING, "Your IANA timezone, like Europe/Berlin", max_length=64),
            ),
        )
    )
    registry.action(ActionSpec(DELETE, partial(delete_pressed, registry)))
    registry.action(ActionSpec(KEEP, partial(keep_pressed, registry)))
