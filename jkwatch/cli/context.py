"""What every command shares: the database URL, a lazily opened engine, migrated on first use."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db.engine import check_connection, make_engine, make_sessionmaker, resolve_database_url
from jkwatch.db.migrate import upgrade


@dataclass
class AppContext:
    """Per-invocation state held in ``click.Context.obj``."""

    db_option: str | None = None
    _engine: Engine | None = field(default=None, repr=False)

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

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
