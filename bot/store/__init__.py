"""Persistent state: an async SQLAlchemy engine over SQLite or PostgreSQL, migrated by Alembic.

The engine-level names other rooms need (opening, reading, migrating, probing the database) are
gathered here, so callers import `bot.store` rather than reaching into `bot.store.db`; the
repositories stay modules of their own (`bot.store.members`, `bot.store.deliveries`, ...).
"""

from __future__ import annotations

from bot.store.db import (
    BackupSourceError,
    DatabaseAhead,
    DatabaseUnavailable,
    SqliteFile,
    backup_sqlite,
    causes,
    create_engine,
    describe,
    head_revision,
    inspect_sqlite,
    pool_usage,
    reading,
    restore_sqlite,
    revision,
    schema_problem,
    server_now,
    sqlite_in_use,
    sqlite_path,
    sqlite_write_problem,
    upgrade,
)

__all__ = [
    "BackupSourceError",
    "DatabaseAhead",
    "DatabaseUnavailable",
    "SqliteFile",
    "backup_sqlite",
    "causes",
    "create_engine",
    "describe",
    "head_revision",
    "inspect_sqlite",
    "pool_usage",
    "reading",
    "restore_sqlite",
    "revision",
    "schema_problem",
    "server_now",
    "sqlite_in_use",
    "sqlite_path",
    "sqlite_write_problem",
    "upgrade",
]
