"""Test databases: where PostgreSQL is, whether it answers, and a fresh schema per user.

Every PostgreSQL test gets its own schema (``search_path`` in the URL), so tests never see
each other's rows, parallel workers never collide, and subprocesses started by a test reach
the same schema through the URL. PostgreSQL comes from ``$JKWATCH_TEST_PG_URL``; outside CI a
missing server skips those tests with the reason, in CI (``CI=true``) it fails them.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SQLITE_ONLY = os.environ.get("JKWATCH_TEST_ENGINES", "").strip().lower() == "sqlite"
"""``JKWATCH_TEST_ENGINES=sqlite`` (``make test-fast``): skip the PostgreSQL half on purpose, even
in CI; ``make test`` always runs both engines."""


def pg_base_url() -> str:
    return os.environ.get("JKWATCH_TEST_PG_URL") or DEFAULT_PG_URL


@functools.cache
def _pg_unavailable_reason() -> str | None:
    """Why PostgreSQL cannot be used (asked once per test process), or None."""
    try:
        engine = create_engine(pg_base_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"PostgreSQL not reachable at {pg_base_url()}: {str(exc).splitlines()[0]}"
    return None


def require_postgres() -> None:
    """Skip the calling test without PostgreSQL (fail it in CI)."""
    if SQLITE_ONLY:
        pytest.skip("PostgreSQL tests are off (JKWATCH_TEST_ENGINES=sqlite; make test runs them)")
    reason = _pg_unavailable_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A PostgreSQL URL whose ``search_path`` is a fresh, empty schema, dropped afterwards."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_base_url())
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in pg_base_url() else "?"
        try:
            yield f"{pg_base_url()}{separator}options={quote(f'-csearch_path={schema}')}"
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()
