"""The database: engine, SQLite pragmas, migrations and backups.

SQLite (through aiosqlite) is the default and PostgreSQL (through asyncpg) works with the same code;
only the URL differs. Migrations run at start, so a new version of studybot brings its schema with it.
Several processes may start together on one database (replicas): each migrates under a lock, so the
schema is changed once, and a process whose code is older than the database refuses to start.

A database that cannot be reached is reported as `DatabaseUnavailable` with one sentence saying what
is wrong and how to fix it, so the CLI never shows a driver's traceback for a typo in a URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import errno
import logging
import os
import socket
import sqlite3
import stat
import weakref
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

from bot.errors import StudybotError
from bot.settings import async_database_url

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
MIGRATION_ATTEMPTS = 6  # a starting process waits up to about a minute for another one's migration
CONNECT_TIMEOUT_S = 10.0  # asyncpg waits 60 s by default; a firewalled host should fail faster than that
# Any constant works; it only has to be the same in every process that migrates this database.
_MIGRATION_LOCK = 0x5754_4459


class DatabaseUnavailable(StudybotError):
    """The database cannot be used as configured; `message` says why and what to change (no secrets)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DatabaseAhead(DatabaseUnavailable):
    """The database was migrated by a newer studybot than this one: running on it could corrupt it."""


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


READ_ONLY = "studybot_read_only"
"""Execution option of connections from `reading`: they begin a deferred (lock-free) transaction."""


def _sqlite_begin(connection: Any) -> None:
    """IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead of
    deadlocking when both try to upgrade a read lock. A read-only connection (`reading`) begins a
    plain deferred transaction instead: under WAL it reads a snapshot and never waits for a writer,
    so a `/cert` typed while a long claim holds the lock answers at once."""
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _refuse_writes_when_reading(
    connection: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, _many: bool
) -> None:
    """A write on a `reading` connection is a bug twice over: it would be rolled back when the block
    ends, and on SQLite a deferred transaction that starts writing can fail with SQLITE_BUSY."""
    if connection.get_execution_options().get(READ_ONLY, False):
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if verb not in ("SELECT", "WITH", "PRAGMA", "EXPLAIN", "BEGIN", "ROLLBACK", "COMMIT"):
            raise RuntimeError(f"a {verb} statement on a read-only connection: use engine.begin() to write")


@contextlib.asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reads only: on SQLite its transaction never takes the write lock (see
    `_sqlite_begin`); on PostgreSQL it is an ordinary connection. Writes belong in `engine.begin()`."""
    reader = _READERS.get(engine)
    if reader is None:
        # An option engine shares the pool; made once, so a read costs no extra round trip.
        reader = _READERS[engine] = engine.execution_options(**{READ_ONLY: True})
    async with reader.connect() as conn:
        yield conn


_READERS: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()


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


T = TypeVar("T")


class LoopSqlite:
    """A plain `sqlite3` connection driven from the event loop itself, for group commits (the answer
    writer's batches, the delivery ledger's claims): a batch costs only its own CPU, with no thread hop
    per statement and no per-row SQLAlchemy work.

    What must never happen on the loop is waiting for a lock: the connection holding it may be one of
    the engine's, whose transaction can only finish when the loop runs. So this connection has no busy
    timeout; `run` calls a batch, and when the database is busy (the batch rolled back) sleeps a little,
    asynchronously, and tries again, up to the engine's busy timeout. Same file, same pragmas."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    def connection(self) -> sqlite3.Connection:
        if self._db is None:
            db = connect_sqlite(self.path)
            db.execute("PRAGMA busy_timeout=0")
            self._db = db
        return self._db

    async def run(self, batch: Callable[[sqlite3.Connection], T]) -> T:
        """`batch(connection)`, again after a pause while the database is busy."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BUSY_TIMEOUT_MS / 1000
        delay = 0.001
        while True:
            try:
                return batch(self.connection())
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or loop.time() >= deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED, extended codes included."""
    return exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def describe(url: str) -> str:
    """Which database `url` is, for people: the SQLite file's absolute path, or the URL without its password."""
    path = sqlite_path(url)
    if path is not None:
        return f"SQLite file {path.expanduser().resolve()}"
    return make_url(url).render_as_string(hide_password=True)


