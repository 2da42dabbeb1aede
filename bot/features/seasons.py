"""`/studyadmin season start|list` and what `/leaderboard period:season` counts (issue 18).

A season gives a group a fresh board (a new cohort, a new term) without deleting anything: starting
one stores each member's totals at that moment, the season board shows what was answered since, and
`period:all` and every member's `/stats` keep the whole history.
"""

from __future__ import annotations

import unicodedata

from bot.commands.registry import Registry
from bot.commands.spec import CommandSpec, GroupSpec, Options, OptionSpec, OptionType, Permission
from bot.errors import InvalidOption
from bot.features import admin_group
from bot.features.admin_group import audit
from bot.markup import bold, bullets, esc
from bot.replies import Reply
from bot.requests import Request
from bot.services import Services
from bot.store import seasons as season_store
from bot.store.db import reading

MAX_NAME = 60


async def season_start(req: Request, opts: Options, svc: Services) -> Reply:
    name = " ".join(opts["name"].split())
    if not name:
        raise InvalidOption("A season needs a name.", 'For example `/studyadmin season start name:"Spring 2027"`.')
    if len(name) > MAX_NAME:
        raise InvalidOption(f"That name has {len(name)} characters.", f"Keep it to {MAX_NAME} or fewer.")
    hidden = next((i for i, ch in enumerate(name) if unicodedata.category(ch) in ("Cc", "Cf")), None)
    if hidden is not None:
        raise InvalidOption(
            f"That name holds a control or invisible character at position {hidden + 1}.",
            "Type the name again with letters, digits, spaces and punctuation only.",
        )
    ident = req.identity
    async with svc.engine.begin() as conn:
        before = await season_store.current(conn, ident.platform, ident.workspace)
        if before is not None and before.name.casefold() == name.casefold():
            raise InvalidOption(
                f"Season {bold(esc(before.name))} is already the current one.",
                'Give the new season a name of its own, like `name:"Spring 2027"`; nothing was changed.',
            )
        season = await season_store.start(conn, ident.platform, ident.workspace, name, ident.user_id, req.at)
        await audit(conn, req, "season.start", f"season {season.id}", before and before.name, name)
    ended = f" Season {bold(esc(before.name))} has ended; its answers still count in `period:all`." if before else ""
    return Reply(
        title="Season started",
        text=(
            f"Season {bold(esc(name))} starts now: `/leaderboard period:season` counts the answers from here on."
            f"{ended} Nothing was reset: every member's history and `/stats` stay as they were."
        ),
    )


async def season_list(req: Request, opts: Options, svc: Services) -> Reply:
    async with reading(svc.engine) as conn:
        found = await season_store.earlier(conn, req.identity.platform, req.identity.workspace)
    if not found:
        return Reply(title="Seasons", text="No season has started here yet.", ephemeral=True)
    lines = [
        f"{bold(esc(s.name))}: since {s.started_at:%a %d %b %Y %H:%M} (UTC)" + (" (current)" if index == 0 else "")
        for index, s in enumerate(found)
    ]
    return Reply(title="Seasons", text="Newest first:\n" + bullets(lines), ephemeral=True)


def register(registry: Registry) -> None:
    admin_group.register(registry)
    mod = Permission.MODERATOR
    registry.group(GroupSpec(("studyadmin", "season"), "Leaderboard seasons (nothing is reset)", mod))
    registry.command(
        CommandSpec(
            ("studyadmin", "season", "start"),
            "Start a new leaderboard season from now",
            season_start,
            permission=mod,
            options=(OptionSpec("name", OptionType.STRING, "The season's name", required=True, max_length=MAX_NAME),),
            examples=('/studyadmin season start name:"Spring 2027"',),
        )
    )
    registry.command(
        CommandSpec(
            ("studyadmin", "season", "list"),
            "This workspace's seasons, newest first",
            season_list,
            permission=mod,
            examples=("/studyadmin season list",),
        )
    )
