"""Shared fixtures: real SQLite and real PostgreSQL databases, migrated by Alembic.

Database tests take the ``db_url`` fixture, which runs each test on both backends. Every
PostgreSQL test gets its own schema (``search_path`` in the URL), so tests never see each
other's rows and subprocesses started by a test reach the same schema through the URL.
PostgreSQL comes from ``$JKWATCH_TEST_PG_URL`` (``.ci/run`` sets it); outside CI a missing
server skips those tests with the reason, in CI (``CI=true``) it fails them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from tests.feedserver import FeedServer

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pg_base_url() -> str:
    return os.environ.get("JKWATCH_TEST_PG_URL") or DEFAULT_PG_URL


_pg_problem: str | None = None
_pg_checked = False


def _pg_unavailable_reason() -> str | None:
    global _pg_checked, _pg_problem
    if not _pg_checked:
        _pg_checked = True
        try:
            engine = create_engine(pg_base_url(), connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
            _pg_problem = f"PostgreSQL not reachable at {pg_base_url()}: {str(exc).splitlines()[0]}"
    return _pg_problem


def require_postgres() -> None:
    reason = _pg_unavailable_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose ``search_path`` is a fresh, empty schema dropped afterwards."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_base_url())
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in pg_base_url() else "?"
    url = f"{pg_base_url()}{separator}options={quote(f'-csearch_path={schema}')}"
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'jkwatch.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jkwatch.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture(scope="module")
def shared_feed_server() -> Iterator[FeedServer]:
    """One local HTTP server per test module: shutting one down costs half a second."""
    with FeedServer() as server:
        yield server


@pytest.fixture
def feed_server(shared_feed_server: FeedServer) -> FeedServer:
    """The module's server with no routes and no recorded requests."""
    shared_feed_server.reset()
    return shared_feed_server