def create_engine(url: str) -> AsyncEngine:
    """An async engine for `url`, creating the SQLite file's folder when needed.

    A plain `postgresql://` or `postgres://` URL is accepted and used with asyncpg.
    """
    fixed = async_database_url(url)
    if fixed != url:
        log.info("database URL: using postgresql+asyncpg:// for a plain PostgreSQL URL")
        url = fixed
    path = sqlite_path(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable(
                f"cannot create the folder {path.parent} for the SQLite database ({exc.strerror}): "
                "point STUDYBOT_DATABASE_URL at a file in a writable folder."
            ) from exc
        engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine, "before_cursor_execute", _refuse_writes_when_reading)
        return engine
    engine = create_async_engine(url, pool_pre_ping=True, connect_args={"timeout": CONNECT_TIMEOUT_S})
    event.listen(engine.sync_engine, "before_cursor_execute", _refuse_writes_when_reading)
    return engine


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    """Migrate to head under a lock held until this transaction ends.

    On PostgreSQL that is a transaction-level advisory lock; on SQLite the transaction began with
    BEGIN IMMEDIATE (see `_sqlite_begin`), which holds the write lock. Either way a second process
    starting at the same moment waits here, then finds the schema current and changes nothing.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    config = _alembic_config(connection)
    _refuse_unknown_revision(connection, config)
    command.upgrade(config, "head")


def _upgrade_sqlite(connection: Connection) -> None:
    """Migrate a SQLite database with its foreign keys off, as SQLite asks of schema changes.

    A migration that changes a table's columns on SQLite rebuilds it (alembic's batch mode: copy, drop,
    rename), and dropping a table deletes its rows first, which with foreign keys on cascades into
    every table that points at it: migration 0009 rebuilding `practice_attempts` deleted every stored
    answer. The pragma cannot change inside a transaction, so it is set on the connection before the
    migration's transaction begins, and set back before the connection returns to the pool. Rows that
    point at nothing afterwards are logged, not deleted.
    """
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")
    try:
        with connection.begin():
            _upgrade(connection)
            orphans = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if orphans:
                log.warning(
                    "database: %d rows point at rows that do not exist (first: %s); they were there before "
                    "this upgrade and are kept",
                    len(orphans),
                    tuple(orphans[0]),
                )
    finally:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _refuse_unknown_revision(connection: Connection, config: Config) -> None:
    script = ScriptDirectory.from_config(config)
    known = {rev.revision for rev in script.walk_revisions()}
    current = MigrationContext.configure(connection).get_current_heads()
    unknown = [rev for rev in current if rev not in known]
    if unknown:
        raise DatabaseAhead(
            f"the database is at schema revision {', '.join(unknown)}, which this studybot does not know "
            f"(its newest is {script.get_current_head()}): a newer studybot migrated it. "
            "Upgrade studybot on this machine (pip install -U studybot) before starting it on this database."
        )


def _current(connection: Connection) -> tuple[str | None, str | None]:
    head = ScriptDirectory.from_config(_alembic_config(connection)).get_current_head()
    return MigrationContext.configure(connection).get_current_revision(), head


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration; does nothing when it is already there.

    Raises:
        DatabaseAhead: the database is newer than this code.
        DatabaseUnavailable: the database cannot be reached or opened, with what to fix.
    """
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is not None:
        problem = sqlite_write_problem(path)
        if problem is not None:
            raise DatabaseUnavailable(problem)
    try:
        for attempt in range(1, MIGRATION_ATTEMPTS + 1):
            try:
                if engine.dialect.name == "sqlite":
                    async with engine.connect() as conn:
                        await conn.run_sync(_upgrade_sqlite)
                else:
                    async with engine.begin() as conn:
                        await conn.run_sync(_upgrade)
                break
            except OperationalError as exc:
                # Another process is migrating this SQLite file and took longer than the busy
                # timeout (a big table on a slow disk): wait for it again rather than fail to start.
                if "database is locked" not in str(exc) or attempt == MIGRATION_ATTEMPTS:
                    raise
                log.info("database is being migrated by another process; waiting (attempt %d)", attempt)
    except DatabaseUnavailable:
        raise
    except Exception as exc:
        problem = connection_problem(exc, engine.url)
        if problem is None:
            raise
        raise DatabaseUnavailable(problem) from exc


