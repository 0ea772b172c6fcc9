"""What every command shares: the database URL and the two ways of opening it.

``sessions()`` is for commands that write: the engine is opened lazily and the schema created
or upgraded on first use. ``read_only_sessions()`` is for commands that only read (``status``,
``export``, ``feeds list``, ``labels export``, ``brief``, ...): it never creates a database nor
migrates one. A SQLite file that does not exist, a PostgreSQL database that does not exist, or
one without the jkwatch schema is a usage error (one line, exit 2) that says to run
``jkwatch db upgrade``, instead of an empty database created behind the user's back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import click
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.cli.usage import OneLineUsageError
from jkwatch.db.engine import (
    check_connection,
    describe_url,
    make_engine,
    make_sessionmaker,
    resolve_database_url,
    sqlite_file,
)
from jkwatch.db.errors import DatabaseUnavailable
from jkwatch.db.migrate import current_revision, head_revision, upgrade


class MissingDatabase(OneLineUsageError):
    """A read-only command pointed at a database that does not exist (or holds no jkwatch)."""


def missing_database(message: str) -> MissingDatabase:
    """The usage error of a missing database, naming the running command when there is one."""
    ctx = click.get_current_context(silent=True)
    path = ctx.command_path if ctx is not None and ctx.command_path else "jkwatch"
    return MissingDatabase(f"{path}: {message}", ctx)


@dataclass
class AppContext:
    """Per-invocation state held in ``click.Context.obj``."""

    db_option: str | None = None
    _engine: Engine | None = field(default=None, repr=False)
    _read_engine: Engine | None = field(default=None, repr=False)

    @property
    def database_url(self) -> str:
        return resolve_database_url(self.db_option)

    def engine(self, migrate: bool = True) -> Engine:
        """The writer engine; the schema is upgraded automatically the first time."""
        if self._engine is None:
            engine = make_engine(self.database_url)
            check_connection(engine)
            if migrate:
                upgrade(engine)
            self._engine = engine
        return self._engine

    def sessions(self) -> sessionmaker[Session]:
        return make_sessionmaker(self.engine())

    def existing_engine(self) -> Engine:
        """A read-only engine on the configured database, which must exist with a jkwatch schema
        (at any revision); otherwise ``MissingDatabase``. Nothing is created or migrated."""
        if self._read_engine is not None:
            return self._read_engine
        url = self.database_url
        shown = describe_url(url)
        path = sqlite_file(url)
        if path is not None and not path.is_file():
            raise missing_database(
                f"no database at {path} (run `jkwatch db upgrade` to create it, or "
                "`jkwatch ingest` to collect items into it; or give the right --db URL)"
            )
        engine = make_engine(url, read_only=True)
        try:
            check_connection(engine)
        except DatabaseUnavailable as exc:
            engine.dispose()
            text = str(exc)
            if 'database "' in text and "does not exist" in text:  # PostgreSQL: no such database
                raise missing_database(
                    f"the database {shown} does not exist (create it, e.g. `createdb`, then "
                    "run `jkwatch db upgrade`)"
                ) from None
            raise
        if current_revision(engine) is None:
            engine.dispose()
            raise missing_database(
                f"the database {shown} holds no jkwatch schema (run `jkwatch db upgrade` first)"
            )
        self._read_engine = engine
        return engine

    def read_only_sessions(self) -> sessionmaker[Session]:
        """Sessions on the configured database opened read-only, neither created nor migrated.

        ``MissingDatabase`` (a usage error: one line, exit 2) when it does not exist, holds no
        jkwatch schema, or holds an older (or newer) one than this jkwatch reads.
        """
        engine = self.existing_engine()
        revision, head = current_revision(engine), head_revision()
        if revision != head:
            raise missing_database(
                f"the database {describe_url(self.database_url)} is at schema revision "
                f"{revision}, this jkwatch reads {head} (run `jkwatch db upgrade`)"
            )
        return make_sessionmaker(engine)

    def close(self) -> None:
        for engine in (self._engine, self._read_engine):
            if engine is not None:
                engine.dispose()
        self._engine = None
        self._read_engine = None
