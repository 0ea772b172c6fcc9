"""Shared fixtures: real SQLite and PostgreSQL databases migrated by Alembic, a local feed
server, the shipped tagger, and the seeded dashboard corpus.

Database tests take the ``db_url`` fixture (or ``engine``/``sessions`` on top of it), which
runs each test on both backends; every PostgreSQL test gets its own schema
(``tests.databases``). Plain helpers live in support modules, one home each:
``tests.factories`` (entries, feed documents, stored feeds, the tagger), ``tests.feedserver``
(the HTTP server), ``tests.processes`` (running jkwatch, ports, polling),
``tests.seed_dashboard`` (the dashboard corpus), ``tests.reliability_support`` (memory, runs).

The suite runs under pytest-xdist, so nothing here may depend on the order of tests or share
writable state between them: each test has its own files (``tmp_path``), schemas and ports.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from jkwatch.ingest.tagging import Tagger
from tests.databases import postgres_schema
from tests.factories import shared_tagger
from tests.feedserver import FeedServer
from tests.seed_dashboard import seeded_database

# The user's own settings must not leak into the suite (or into the jkwatch processes it starts).
USER_SETTINGS = (
    "JKWATCH_DATABASE_URL",
    "JKWATCH_THEMES",
    "JKWATCH_FEEDS",
    "JKWATCH_EVENTS",
    "JKWATCH_CONFIG_DIR",
    "JKWATCH_ALERTS",
    "JKWATCH_BACKFILL_DAYS",
    "JKWATCH_ANALYST",
)


def pytest_configure(config: pytest.Config) -> None:
    for name in USER_SETTINGS:
        os.environ.pop(name, None)


# -- databases -------------------------------------------------------------------------------


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose ``search_path`` is a fresh, empty schema dropped afterwards."""
    with postgres_schema() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'jkwatch.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jkwatch.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite file migrated once per test process by the real ``upgrade``."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()  # the last connection checkpoints the WAL: the file alone is the database
    return path


@pytest.fixture
def engine(db_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated, empty database on each backend.

    On SQLite a byte copy of a file the real ``upgrade`` made once (migrating costs more than
    most tests); ``upgrade`` then finds it at head and does nothing. PostgreSQL migrates each
    fresh schema.
    """
    if db_url.startswith("sqlite:///"):
        template: Path = request.getfixturevalue("migrated_sqlite_template")
        shutil.copyfile(template, db_url.removeprefix("sqlite:///"))
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture(scope="session")
def seeded_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Factory: ``seeded_url("sqlite")`` / ``("postgresql")`` is a database holding
    ``seed_dashboard.corpus()``, built once per test process and shared.

    For read-only tests only (queries, dashboard pages, the browser): seeding costs more than
    most of those tests, and nothing they do changes the rows.
    """
    built: dict[str, str] = {}
    with ExitStack() as stack:

        def url_for(backend: str) -> str:
            if backend not in built:
                directory = tmp_path_factory.mktemp(f"seeded-{backend}")
                built[backend] = stack.enter_context(seeded_database(backend, directory))
            return built[backend]

        yield url_for


# -- feeds and tagging -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_feed_server() -> Iterator[FeedServer]:
    """One local HTTP server per test module."""
    with FeedServer() as server:
        yield server


@pytest.fixture
def feed_server(shared_feed_server: FeedServer) -> FeedServer:
    """The module's server with no routes and no recorded requests."""
    shared_feed_server.reset()
    return shared_feed_server


@pytest.fixture(scope="session")
def tagger() -> Tagger:
    """The shipped taxonomy's tagger, built once (tagging is read-only)."""
    return shared_tagger()
