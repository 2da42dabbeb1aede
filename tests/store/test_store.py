"""Storage on SQLite and PostgreSQL alike: migrations, UTC timestamps, namespacing, claims, cascades."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, select

from bot.store import backup_sqlite, create_engine, revision, sqlite_path, upgrade
from bot.store import members as member_store
from bot.store.claims import claim
from bot.store.schema import metadata
from tests.conftest import START, person


async def test_migrations_create_the_declared_schema_and_are_idempotent(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        await upgrade(engine)  # a second start changes nothing
        current, head = await revision(engine)
        assert current == head
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert set(metadata.tables) <= tables
    finally:
        await engine.dispose()


async def test_timestamps_come_back_timezone_aware_utc(database_url: str) -> None:
    engine = create_engine(database_url)
    berlin = dt.datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            member = await member_store.ensure(conn, person(), berlin)
        assert member.created_at == berlin
        assert member.created_at.tzinfo is dt.UTC
        assert member.created_at.hour == 1
        async with engine.begin() as conn:
            with pytest.raises(Exception, match="naive"):
                await member_store.ensure(conn, person("naive"), dt.datetime(2026, 1, 1))
    finally:
        await engine.dispose()


async def test_identities_do_not_collide_across_platforms(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            a = await member_store.ensure(conn, person("42", platform="discord", workspace="42"), START)
            b = await member_store.ensure(conn, person("42", platform="slack", workspace="42"), START)
            c = await member_store.ensure(conn, person("42", platform="discord", workspace="43"), START)
            again = await member_store.ensure(conn, person("42", platform="discord", workspace="42"), START)
        assert len({a.id, b.id, c.id}) == 3 and again.id == a.id
    finally:
        await engine.dispose()


async def test_a_claim_is_won_once(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            assert await claim(conn, "prompt:1:2026-11-23T09:00", START)
            assert not await claim(conn, "prompt:1:2026-11-23T09:00", START)
            assert await claim(conn, "prompt:1:2026-11-24T09:00", START)
    finally:
        await engine.dispose()


async def test_failed_transactions_change_nothing(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        with pytest.raises(RuntimeError):
            async with engine.begin() as conn:
                await member_store.ensure(conn, person(), START)
                raise RuntimeError("half way")
        async with engine.connect() as conn:
            assert await member_store.find(conn, person()) is None
    finally:
        await engine.dispose()


async def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
            fks = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar_one()
            busy = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
        assert (mode, fks) == ("wal", 1) and busy >= 5000
    finally:
        await engine.dispose()


async def test_backup_copies_a_live_database(sqlite_url: str, tmp_path: Path) -> None:
    engine = create_engine(sqlite_url)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            await member_store.ensure(conn, person(), START)
        source = sqlite_path(sqlite_url)
        assert source is not None
        # The engine still holds its connection open, as a running bot would.
        async with engine.connect() as conn:
            await conn.execute(select(1))
            pages = backup_sqlite(source, tmp_path / "copy.sqlite3")
        assert pages > 0
        with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
            assert copy.execute("SELECT user_id FROM members").fetchall() == [("ada",)]
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        await engine.dispose()


async def test_migrations_and_table_definitions_agree(database_url: str) -> None:
    """schema.py and the Alembic migrations describe the same database, on both engines."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": False}), metadata)
            )
        assert diff == []
    finally:
        await engine.dispose()
