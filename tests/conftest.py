"""Shared fixtures: real storage (SQLite always, PostgreSQL when reachable), a fixed clock, the real core."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.catalog import Catalog, load_catalog
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.requests import Identity
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store import create_engine, upgrade

# Monday 2026-11-23 08:00 UTC.
START = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
PG_URL_VAR = "STUDYBOT_TEST_POSTGRES_URL"


@pytest.fixture(scope="session", autouse=True)
def private_data_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """XDG_DATA_HOME in a temporary folder for the whole session, so no test (nor a CLI it runs in a
    subprocess) can create or change a real user's data directory, where the default SQLite file lives.

    tests/ops also points it at each test's own folder, to assert on the default location itself.
    """
    data = tmp_path_factory.mktemp("xdg-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(data))
        yield data


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The real content, loaded once: every test runs against what members will see."""
    return load_catalog()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def _postgres_url() -> str | None:
    return os.environ.get(PG_URL_VAR) or None


def _pg_reachable(url: str) -> str | None:
    """None when a server answers, else the reason it does not."""
    import asyncpg

    plain = url.replace("postgresql+asyncpg://", "postgresql://")

    async def probe() -> None:
        conn = await asyncpg.connect(plain, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as exc:  # any failure to connect means: not reachable here
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_base_url() -> str | None:
    url = _postgres_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the storage tests on PostgreSQL: set {PG_URL_VAR}")
        return None
    problem = _pg_reachable(url)
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_URL_VAR} is not reachable in CI: {problem}")
        return None
    return url


def _fresh_pg_schema(base: str) -> tuple[str, str]:
    """A new empty database per test, so PostgreSQL tests are as isolated as SQLite files."""
    import asyncpg

    name = f"studybot_test_{uuid.uuid4().hex[:12]}"
    plain = base.replace("postgresql+asyncpg://", "postgresql://")

    async def create() -> None:
        conn = await asyncpg.connect(plain)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}", name


def _drop_pg(base: str, name: str) -> None:
    import asyncpg

    plain = base.replace("postgresql+asyncpg://", "postgresql://")

    async def drop() -> None:
        conn = await asyncpg.connect(plain)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Parametrizes a test over both engines; PostgreSQL skips with its reason outside CI."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'studybot.sqlite3'}"
        return
    base = request.getfixturevalue("postgres_base_url")
    if base is None:
        url = _postgres_url()
        reason = f"set {PG_URL_VAR}" if url is None else f"PostgreSQL at {PG_URL_VAR} is not reachable"
        pytest.skip(f"no PostgreSQL server here ({reason}); CI runs these")
    url, name = _fresh_pg_schema(base)
    try:
        yield url
    finally:
        _drop_pg(base, name)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once per session; each test gets its own copy (migrations are tested on
    fresh databases through `database_url` in tests/store)."""
    path = tmp_path_factory.mktemp("template") / "studybot.sqlite3"

    async def migrate() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_sqlite: Path) -> str:
    target = tmp_path / "studybot.sqlite3"
    shutil.copyfile(migrated_sqlite, target)
    return f"sqlite+aiosqlite:///{target}"


def make_settings(url: str, **extra: str) -> Settings:
    return Settings.from_env({"STUDYBOT_DATABASE_URL": url, **extra}, env_file=None)


@pytest.fixture
async def runtime(sqlite_url: str, clock: FixedClock, catalog: Catalog) -> AsyncIterator[Runtime]:
    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog) as rt:
        yield rt


@pytest.fixture
async def core(runtime: Runtime) -> Core:
    return runtime.core


def person(
    user: str = "ada",
    *,
    moderator: bool = False,
    platform: str = "console",
    workspace: str = "w1",
    channel: str = "c1",
) -> Identity:
    return Identity(platform, workspace, channel, user, user.title(), is_moderator=moderator)  # type: ignore[arg-type]
