"""Persistent state: an async SQLAlchemy engine over SQLite or PostgreSQL, migrated by Alembic."""

from __future__ import annotations

from bot.store.db import backup_sqlite, create_engine, revision, sqlite_path, upgrade

__all__ = ["backup_sqlite", "create_engine", "revision", "sqlite_path", "upgrade"]
