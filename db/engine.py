"""Engine factory: one place that knows how to open SQLite and PostgreSQL properly.

SQLite is the embedded default. Every connection gets WAL (readers never block the writer),
foreign keys and a busy timeout; writer transactions start with ``BEGIN IMMEDIATE`` so two
writers queue on the busy timeout instead of failing on a lock upgrade. Readers (the
dashboard) open the file read-only. PostgreSQL URLs are routed to the psycopg 3 driver.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from jkwatch.db.errors import DatabaseConfigError, DatabaseUnavailable
from jkwatch.errors import first_line

ENV_VAR = "JKWATCH_DATABASE_URL"
DEFAULT_SQLITE_PATH = Path("data") / "jkwatch.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def resolve_database_url(cli_value: str | None = None, cwd: Path | None = None) -> str:
    """``--db``, else ``$JKWATCH_DATABASE_URL``, else a SQLite file under ``data/``."""
    if cli_value:
        return cli_value
    env_value = os.environ.get(ENV_VAR, "").strip()
    if env_value:
        return env_value
    base = cwd or Path.cwd()
    return f"sqlite:///{(base / DEFAULT_SQLITE_PATH).resolve()}"


def describe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


@dataclass(frozen=True)
class _Target:
    url: URL
    backend: str  # "sqlite" or "postgresql"


def _parse(url: str) -> _Target:
    raw = url.strip()
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://") :]
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise DatabaseConfigError(
            f"not a database URL: {url!r} (expected sqlite:///path/to/file.db or "
            "postgresql://user@host/dbname)"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.drivername not in ("sqlite", "sqlite+pysqlite"):
            raise DatabaseConfigError(f"unsupported SQLite driver {parsed.drivername!r}")
        return _Target(parsed.set(drivername="sqlite+pysqlite"), "sqlite")
    if backend == "postgresql":
        return _Target(parsed.set(drivername="postgresql+psycopg"), "postgresql")
    raise DatabaseConfigError(
        f"unsupported database scheme {parsed.drivername!r} in {describe_url(url)}: "
        "use sqlite:///path/to/file.db or postgresql://user@host/dbname"
    )


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (``None`` for PostgreSQL, in-memory and URI databases)."""
    target = _parse(url)
    return _sqlite_file(target) if target.backend == "sqlite" else None


def _sqlite_file(target: _Target) -> Path | None:
    database = target.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _prepare_sqlite_directory(path: Path) -> None:
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseConfigError(
            f"cannot create the data directory {directory}: {exc.strerror or exc}"
        ) from exc
    if not os.access(directory, os.W_OK | os.X_OK):
        raise DatabaseConfigError(f"the data directory {directory} is not writable")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise DatabaseConfigError(f"the database file {path} is not readable and writable")


def make_engine(
    url: str, read_only: bool = False, busy_timeout_ms: int | None = None, **kwargs: Any
) -> Engine:
    """Create an engine for ``url``; SQLite gets its pragmas, readers get read-only access.

    ``busy_timeout_ms`` is how long a SQLite writer waits for another writer's lock before
    giving up (default ``SQLITE_BUSY_TIMEOUT_MS``); ignored on PostgreSQL.
    """
    from sqlalchemy import create_engine

    target = _parse(url)
    if target.backend == "sqlite":
        timeout = SQLITE_BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
        return _make_sqlite_engine(target, read_only, timeout, **kwargs)
    connect_args: dict[str, Any] = {"connect_timeout": 10, "application_name": "jkwatch"}
    if read_only:
        # Keep any options given in the URL (tests pass a search_path that way).
        given = target.url.query.get("options", "")
        given = given if isinstance(given, str) else " ".join(given)
        connect_args["options"] = f"{given} -c default_transaction_read_only=on".strip()
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(target.url, connect_args=connect_args, **kwargs)


def _make_sqlite_engine(
    target: _Target, read_only: bool, busy_timeout_ms: int, **kwargs: Any
) -> Engine:
    from sqlalchemy import create_engine

    path = _sqlite_file(target)
    connect_args: dict[str, Any] = {"timeout": busy_timeout_ms / 1000}
    url = target.url
    if path is not None:
        if read_only:
            if not path.exists():
                raise DatabaseConfigError(
                    f"no database at {path}: run `jkwatch db upgrade` or `jkwatch ingest` first"
                )
            url = url.set(database=f"file:{path.resolve()}?mode=ro", query={"uri": "true"})
        else:
            _prepare_sqlite_directory(path)
    if path is None:
        # An in-memory or URI database lives in its connection: never pool-recycle it.
        kwargs.setdefault("poolclass", NullPool)
    # File databases keep pooled connections open: closing the last connection to a WAL
    # database checkpoints it (an fsync), which made every per-feed commit cost ~25 ms.
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Take over transaction control from the sqlite3 module (see "begin" below).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        else:
            cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def check_connection(engine: Engine) -> None:
    """Open one connection, or raise ``DatabaseUnavailable`` with a one-line reason."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError) as exc:
        raise DatabaseUnavailable(
            f"cannot connect to {describe_url(str(engine.url))}: {first_line(exc.orig or exc)}"
        ) from exc


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that do not expire objects on commit (callers get dataclasses, not ORM rows)."""
    return sessionmaker(engine, expire_on_commit=False)


def backend_name(engine_or_session: Engine | Session) -> str:
    """``"sqlite"`` or ``"postgresql"``: the one question callers may ask about the backend."""
    bind = (
        engine_or_session.get_bind()
        if isinstance(engine_or_session, Session)
        else engine_or_session
    )
    return bind.dialect.name


SQLITE_DEFAULT_CACHE_PAGES = -2000  # SQLite's compiled-in default: 2,000 KiB
BULK_CACHE_MIB = 512
BULK_CHECKPOINT_PAGES = 100_000
BULK_WAL_LIMIT_MIB = 64


def tune_for_bulk_writes(session: Session) -> None:
    """Set this SQLite connection up for a job that rewrites rows all over the file (``retag``).

    SQLite's default 2 MiB page cache made such a job re-read index pages from the OS and
    spill dirty pages mid-transaction; and checkpointing the WAL every 1,000 pages (the
    default) copied the same hot index pages back into the file after nearly every batch.
    A 512 MiB cache (used only as pages are touched) and a checkpoint every ~400 MiB of WAL
    write each page back once per several batches; ``journal_size_limit`` shrinks the WAL
    file again after each checkpoint. Durability is unchanged (every commit is still in the
    WAL). Lasts as long as the connection; see ``end_bulk_writes``. A no-op on PostgreSQL.
    """
    if backend_name(session) != "sqlite":
        return
    connection = session.connection()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_MIB * 1024}")
    connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
    connection.exec_driver_sql(f"PRAGMA journal_size_limit = {BULK_WAL_LIMIT_MIB * 1024 * 1024}")


def end_bulk_writes(session: Session) -> None:
    """Give a pooled connection back its everyday settings after ``tune_for_bulk_writes``."""
    if backend_name(session) != "sqlite":
        return
    connection = session.connection()
    connection.exec_driver_sql(f"PRAGMA cache_size = {SQLITE_DEFAULT_CACHE_PAGES}")
    connection.exec_driver_sql("PRAGMA wal_autocheckpoint = 1000")
    connection.exec_driver_sql("PRAGMA journal_size_limit = -1")
