"""The `/studyadmin` group: moderator commands of every feature live under it.

Declared here once so that any feature can put its subcommands under it; `register` is safe to call
from each of them, whichever registers first. `audit` is the one way a moderator's change is written to
the audit log, by whichever feature makes it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands.registry import Registry
from bot.commands.spec import GroupSpec, Permission
from bot.requests import Request
from bot.store import audit as audit_store

PATH = ("studyadmin",)


def register(registry: Registry) -> None:
    if PATH not in registry.groups:
        registry.group(GroupSpec(PATH, "Moderator tools for this server or workspace", Permission.MODERATOR))


async def audit(conn: AsyncConnection, req: Request, action: str, target: str, before: object, after: object) -> None:
    """Record the change `req` made, in the transaction of `conn` that makes it (never unaudited)."""
    await audit_store.audit(
        conn,
        platform=req.identity.platform,
        workspace=req.identity.workspace,
        actor_id=req.identity.user_id,
        actor_name=req.identity.user_name,
        action=action,
        target=target,
        before=before,
        after=after,
        now=req.at,
    )
