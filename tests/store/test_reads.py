"""Reads never wait for a writer on SQLite: a member's command answers while a long write (a claim
of thousands of prompts) holds the write lock, and a read-only connection refuses to write."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import func, select, text

from bot.runtime import Runtime
from bot.store.db import reading, sqlite_path
from bot.store.schema import members
from tests.conftest import person

WITHIN = 3.0  # well under the 10 s busy timeout a locked read used to wait before failing


async def test_commands_that_only_read_answer_while_another_process_holds_the_write_lock(
    runtime: Runtime,
) -> None:
    core = runtime.core
    await core.handle_line(person(), "/mycerts")
    async with reading(runtime.services.engine) as conn:
        before = (await conn.execute(select(func.count()).select_from(members))).scalar()
    path = sqlite_path(runtime.settings.database_url)
    assert path is not None
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # as a claim of 5,000 channels does, for seconds
        writer.execute("UPDATE members SET created_at = created_at")
        for line in ("/mycerts", "/stats"):
            reply = await asyncio.wait_for(core.handle_line(person(), line), WITHIN)
            assert "Something went wrong" not in reply.text, (line, reply.text)
        async with reading(runtime.services.engine) as conn:
            count = (await asyncio.wait_for(conn.execute(select(func.count()).select_from(members)), WITHIN)).scalar()
        assert count == before  # the last committed state, not the writer's uncommitted one
    finally:
        writer.execute("ROLLBACK")
        writer.close()


async def test_a_read_only_connection_refuses_to_write(runtime: Runtime) -> None:
    async with reading(runtime.services.engine) as conn:
        with pytest.raises(RuntimeError, match=r"read-only connection: use engine\.begin\(\)"):
            await conn.execute(text("DELETE FROM members"))
    async with reading(runtime.services.engine) as conn:  # the pool hands out a clean connection again
        assert (await conn.execute(text("SELECT 1"))).scalar() == 1
    async with runtime.services.engine.begin() as conn:  # writers still begin IMMEDIATE and write
        await conn.execute(text("DELETE FROM members"))
