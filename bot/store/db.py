"""The database: engine, SQLite pragmas, migrations and backups.

SQLite (through aiosqlite) is the default and PostgreSQL (through asyncpg) works with the same code;
only the URL differs. Migrations run at start, so a new version of studybot brings its schema with it.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
# Any constant works; it only has to be the same in every process that migrates this database.
_MIGRATION_LOCK = 0x5754_4459


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers work while one writer commits; foreign keys are off by default in SQLite."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Python's sqlite3 module begins transactions lazily and behind SQLAlchemy's back, which breaks
    # savepoints and lets a rolled-back block keep its writes. Take over: no implicit transactions,
    # and an explicit BEGIN from the "begin" hook below.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Any) -> None:
    """IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead of
    deadlocking when both try to upgrade a read lock."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def connect_sqlite(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection to the engine's file with the engine's pragmas and busy timeout.

    For code that must drive the driver itself (the answer writer's group commit runs a whole batch
    in one call on its own thread); transactions are explicit (`BEGIN IMMEDIATE` … `COMMIT`), as on
    the engine's connections.
    """
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    _sqlite_pragmas(connection, None)
    return connection


def create_engine(url: str) -> AsyncEngine:
    """An async engine for `url`, creating the SQLite file's folder when needed."""
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Two processes starting together must not both create the tables.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    command.upgrade(_alembic_config(connection), "head")


def _current(connection: Connection) -> tuple[str | None, str | None]:
    head = ScriptDirectory.from_config(_alembic_config(connection)).get_current_head()
    return MigrationContext.configure(connection).get_current_revision(), head


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration; does nothing when it is already there."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)


async def revision(engine: AsyncEngine) -> tuple[str | None, str | None]:
    """The database's migration revision and the newest one this code knows."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy a live SQLite database consistently with SQLite's online backup API.

    The backup API copies pages under SQLite's own locking, so the bot can keep writing while it runs;
    copying the file by hand could catch a half-written WAL. Returns the number of pages copied.
    """
    if not source.is_file():
        raise FileNotFoundError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".partial")
    tmp.unlink(missing_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(tmp) as dst:
        src.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        src.backup(dst)
        pages = dst.execute("PRAGMA page_count").fetchone()[0]
        dst.execute("PRAGMA journal_mode=DELETE")
    src.close()
    dst.close()
    tmp.replace(target)
    return int(pages)
