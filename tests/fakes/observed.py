"""The real core, observed: what an adapter handed it and what came back. Nothing is replaced."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.commands.dispatch import Core
from bot.replies import Reply
from bot.requests import Action, Identity, Request


@dataclass
class ObservedCore:
    """Every call goes to the real `Core`; the notes let a test assert that a refused request reached
    nothing (`calls`), and compare what a platform received with the reply the core gave
    (`replies`, or `exchanges` to see which request each reply answered)."""

    core: Core
    lines: list[tuple[Identity, str]] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    exchanges: list[tuple[Request | Action, Reply]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.core, name)

    async def handle_line(self, identity: Identity, line: str, *, delivery_id: str | None = None) -> Reply:
        self.lines.append((identity, line))
        reply = await self.core.handle_line(identity, line, delivery_id=delivery_id)
        self.replies.append(reply)
        return reply

    async def handle(self, message: Request | Action) -> Reply:
        if isinstance(message, Action):
            self.actions.append(message)
        reply = await self.core.handle(message)
        self.replies.append(reply)
        self.exchanges.append((message, reply))
        return reply

    @property
    def calls(self) -> int:
        return len(self.lines) + len(self.actions)
