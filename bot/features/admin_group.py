"""The `/studyadmin` group: moderator commands of every feature live under it.

Declared here once so that any feature can put its subcommands under it; `register` is safe to call
from each of them, whichever registers first.
"""

from __future__ import annotations

from bot.commands.registry import Registry
from bot.commands.spec import GroupSpec, Permission

PATH = ("studyadmin",)


def register(registry: Registry) -> None:
    if PATH not in registry.groups:
        registry.group(GroupSpec(PATH, "Moderator tools for this server or workspace", Permission.MODERATOR))
