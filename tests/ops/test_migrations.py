"""Migrations are safe with replicas: three processes starting together on a fresh database all reach
the head revision without an error, and a process older than its database refuses to start."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.store import DatabaseAhead, create_engine, head_revision, revision, upgrade

ENV_KEEP = ("PATH", "LANG", "SYSTEMROOT")


def start_together(url: str, tmp_path: Path, count: int = 3) -> list[subprocess.CompletedProcess[str]]:
    env = {k: os.environ[k] for k in ENV_KEEP if k in os.environ}
    env.update(HOME=str(tmp_path), STUDYBOT_DATABASE_URL=url)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "db", "upgrade"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for _ in range(count)
    ]
    done = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return done


def assert_all_at_head(done: list[subprocess.CompletedProcess[str]]) -> None:
    head = head_revision()
    for result in done:
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        assert result.stdout.strip() == f"database at revision {head} (newest: {head})"


def test_three_processes_migrate_a_fresh_sqlite_file_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    assert_all_at_head(start_together(f"sqlite+aiosqlite:///{path}", tmp_path))
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)]
    db.close()


def test_three_processes_migrate_a_fresh_postgresql_database_once(pg_url: str, tmp_path: Path) -> None:
    assert_all_at_head(start_together(pg_url, tmp_path))

    async def versions() -> tuple[str | None, str | None]:
        engine = create_engine(pg_url)
        try:
            return await revision(engine)
        finally:
            await engine.dispose()

    assert asyncio.run(versions()) == (head_revision(), head_revision())


async def test_three_tasks_in_one_process(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tasks.sqlite3'}"
    engines = [create_engine(url) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade(engine) for engine in engines))
        assert [await revision(engine) for engine in engines] == [(head_revision(), head_revision())] * 3
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.fixture
def newer_sqlite(sqlite_url: str) -> str:
    """A database as a newer studybot would leave it: at a revision this code has never heard of."""
    path = Path(sqlite_url.split("///", 1)[1])
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    db.close()
    return sqlite_url


async def test_code_older_than_the_database_refuses(newer_sqlite: str) -> None:
    engine = create_engine(newer_sqlite)
    try:
        with pytest.raises(DatabaseAhead, match="0099_from_the_future"):
            await upgrade(engine)
    finally:
        await engine.dispose()


def test_the_cli_refuses_to_start_on_a_newer_database(newer_sqlite: str) -> None:
    result = CliRunner().invoke(main, ["exec", "/help"], env={"STUDYBOT_DATABASE_URL": newer_sqlite})
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("studybot: the database is at schema revision 0099_from_the_future")
    assert "a newer studybot migrated it" in line and "Upgrade studybot" in line


def test_doctor_reports_a_newer_database(newer_sqlite: str) -> None:
    result = CliRunner().invoke(main, ["doctor"], env={"STUDYBOT_DATABASE_URL": newer_sqlite})
    assert result.exit_code == 1
    assert "FAIL  database:" in result.output and "0099_from_the_future" in result.output
    assert "fix: upgrade studybot on this machine" in result.output


async def test_a_start_waits_for_another_process_migrating_longer_than_the_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three replicas start on one SQLite file; one migration outlasts the busy timeout (a big table on
    a slow disk, or a loaded machine). The others wait for it instead of failing with "database is
    locked"."""
    import logging
    import threading

    from bot.store import db

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 100)  # so one busy wait is short; the rule is the same
    path = tmp_path / "slow.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")  # the other process, mid-migration
    waited = threading.Event()

    class Seen(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "being migrated by another process" in record.getMessage():
                waited.set()

    seen = Seen()
    logging.getLogger("bot.store.db").addHandler(seen)
    monkeypatch.setattr(logging.getLogger("bot.store.db"), "level", logging.INFO)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        starting = asyncio.create_task(upgrade(engine))
        assert await asyncio.to_thread(waited.wait, 30)  # its first wait ran out while the lock was held
        holder.execute("ROLLBACK")  # the other migration ends
        await starting
        assert await revision(engine) == (head_revision(), head_revision())
    finally:
        logging.getLogger("bot.store.db").removeHandler(seen)
        holder.close()
        await engine.dispose()
