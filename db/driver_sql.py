"""Plain SQL through the DB-API driver, for the write paths that handle millions of rows.

SQLAlchemy's per-row parameter processing (bind processors, dict building) cost more than
SQLite's own work in ``retag``. These helpers hand tuples straight to the driver's
``executemany``/``execute``. Statements are written once with ``?`` placeholders and
rewritten to ``%s`` for psycopg; values must already be what the driver stores: dates as
ISO text on SQLite (how SQLAlchemy's ``Date`` stores them), JSON as text on both.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session

IN_CHUNK = 500
"""Values per ``IN (...)`` list: well under SQLite's variable limit."""


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _native(session: Session, sql: str) -> str:
    return sql if is_sqlite(session) else sql.replace("?", "%s")


def run_many(session: Session, sql: str, rows: Sequence[tuple]) -> None:
    """``executemany`` of ``sql`` (``?`` placeholders) over ``rows``; nothing if empty."""
    if rows:
        session.connection().exec_driver_sql(_native(session, sql), list(rows))


def fetch(session: Session, sql: str, params: tuple = ()) -> list[tuple]:
    """All rows of one query as the driver's own tuples (no result wrapping or processing)."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(_native(session, sql), params)
        return cursor.fetchall()
    finally:
        cursor.close()


def fetch_in(session: Session, sql: str, values: Sequence[Any]) -> Iterator[tuple]:
    """Rows of ``sql`` whose ``{in}`` stands for an ``IN`` list, over ``values`` in chunks."""
    for start in range(0, len(values), IN_CHUNK):
        chunk = tuple(values[start : start + IN_CHUNK])
        marks = ", ".join("?" * len(chunk))
        yield from fetch(session, sql.format(**{"in": marks}), chunk)