async def revision(engine: AsyncEngine) -> tuple[str | None, str | None]:
    """The database's migration revision and the newest one this code knows."""
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_current)
    except Exception as exc:
        problem = connection_problem(exc, engine.url)
        if problem is None:
            raise
        raise DatabaseUnavailable(problem) from exc


async def server_now(engine: AsyncEngine) -> dt.datetime:
    """The PostgreSQL server's clock, for the doctor to compare with this machine's (claims and reveals
    are timed by both)."""
    async with reading(engine) as conn:
        now: dt.datetime = (await conn.execute(text("SELECT now()"))).scalar_one()
    return now


def head_revision() -> str | None:
    """The newest migration this code knows."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def _sqlite_revision(path: Path) -> str | None:
    """The revision in a SQLite file, read-only: a readiness probe must never create an empty database."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)) as db:
        row = db.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


async def schema_problem(engine: AsyncEngine) -> str | None:
    """None when the database answers and its schema is this code's newest; else what is wrong.

    A SQLite file is checked by path on a fresh read-only connection: the engine's pooled
    connections would keep using a file that was moved or deleted under them.
    """
    head = head_revision()
    try:
        path = sqlite_path(engine.url.render_as_string(hide_password=False))
        if path is not None:
            if not path.is_file():
                return f"the database file {path} is missing"
            current = await asyncio.to_thread(_sqlite_revision, path)
        else:
            current, _head = await revision(engine)
    except DatabaseUnavailable as exc:
        return exc.message
    except (sqlite3.Error, OSError, SQLAlchemyError) as exc:
        return f"the database does not answer ({type(exc).__name__})"
    if current is not None and current not in _known_revisions():
        return (
            f"the database is at schema revision {current}, which this studybot does not know: "
            "upgrade studybot on this machine before starting it on this database"
        )
    if current != head:
        return f"the database is at schema revision {current}, not {head}: run `studybot db upgrade`"
    return None


def _known_revisions() -> set[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}


def pool_usage(engine: AsyncEngine) -> dict[str, int]:
    """Connections of the engine's pool by state; empty for pools that keep none (NullPool)."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return {}
    return {
        "in_use": pool.checkedout(),
        "idle": pool.checkedin(),
        "overflow": max(pool.overflow(), 0),
        "size": pool.size(),
    }


def pool_capacity(engine: AsyncEngine) -> int | None:
    """How many connections the engine's pool can hand out at once (its size plus overflow); None when
    nothing bounds it (NullPool, or unlimited overflow)."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return None
    overflow = int(getattr(pool, "_max_overflow", 0))  # SQLAlchemy keeps the setting only privately
    return None if overflow < 0 else pool.size() + overflow


