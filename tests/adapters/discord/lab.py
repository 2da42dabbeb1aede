"""Test-only commands, registered into a test's own registry, for what today's features do not exercise.

A moderator group with a subcommand taking every option type; a moderator command that records
whether it ran; a slow command and a not-declared-slow one that both wait on a gate; a menu with a
select; a reply too long for one message; a reply carrying a role mention.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.actions import ActionId
from bot.commands.registry import Registry
from bot.commands.spec import (
    ActionSpec,
    Choice,
    CommandSpec,
    GroupSpec,
    Options,
    OptionSpec,
    OptionType,
    Permission,
)
from bot.markup import code, esc
from bot.replies import Button, Field, Reply, Select, SelectOption
from bot.requests import Action, Request
from bot.services import Services

PICK = "lab-pick"


class Lab:
    """What the lab commands share with the test: calls made and a gate the waiting ones wait on."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.gate = asyncio.Event()
        self.mention: str | None = None  # the role `/labping` replies would mention
        self.deadline = Deadline()


class Deadline:
    """The adapter's defer timer, held by the test: `waiting` is set once the adapter sleeps on it,
    and the sleep ends only when the test calls `pass_now()` (no real clock to race)."""

    def __init__(self) -> None:
        self.waiting = asyncio.Event()
        self.asked: list[float] = []
        self._passed = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        self.waiting.set()
        await self._passed.wait()

    def pass_now(self) -> None:
        self._passed.set()


_STATE: list[Lab] = []


def _lab(svc: Services) -> Lab:
    return _STATE[-1]


async def echo(req: Request, opts: Options, svc: Services) -> Reply:
    _lab(svc).calls.append((req.command_name, dict(opts)))
    shown = json.dumps(dict(opts), sort_keys=True, default=str)
    return Reply(title="echo", text=code(shown), ephemeral=True)


async def wait_then_answer(req: Request, opts: Options, svc: Services) -> Reply:
    await _lab(svc).gate.wait()
    public = bool(opts.get("public"))
    return Reply(title="waited", text="the answer, at last", ephemeral=not public)


async def menu(req: Request, opts: Options, svc: Services) -> Reply:
    options = tuple(SelectOption(f"Option {letter}", letter) for letter in "ABCD")
    return Reply(
        text="Pick two.",
        select=Select(ActionId(PICK).encode(), options, min_values=2, max_values=2),
        ephemeral=True,
    )


async def picked(action: Action, aid: ActionId, svc: Services) -> Reply:
    return Reply(text=f"You picked {esc(', '.join(action.values))}.", ephemeral=True, replace=True)


async def long_reply(req: Request, opts: Options, svc: Services) -> Reply:
    fields = tuple(Field(f"Part {i}", "word " * 200) for i in range(30))  # ~30,000 characters
    return Reply(title="A long answer", text="Read on.", fields=fields, buttons=(Button("OK", "lab-ok:1"),))


async def ping(req: Request, opts: Options, svc: Services) -> Reply:
    return Reply(text="Heads up, @everyone!", mention=_lab(svc).mention)


def register(registry: Registry, state: Lab) -> None:
    _STATE[:] = [state]
    registry.group(GroupSpec(("labadmin",), "Lab moderation", Permission.MODERATOR))
    registry.command(
        CommandSpec(
            ("labadmin", "every"),
            "Takes every option type",
            echo,
            permission=Permission.MODERATOR,
            options=(
                OptionSpec("count", OptionType.INTEGER, "A whole number", required=True, min_value=1, max_value=10),
                OptionSpec("ratio", OptionType.NUMBER, "A number", min_value=0, max_value=1),
                OptionSpec("flag", OptionType.BOOLEAN, "Yes or no"),
                OptionSpec("where", OptionType.CHANNEL, "A channel"),
                OptionSpec("who", OptionType.USER, "A member"),
                OptionSpec("whom", OptionType.MENTIONABLE, "A member or role"),
                OptionSpec("size", OptionType.STRING, "A size", choices=(Choice("Small", "s"), Choice("Large", "l"))),
                OptionSpec("upload", OptionType.FILE, "A file"),
            ),
            examples=("/labadmin every count:3 flag:yes size:Large",),
        )
    )
    registry.command(CommandSpec(("labmod",), "Moderators only", echo, permission=Permission.MODERATOR))
    public = (OptionSpec("public", OptionType.BOOLEAN, "Answer in public"),)
    registry.command(CommandSpec(("labslow",), "Declared slow", wait_then_answer, options=public, slow=True))
    registry.command(CommandSpec(("labwait",), "Slow without saying so", wait_then_answer, options=public))
    registry.command(CommandSpec(("labmenu",), "A menu", menu))
    registry.command(CommandSpec(("lablong",), "A long reply", long_reply))
    registry.command(CommandSpec(("labping",), "A reply with a role mention", ping))
    registry.action(ActionSpec(PICK, picked))
