"""`/profile`: a member's own settings, and deleting everything stored about them."""

from __future__ import annotations

import zoneinfo
from functools import partial

from bot.actions import ActionId
from bot.commands.parse import suggest
from bot.commands.registry import Registry
from bot.commands.spec import ActionSpec, Choice, CommandSpec, Options, OptionSpec, OptionType
from bot.errors import InvalidOption, StaleAction
from bot.markup import bold, code, esc
from bot.replies import Button, Field, Reply
from bot.requests import Action, Request
from bot.services import Services
from bot.store import members as member_store

DELETE = "profile-delete"
KEEP = "profile-keep"


def resolve_timezone(name: str) -> str:
    """An IANA zone name, accepting any letter case; a friendly error with the closest names otherwise."""
    available = zoneinfo.available_timezones()
    by_fold = {z.casefold(): z for z in available}
    found = by_fold.get(name.strip().casefold())
    if found:
        return found
    hint = suggest(name, sorted(available))
    raise InvalidOption(
        f"{code(name[:60])} is not a timezone I know.",
        (f"Did you mean {code(hint)}? " if hint else "")
        + "Use an IANA name such as `Europe/Berlin` or `America/New_York`.",
    )


async def profile_command(registry: Registry, req: Request, opts: Options, svc: Services) -> Reply:
    action = opts.get("action", "show")
    if action == "delete":
        if "timezone" in opts:
            raise InvalidOption("Give either `action:delete` or `timezone`, not both.", None)
        owner = req.identity.user_id
        return Reply(
            title="Delete your studybot data?",
            text="This deletes your profile, every answer you gave, your review cards and your certifications "
            "here. It cannot be undone.",
            buttons=(
                Button("Delete everything", ActionId(DELETE, (owner,)).encode(), "danger"),
                Button("Keep my data", ActionId(KEEP, (owner,)).encode()),
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


def _owner_check(action: Action, aid: ActionId) -> None:
    if aid.field(0) != action.identity.user_id:
        raise StaleAction("That button belongs to someone else's profile.", "Use `/profile action:delete` yourself.")


async def delete_pressed(registry: Registry, action: Action, aid: ActionId, svc: Services) -> Reply:
    _owner_check(action, aid)
    async with svc.engine.begin() as conn:
        removed = [await step.run(conn, action.identity) for step in registry.deletion_steps]
        deleted = await member_store.delete_member(conn, action.identity) or any(removed)
    text = "Everything studybot stored about you is deleted." if deleted else "There was nothing stored about you."
    return Reply(title="Deleted", text=text, ephemeral=True, replace=True)


async def keep_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    _owner_check(action, aid)
    return Reply(text=f"{bold('Nothing was deleted.')} Your data is as it was.", ephemeral=True, replace=True)


def register(registry: Registry) -> None:
    registry.command(
        CommandSpec(
            ("profile",),
            "Show your profile, set your timezone, or delete your data",
            partial(profile_command, registry),
            examples=("/profile", "/profile timezone:Europe/Berlin", "/profile delete"),
            options=(
                OptionSpec(
                    "action",
                    OptionType.STRING,
                    "show (default) or delete",
                    choices=(Choice("show", "show"), Choice("delete", "delete")),
                ),
                OptionSpec("timezone", OptionType.STRING, "Your IANA timezone, like Europe/Berlin", max_length=64),
            ),
        )
    )
    registry.action(ActionSpec(DELETE, partial(delete_pressed, registry)))
    registry.action(ActionSpec(KEEP, keep_pressed))
