"""Plain SQL through the DB-API driver, for the write paths that handle millions of rows.

SQLAlchemy's per-row parameter processing (bind processors, dict building) cost more than
SQLite's own work in ``retag``. These helpers hand tuples straight to the driver's
``executemany``/``execute``. Statements are written once with ``?`` placeholders and
put into the driver's own paramstyle by ``db.dialect.driver_statement``; values must already
be what the driver stores (``db.dialect.driver_day`` for days; JSON as text on both).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session

from jkwatch.db.dialect import driver_statement

IN_CHUNK = 500
"""Values per ``IN (...)`` list: well under SQLite's variable limit."""


def _native(session: Session, sql: str) -> str:
    return driver_statement(session.get_bind().dialect, sql)


def run_many(session: Session, sql: str, rows: Sequence[tuple]) -> None:
    """``executemany`` of ``sql`` (``?`` placeholders) over ``rows``; nothing if empty."""
    if rows:
        session.connection().exec_driver_sql(_native(session, sql), list(rows))


def fetch(session: Session, sql: str, params: tuple = ()) -> list[tuple]:
    """All rows of one query as the driver's own tuples (no result wrapping or processing)."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(_native(session, sql), params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def fetch_in(session: Session, sql: str, values: Sequence[Any]) -> Iterator[tuple]:
    """Rows of ``sql`` whose ``{in}`` stands for an ``IN`` list, over ``values`` in chunks."""
    for start in range(0, len(values), IN_CHUNK):
        chunk = tuple(values[start : start + IN_CHUNK])
        marks = ", ".join("?" * len(chunk))
        yield from fetch(session, sql.format(**{"in": marks}), chunk)
