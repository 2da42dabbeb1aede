"""Installations and OAuth states on SQLite and PostgreSQL alike: encrypted tokens, reinstall, keys, expiry."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.store import create_engine, reading, upgrade
from bot.store import installations as store
from bot.store.installations import Installation, TokenCipher
from bot.store.schema import installations
from tests.conftest import START

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def grant(workspace: str, token: str, at: dt.datetime = START) -> Installation:
    return Installation(
        platform="slack",
        enterprise="",
        workspace=workspace,
        bot_token=token,
        scopes=("commands", "chat:write"),
        installed_at=at,
        updated_at=at,
        bot_user_id=f"UB{workspace}",
        installer="U0INSTALLER",
    )


async def test_tokens_are_stored_encrypted_and_a_reinstall_replaces_them(database_url: str) -> None:
    engine = create_engine(database_url)
    cipher = TokenCipher(OLD_KEY)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            await store.save(conn, cipher, grant("T1", "xoxb-first"))
            await store.save(conn, cipher, grant("T2", "xoxb-other"))
        later = START + dt.timedelta(days=2)
        async with engine.begin() as conn:
            await store.save(conn, cipher, grant("T1", "xoxb-second", later))
        async with reading(engine) as conn:
            raw = (await conn.execute(select(installations.c.bot_token).order_by(installations.c.workspace))).all()
            found = await store.find(conn, cipher, "slack", None, "T1")
            assert await store.find(conn, cipher, "slack", None, "T3") is None
            assert await store.find(conn, cipher, "discord", None, "T1") is None
        assert len(raw) == 2 and not any("xoxb" in row.bot_token for row in raw)
        assert found is not None and found.bot_token == "xoxb-second"
        assert (found.installed_at, found.updated_at) == (START, later)  # the first install's time is kept
        assert found.scopes == ("commands", "chat:write") and found.bot_user_id == "UBT1"

        async with engine.begin() as conn:
            assert await store.remove(conn, "slack", None, "T1") == 1
            assert await store.remove(conn, "slack", None, "T1") == 0
        async with reading(engine) as conn:
            assert await store.find(conn, cipher, "slack", None, "T1") is None
            assert await store.find(conn, cipher, "slack", None, "T2") is not None
    finally:
        await engine.dispose()


async def test_a_rotated_key_still_reads_old_tokens_and_a_lost_key_reads_none(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            await store.save(conn, TokenCipher(OLD_KEY), grant("T1", "xoxb-kept"))
        async with reading(engine) as conn:
            rotated = await store.find(conn, TokenCipher(f"{NEW_KEY},{OLD_KEY}"), "slack", None, "T1")
            lost = await store.find(conn, TokenCipher(NEW_KEY), "slack", None, "T1")
        assert rotated is not None and rotated.bot_token == "xoxb-kept"
        assert lost is None  # treated as not installed (and logged), never a traceback
    finally:
        await engine.dispose()


async def test_an_org_wide_install_is_found_from_any_of_its_workspaces(database_url: str) -> None:
    engine = create_engine(database_url)
    cipher = TokenCipher(OLD_KEY)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            org = dataclasses.replace(grant("", "xoxb-org"), enterprise="E1", is_enterprise_install=True)
            await store.save(conn, cipher, org)
        async with reading(engine) as conn:
            found = await store.find(conn, cipher, "slack", "E1", "T9", is_enterprise_install=True)
        assert found is not None and found.bot_token == "xoxb-org" and found.enterprise == "E1"
    finally:
        await engine.dispose()


async def test_an_oauth_state_is_consumed_once_and_expires(database_url: str) -> None:
    engine = create_engine(database_url)
    fresh, stale, reused = "a" * 43, "b" * 43, "c" * 43
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            await store.issue_state(conn, stale, START)
            await store.issue_state(conn, fresh, START + dt.timedelta(minutes=5))
            await store.issue_state(conn, reused, START + dt.timedelta(minutes=5))
        now = START + dt.timedelta(minutes=11)
        async with engine.begin() as conn:
            assert await store.consume_state(conn, reused, now)
        async with engine.begin() as conn:
            assert not await store.consume_state(conn, stale, now)  # older than ten minutes
            assert not await store.consume_state(conn, reused, now)  # used already
            for junk in ("", "d" * 43, "a" * 42, f"{fresh}%", "x'; DROP TABLE claims; --"):
                assert not await store.consume_state(conn, junk, now)
            assert await store.consume_state(conn, fresh, now)  # a near prefix did not consume it
        with pytest.raises(ValueError):
            async with engine.begin() as conn:
                await store.issue_state(conn, "short", now)
    finally:
        await engine.dispose()
