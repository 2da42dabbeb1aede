"""Typed commands do not query the configured moderators each time (issue 14: it was 73% of `/ask`).

The statements the engine runs are observed with SQLAlchemy's own cursor event, on a real SQLite file.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from bot.runtime import Runtime
from tests.conftest import person

MOD = person("mod", moderator=True)
BOB = person("bob")


async def test_typed_commands_read_the_moderators_once_per_workspace_until_they_change(runtime: Runtime) -> None:
    core = runtime.core
    reads: list[str] = []

    def observe(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM moderators" in statement:
            reads.append(statement)

    event.listen(runtime.services.engine.sync_engine, "before_cursor_execute", observe)
    try:
        assert (await core.handle_line(BOB, "/help")).title
        assert len(reads) == 1  # the first command in the workspace reads the list
        for _ in range(5):
            for line in ("/help", "/stats", "/leaderboard period:all", "/cert SAA-C03", "/ask what is SAA-C03"):
                await core.handle_line(BOB, line)
        assert len(reads) == 1  # 25 more commands, no query
        await core.handle_line(person("cy", workspace="w2"), "/help")
        assert len(reads) == 2  # another workspace has its own list

        await core.handle_line(MOD, "/studyadmin moderators add who:@bob")
        before = len(reads)
        assert (await core.handle_line(BOB, "/studyadmin schedule list")).title == "Schedules"
        assert len(reads) == before + 1  # the change cleared the list: read again, once
        await core.handle_line(BOB, "/help")
        assert len(reads) == before + 1
    finally:
        event.remove(runtime.services.engine.sync_engine, "before_cursor_execute", observe)