def causes(exc: BaseException) -> list[BaseException]:
    """`exc` and everything it was raised from, outermost first (SQLAlchemy wraps the driver's error)."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def connection_problem(exc: BaseException, url: URL) -> str | None:
    """One sentence for a failure to reach or open the database at `url`, or None when it is not one.

    Named by type where the driver has one (asyncpg's password and unknown-database errors), by
    socket error otherwise; the URL is shown without its password.
    """
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    for cause in causes(exc):
        name = type(cause).__name__
        if name in {"InvalidPasswordError", "InvalidAuthorizationSpecificationError"}:
            return (
                f"the PostgreSQL server at {where} refused the login of user {url.username!r}: "
                "check the user name and password in STUDYBOT_DATABASE_URL."
            )
        if name == "InvalidCatalogNameError":
            return (
                f"there is no database {url.database!r} on the PostgreSQL server at {where}: create it "
                f"(createdb {url.database}) or fix the database name in STUDYBOT_DATABASE_URL."
            )
        if isinstance(cause, socket.gaierror):
            return (
                f"the database host {url.host!r} is not known (its name does not resolve): check the host "
                "in STUDYBOT_DATABASE_URL and this machine's network and DNS."
            )
        if isinstance(cause, TimeoutError) or (
            isinstance(cause, OSError)
            and cause.errno in {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT}
        ):
            return (
                f"nothing answers at {where}: check that PostgreSQL is running there and that the host "
                "and port in STUDYBOT_DATABASE_URL are right."
            )
        if isinstance(cause, sqlite3.Error):
            problem = _sqlite_problem(cause, url.database or "")
            if problem is not None:
                return problem
    return None


def _sqlite_problem(cause: sqlite3.Error, database: str) -> str | None:
    """One paragraph for a SQLite file studybot cannot use (not a database, a full disk, read-only)."""
    said = str(cause)
    folder = Path(database).parent
    if "unable to open" in said:
        return (
            f"cannot open the SQLite file {database}: check that its folder exists and is "
            "writable, or point STUDYBOT_DATABASE_URL at another file."
        )
    if "file is not a database" in said:
        return (
            f"the file {database} is not a SQLite database (it holds something else, or is damaged): "
            "restore a backup into it (`studybot db restore FILE`), or move it away so the next start creates "
            "an empty database, or point STUDYBOT_DATABASE_URL at another file."
        )
    if "database or disk is full" in said or "disk I/O error" in said:
        return (
            f"cannot write the SQLite file {database} ({said}): the disk is probably full. Free space "
            f"on the disk that holds {folder} (df -h), or point STUDYBOT_DATABASE_URL at a file on "
            "another disk, then start studybot again."
        )
    if "readonly database" in said:
        return read_only_problem(Path(database))
    return None


def read_only_problem(path: Path) -> str:
    """What to do about a SQLite file that may be read but not written."""
    return (
        f"the SQLite file {path} is read-only, so studybot could answer but never save anything: make the "
        f"file and its folder writable by this user (chmod u+w; chattr -i if it is immutable; remount the disk "
        "read-write), or point STUDYBOT_DATABASE_URL at a writable file, then start studybot again."
    )


def sqlite_write_problem(path: Path) -> str | None:
    """Why studybot could not write the existing SQLite file at `path` (the file or its folder, which
    holds the -wal and -shm, is read-only, immutable or on a read-only mount), or None.

    `os.access` asks the kernel, which also says no to root for an immutable file or a read-only mount;
    nothing is opened or changed.
    """
    if not path.exists():
        return None
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return read_only_problem(path)
    return None


class BackupSourceError(StudybotError):
    """The database to back up cannot be read (not the target's fault); `message` says which and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _open_source(source: Path) -> sqlite3.Connection:
    """A read-only connection to `source` that has really opened the file.

    A WAL database on a read-only mount cannot be opened even read-only (SQLite wants its `-shm`);
    nothing can write there, so it is opened as immutable instead. A source that still does not open
    is reported as the source's problem, not the target's.
    """
    uri = source.resolve().as_uri()
    last: sqlite3.Error | None = None
    for query in ("?mode=ro", "?mode=ro&immutable=1"):
        if query.endswith("immutable=1") and os.access(source.parent, os.W_OK):
            break  # a writable folder: another process may write, so immutable would be a lie
        src = sqlite3.connect(uri + query, uri=True)
        try:
            src.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return src
        except sqlite3.Error as exc:
            src.close()
            last = exc
    raise BackupSourceError(f"cannot read the database {source} to back it up: {last}")


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy a live SQLite database consistently with SQLite's online backup API.

    The backup API copies pages under SQLite's own locking, so the bot can keep writing while it runs;
    copying the file by hand could catch a half-written WAL. The copy is written to `<target>.partial`
    and renamed over `target` when complete; on any failure (a full disk) the partial file is removed.
    The target's folder must exist. Returns the number of pages copied.

    Raises:
        BackupSourceError: `source` is missing or cannot be read.
        OSError, sqlite3.Error: the target cannot be written.
    """
    if not source.is_file():
        raise BackupSourceError(f"no database at {source}")
    tmp = target.with_suffix(target.suffix + ".partial")
    tmp.unlink(missing_ok=True)
    src = _open_source(source)
    try:
        with contextlib.closing(sqlite3.connect(tmp)) as dst:
            src.backup(dst)
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
            dst.execute("PRAGMA journal_mode=DELETE")
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        for tail in ("-journal", "-wal", "-shm"):
            tmp.with_name(tmp.name + tail).unlink(missing_ok=True)
        raise
    finally:
        src.close()
    return int(pages)


SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file
_SHM_DMS_BYTE = 128  # SQLite's unix VFS: each open connection holds a read lock on this byte of -shm


@dataclasses.dataclass(frozen=True, slots=True)
class SqliteFile:
    """What `inspect_sqlite` found: `problem` when the file is no intact SQLite database; else its
    tables, its schema revision (None without one) and whether this code's migrations know it."""

    problem: str | None
    tables: frozenset[str] = frozenset()
    revision: str | None = None
    known: bool = True


def inspect_sqlite(path: Path) -> SqliteFile:
    """Look into a SQLite file read-only (never creating it): header, `PRAGMA quick_check`, tables, revision."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode) and not os.path.isdir(path):
            return SqliteFile(f"{path} is not a regular file")  # a FIFO would hang the read below
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return SqliteFile(f"there is no file {path}")
    except IsADirectoryError:
        return SqliteFile(f"{path} is a folder, not a database file")
    except PermissionError:
        return SqliteFile(f"{path} cannot be read (permission denied)")
    except OSError as exc:
        return SqliteFile(f"{path} cannot be read ({exc.strerror or exc})")
    if header != SQLITE_HEADER:
        return SqliteFile(f"{path} is not a SQLite database")
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            (check,) = db.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                return SqliteFile(f"{path} is a damaged SQLite database ({check})")
            tables = frozenset(str(row[0]) for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
            row = (
                db.execute("SELECT version_num FROM alembic_version").fetchone()
                if "alembic_version" in tables
                else None
            )
    except sqlite3.DatabaseError as exc:  # a SQLite header, then pages SQLite cannot read
        return SqliteFile(f"{path} is a damaged SQLite database ({exc})")
    revision = None if row is None else str(row[0])
    return SqliteFile(None, tables, revision, revision is None or revision in _known_revisions())


def sqlite_in_use(path: Path) -> bool:
    """Whether some other process has the SQLite database at `path` open (a running bot, a CLI command).

    Every connection to a WAL database (studybot opens them all in WAL) holds a shared POSIX lock on
    one byte of the `-shm` file for as long as it is open, idle or not. A non-blocking exclusive lock
    on that byte fails exactly when another process holds one; it is released at once. POSIX locks
    belong to a process and closing any descriptor of the file drops them, so call this before this
    process opens the database itself. Without a `-shm` file no connection is open in WAL mode.
    """
    import fcntl  # POSIX only; studybot's SQLite deployments are Linux and macOS

    try:
        descriptor = os.open(path.with_name(path.name + "-shm"), os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_BYTE)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return True
        raise
    else:
        fcntl.lockf(descriptor, fcntl.LOCK_UN, 1, _SHM_DMS_BYTE)
        return False
    finally:
        os.close(descriptor)


def restore_sqlite(source: Path, target: Path) -> int:
    """Replace the database at `target` with `source`'s content, through SQLite's backup API.

    The copy is written by a connection to `target` itself, so SQLite keeps its journal consistent:
    copying the file over it would leave the old `-wal` to be replayed onto the new content. The
    target leaves WAL first (nothing else may have it open), so differing page sizes copy too.
    Returns the number of pages copied.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        contextlib.closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as src,
        contextlib.closing(sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000)) as dst,
    ):
        dst.execute("PRAGMA journal_mode=DELETE")
        src.backup(dst)
        (pages,) = dst.execute("PRAGMA page_count").fetchone()
    return int(pages)
