"""What every command shares: the database URL, a lazily opened engine, migrated on first use."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.cli.errors import UserError
from jkwatch.db.engine import (
    check_connection,
    describe_url,
    make_engine,
    make_sessionmaker,
    resolve_database_url,
)
from jkwatch.db.migrate import current_revision, upgrade


@dataclass
class AppContext:
    """Per-invocation state held in ``click.Context.obj``."""

    db_option: str | None = None
    _engine: Engine | None = field(default=None, repr=False)
    _reader: Engine | None = field(default=None, repr=False)

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

    def read_only_sessions(self) -> sessionmaker[Session]:
        """Sessions on the configured database, opened read-only: never created or migrated.

        A database that does not exist (no SQLite file, no PostgreSQL database, or one without
        the jkwatch schema) is a usage error: the command says so and exits 2.
        """
        if self._reader is None:
            engine = make_engine(self.database_url, read_only=True)
            try:
                check_connection(engine)
                revision = current_revision(engine)
            except Exception:
                engine.dispose()
                raise
            if revision is None:
                engine.dispose()
                raise UserError(
                    f"no jkwatch database at {describe_url(self.database_url)}: "
                    "run `jkwatch db upgrade` or `jkwatch ingest` first"
                )
            self._reader = engine
        return make_sessionmaker(self._reader)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.dispose()
            self._reader = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
