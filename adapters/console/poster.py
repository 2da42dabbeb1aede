"""The console's `Poster`: scheduled posts are printed, so `studybot schedule deliver-due` shows them.

Message ids are derived from the delivery's nonce, so the same prompt has the same id in every
process, and `studybot schedule press <message> <N>` can find it again later.
"""

from __future__ import annotations

import sys
import uuid
from typing import TextIO

from adapters.console.render import render
from bot.replies import Reply
from bot.schedule.ports import PostOutcome, PostResult


class ConsolePoster:
    """Prints posts, edits and direct messages to a stream (standard output by default)."""

    platform = "console"

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out
        self.posted: list[tuple[str, str, Reply]] = []  # (channel, message id, reply), for tests
        self.edited: list[tuple[str, Reply]] = []
        self.direct: list[tuple[str, Reply]] = []

    def _write(self, text: str) -> None:
        out = self._out or sys.stdout
        out.write(text + "\n")
        out.flush()

    def planned_id(self, nonce: str) -> str:
        return f"console-{nonce[:10]}"

    async def post(self, workspace: str, channel: str, reply: Reply, *, nonce: str | None = None) -> PostResult:
        message_id = self.planned_id(nonce or uuid.uuid4().hex)
        self.posted.append((channel, message_id, reply))
        lines = [f"--- posted in #{channel} ({workspace}), message {message_id} ---", render(reply, posted=message_id)]
        if reply.buttons and reply.select is None:  # a menu's line already says how to answer it
            lines.append(f"Members answer with: studybot schedule press {message_id} N --user NAME --member")
        self._write("\n".join(lines) + "\n")
        return PostResult(PostOutcome.OK, message_id=message_id)

    async def edit(self, workspace: str, channel: str, message_id: str, reply: Reply) -> PostResult:
        self.edited.append((message_id, reply))
        self._write(f"--- edited message {message_id} in #{channel}: {reply.footer or reply.title or ''}")
        return PostResult(PostOutcome.OK, message_id=message_id)

    async def direct_message(self, workspace: str, user_id: str, reply: Reply) -> PostResult:
        self.direct.append((user_id, reply))
        self._write(f"--- direct message to {user_id} ({workspace}) ---\n{render(reply)}\n")
        return PostResult(PostOutcome.OK)
