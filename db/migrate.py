"""Schema migrations (Alembic), run programmatically.

Every command that needs the database calls ``upgrade`` first, so users never run a
separate step after installing a new version. On PostgreSQL an advisory lock serialises
workers that start at the same moment; on SQLite the writer lock does the same.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from jkwatch.db.engine import describe_url
from jkwatch.db.errors import DatabaseUnavailable, MigrationError
from jkwatch.errors import first_line

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 0x6A6B7761  # "jkwa": any constant shared by all jkwatch processes


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision this version of jkwatch knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise MigrationError("no migrations found")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; a no-op when it is already there."""
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            if MigrationContext.configure(conn).get_current_revision() == head_revision():
                return
            command.upgrade(_config(conn), revision)
    except (OperationalError, DBAPIError) as exc:
        if getattr(exc, "connection_invalidated", False) or _is_connect_error(exc):
            raise DatabaseUnavailable(
                f"cannot connect to {describe_url(str(engine.url))}: {first_line(exc.orig or exc)}"
            ) from exc
        raise MigrationError(f"schema upgrade failed: {first_line(exc.orig or exc)}") from exc


def _is_connect_error(exc: DBAPIError) -> bool:
    message = str(exc.orig or exc).lower()
    return any(
        hint in message
        for hint in (
            "connection refused",
            "could not connect",
            "unable to open",
            "timeout expired",
            "name or service not known",
            "does not exist",
            "no such host",
        )
    )
