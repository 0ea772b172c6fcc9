"""Every difference between SQLite and PostgreSQL, as SQLAlchemy constructs.

Query modules build their statements from these and never ask which backend they run on:
each construct is compiled per dialect (``@compiles``), or is written so that both dialects
accept it. This is the only module in ``db`` (with ``engine`` for connection set-up and the
migrations) that knows the two backends apart.

* ``insert_ignore``: ``INSERT ... ON CONFLICT DO NOTHING`` (the same words on both).
* ``upsert_adding``: ``INSERT ... ON CONFLICT (keys) DO UPDATE SET n = t.n + excluded.n``.
* ``id_in``: a column among a list of ids bound as ONE parameter: ``= ANY(array)`` on
  PostgreSQL (primary-key probes), ``IN (SELECT value FROM json_each(?))`` on SQLite.
* ``json_array_elements``: the elements of a JSON array column as rows, with an object test
  and text fields (``json_array_elements``/``->>`` vs ``json_each``/``json_extract``).
* ``text_match`` and ``text_matches_up_to``: full-text search, FTS5 (``items_fts``) on
  SQLite, the ``items.search_vector`` tsvector on PostgreSQL; user text is always bound.
* ``period_start``: the first day of the week or month of a date column.
* ``claim_lock``: ``FOR UPDATE SKIP LOCKED`` for claims (SQLite, one writer, renders none).
* ``driver_statement``: a ``?``-placeholder statement in the DB-API driver's paramstyle.
* ``serial``: no parallel workers for the enclosed queries (PostgreSQL; SQLite has none).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Boolean,
    ClauseElement,
    Date,
    Integer,
    String,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import TableClause, TableValuedAlias
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import ARRAY, TypeDecorator, TypeEngine

Expression = ColumnElement[Any] | QueryableAttribute[Any]
"""A Core column expression, or an ORM attribute such as ``Item.id``."""


def _clause(expression: Any) -> Any:
    """The Core column behind an ORM attribute (``Item.id``), or the expression itself."""
    return (
        expression.__clause_element__() if hasattr(expression, "__clause_element__") else expression
    )


GRAINS = ("day", "week", "month")
FTS_TABLE = "items_fts"
"""SQLite's FTS5 table over ``items.search_text`` (rowid = item id; migration 0001)."""
SEARCH_VECTOR = "search_vector"
"""PostgreSQL's generated tsvector column of ``items`` (migration 0001)."""
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_sqlite(session: Session) -> bool:
    """Whether ``session`` runs on SQLite (for driver-level writers that must still know)."""
    return session.get_bind().dialect.name == "sqlite"


@contextmanager
def serial(session: Session) -> Iterator[None]:
    """No parallel workers for the queries run inside (PostgreSQL; nothing on SQLite).

    For walks that stop after a page: the planner prices them as the whole index and may start
    workers whose start-up costs more than the walk (entity search over all history at 1M
    items: 65 ms with two workers, 7 ms without). Local to the transaction, and put back.
    """
    if is_sqlite(session):
        yield
        return
    session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    try:
        yield
    finally:
        session.execute(text("RESET max_parallel_workers_per_gather"))


# --- inserts ------------------------------------------------------------------------------


class _OnConflictDoNothing(ClauseElement):
    """``ON CONFLICT DO NOTHING``: written after ``VALUES`` and before any ``RETURNING``."""

    _traverse_internals: list[tuple[str, Any]] = []


class _OnConflictAdd(ClauseElement):
    """``ON CONFLICT (keys) DO UPDATE SET n = table.n + excluded.n`` for each counter."""

    _traverse_internals = [
        ("table", InternalTraversal.dp_string),
        ("keys", InternalTraversal.dp_string_list),
        ("counters", InternalTraversal.dp_string_list),
    ]

    def __init__(self, table: str, keys: Sequence[str], counters: Sequence[str]) -> None:
        self.table = table
        self.keys = tuple(keys)
        self.counters = tuple(counters)


def insert_ignore(table: TableClause) -> Insert:
    """``INSERT`` that skips rows clashing with a unique constraint (a concurrent writer won)."""
    statement = insert(table)
    statement._post_values_clause = _OnConflictDoNothing()
    return statement


def upsert_adding(table: TableClause, keys: Sequence[str], counters: Sequence[str]) -> Insert:
    """``INSERT`` that, on a clash on ``keys``, adds the row's ``counters`` to the stored row."""
    statement = insert(table)
    statement._post_values_clause = _OnConflictAdd(table.name, keys, counters)
    return statement


# SQLite (3.24+) and PostgreSQL spell both the same way.
@compiles(_OnConflictDoNothing)
def _compile_do_nothing(element: _OnConflictDoNothing, compiler: SQLCompiler, **kw: Any) -> str:
    return "ON CONFLICT DO NOTHING"


@compiles(_OnConflictAdd)
def _compile_add(element: _OnConflictAdd, compiler: SQLCompiler, **kw: Any) -> str:
    quote = compiler.preparer.quote
    table = compiler.preparer.quote(element.table)
    sets = ", ".join(
        f"{quote(name)} = {table}.{quote(name)} + excluded.{quote(name)}"
        for name in element.counters
    )
    keys = ", ".join(quote(name) for name in element.keys)
    return f"ON CONFLICT ({keys}) DO UPDATE SET {sets}"


# --- id lists -----------------------------------------------------------------------------


class _IdList(TypeDecorator[list[int]]):
    """A list of ids as one bound value: an integer array, or JSON text for ``json_each``."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Integer))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        ids = [int(v) for v in value or ()]
        return ids if dialect.name == "postgresql" else json.dumps(ids)


class _IdIn(ColumnElement[bool]):
    type = Boolean()
    _is_implicitly_boolean = True  # a predicate: no `= 1` on SQLite
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Expression, ids: Iterable[int]) -> None:
        self.column = _clause(column)
        self.ids = bindparam(None, list(ids), type_=_IdList(), unique=True)


def id_in(column: Expression, ids: Iterable[int]) -> ColumnElement[bool]:
    """``column`` among ``ids``, however many, bound as one parameter (not one per id)."""
    return _IdIn(column, ids)


@compiles(_IdIn, "postgresql")
def _compile_id_in_pg(element: _IdIn, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY ({compiler.process(element.ids, **kw)})"


@compiles(_IdIn)
def _compile_id_in(element: _IdIn, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(element.ids, **kw)}))"


# --- JSON ---------------------------------------------------------------------------------


class _json_elements(FunctionElement[Any]):  # noqa: N801 - SQLAlchemy's naming for functions
    name = "json_elements"
    inherit_cache = True


@compiles(_json_elements, "postgresql")
def _compile_json_elements_pg(element: _json_elements, compiler: SQLCompiler, **kw: Any) -> str:
    # ``json`` (not ``jsonb``): its own functions avoid a cast per row.
    return f"json_array_elements({compiler.process(element.clauses, **kw)})"


@compiles(_json_elements)
def _compile_json_elements(element: _json_elements, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"


class _JsonIsObject(ColumnElement[bool]):
    type = Boolean()
    _is_implicitly_boolean = True  # a predicate: no `= 1` on SQLite
    _traverse_internals = [
        ("value", InternalTraversal.dp_clauseelement),
        ("kind", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, value: ColumnElement[Any], kind: ColumnElement[Any]) -> None:
        self.value = value
        self.kind = kind


@compiles(_JsonIsObject, "postgresql")
def _compile_is_object_pg(element: _JsonIsObject, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_typeof({compiler.process(element.value, **kw)}) = 'object'"


@compiles(_JsonIsObject)
def _compile_is_object(element: _JsonIsObject, compiler: SQLCompiler, **kw: Any) -> str:
    # json_each's own ``type`` column: a string element's ``value`` is not JSON text.
    return f"{compiler.process(element.kind, **kw)} = 'object'"


class _JsonText(ColumnElement[str]):
    type = String()
    _traverse_internals = [
        ("value", InternalTraversal.dp_clauseelement),
        ("key", InternalTraversal.dp_string),
    ]

    def __init__(self, value: ColumnElement[Any], key: str) -> None:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a plain JSON key: {key!r}")
        self.value = value
        self.key = key


# The key is written into the SQL (it is checked above): GROUP BY must repeat the SELECT's
# expression exactly, which two separately bound parameters would not.
@compiles(_JsonText, "postgresql")
def _compile_json_text_pg(element: _JsonText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.value, **kw)} ->> '{element.key}')"


@compiles(_JsonText)
def _compile_json_text(element: _JsonText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_extract({compiler.process(element.value, **kw)}, '$.{element.key}')"


@dataclass(frozen=True)
class JsonElements:
    """The elements of a JSON array as rows: join ``table``, then test and read them."""

    table: TableValuedAlias

    def is_object(self) -> ColumnElement[bool]:
        return _JsonIsObject(self.table.c.value, self.table.c.type)

    def text(self, key: str) -> ColumnElement[str]:
        """The element's ``key`` as text (NULL when absent); only ask this of objects."""
        return _JsonText(self.table.c.value, key)


def json_array_elements(column: Expression) -> JsonElements:
    """One row per element of the JSON array in ``column`` (join it with ``true()``)."""
    return JsonElements(_json_elements(column).table_valued("value", "type"))


# --- full-text search ---------------------------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    """One search term as index tokens; ``prefix`` matches a lone character inside bigrams."""

    tokens: tuple[str, ...]
    prefix: bool = False


def fts5_expression(phrases: Sequence[Phrase]) -> str | None:
    """An FTS5 MATCH string of quoted phrases only (implicitly AND-ed): no operator survives."""
    parts = []
    for phrase in phrases:
        quoted = '"' + " ".join(tok.replace('"', '""') for tok in phrase.tokens) + '"'
        parts.append(quoted + "*" if phrase.prefix else quoted)
    return " AND ".join(parts) or None


def _tsquery_text(phrase: Phrase) -> str:
    # A prefix phrase is one lone CJK word character: no quote or operator can be in it.
    return phrase.tokens[0] + ":*" if phrase.prefix else " ".join(phrase.tokens)


class _FullText(ColumnElement[Any]):
    _traverse_internals = [
        ("id_column", InternalTraversal.dp_clauseelement),
        ("fts", InternalTraversal.dp_clauseelement),
        ("terms", InternalTraversal.dp_clauseelement_list),
        ("prefixes", InternalTraversal.dp_plain_obj),
        ("walk", InternalTraversal.dp_boolean),
        ("limit", InternalTraversal.dp_clauseelement),
    ]

    def __init__(
        self,
        id_column: Expression,
        phrases: Sequence[Phrase],
        walk: bool = False,
        limit: int = 0,
    ) -> None:
        if not phrases:
            raise ValueError("a full-text match needs at least one phrase")
        self.id_column = _clause(id_column)
        self.fts = bindparam("fts_query", fts5_expression(phrases), type_=String(), unique=True)
        self.terms = [
            bindparam(f"tsq_{n}", _tsquery_text(p), type_=String(), unique=True)
            for n, p in enumerate(phrases)
        ]
        self.prefixes = tuple(p.prefix for p in phrases)
        self.walk = walk
        self.limit = bindparam("match_limit", limit, type_=Integer(), unique=True)


class _TextMatch(_FullText):
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a predicate: no `= 1` on SQLite


class _MatchCount(_FullText):
    inherit_cache = True
    type = Integer()


def _tsquery(element: _FullText, compiler: SQLCompiler, **kw: Any) -> str:
    parts = []
    for term, prefix in zip(element.terms, element.prefixes, strict=True):
        function = "to_tsquery" if prefix else "phraseto_tsquery"
        parts.append(f"{function}('simple'::regconfig, {compiler.process(term, **kw)})")
    return " && ".join(parts)


def _table(element: _FullText, compiler: SQLCompiler) -> str:
    return compiler.preparer.format_table(element.id_column.table)


def _vector(element: _FullText, compiler: SQLCompiler) -> str:
    return f"{_table(element, compiler)}.{SEARCH_VECTOR}"


def _fts_rowids(element: _FullText, compiler: SQLCompiler, **kw: Any) -> str:
    fts = compiler.process(element.fts, **kw)
    return f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH {fts}"


@compiles(_TextMatch, "postgresql")
def _compile_match_pg(element: _TextMatch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{_vector(element, compiler)} @@ ({_tsquery(element, compiler, **kw)})"


@compiles(_TextMatch)
def _compile_match(element: _TextMatch, compiler: SQLCompiler, **kw: Any) -> str:
    # ``id + 0`` is not an indexable term: SQLite then walks the outer query's order and
    # probes the set of matches, instead of fetching and sorting every match first.
    id_sql = compiler.process(element.id_column, **kw)
    probe = f"({id_sql} + 0)" if element.walk else id_sql
    return f"{probe} IN ({_fts_rowids(element, compiler, **kw)})"


@compiles(_MatchCount, "postgresql")
def _compile_count_pg(element: _MatchCount, compiler: SQLCompiler, **kw: Any) -> str:
    return (
        f"(SELECT count(*) FROM (SELECT 1 FROM {_table(element, compiler)} "
        f"WHERE {_vector(element, compiler)} @@ "
        f"({_tsquery(element, compiler, **kw)}) LIMIT {compiler.process(element.limit, **kw)})"
        " AS matches)"
    )


@compiles(_MatchCount)
def _compile_count(element: _MatchCount, compiler: SQLCompiler, **kw: Any) -> str:
    return (
        f"(SELECT count(*) FROM ({_fts_rowids(element, compiler, **kw)} "
        f"LIMIT {compiler.process(element.limit, **kw)}))"
    )


def text_match(
    id_column: Expression, phrases: Sequence[Phrase], walk: bool = False
) -> ColumnElement[bool]:
    """Rows of ``items`` (``id_column`` is ``items.id``) whose indexed text has every phrase.

    ``walk`` asks SQLite to follow the outer query's order and probe the matches (for common
    words, when only the newest page is wanted); PostgreSQL needs no such hint.
    """
    return _TextMatch(id_column, phrases, walk=walk)


def text_matches_up_to(
    id_column: Expression, phrases: Sequence[Phrase], limit: int
) -> ColumnElement[int]:
    """How many items match the phrases, counted no further than ``limit`` (reads <= limit)."""
    return _MatchCount(id_column, phrases, limit=limit)


# --- dates --------------------------------------------------------------------------------


class _PeriodStart(ColumnElement[date]):
    type = Date()
    _traverse_internals = [
        ("day", InternalTraversal.dp_clauseelement),
        ("grain", InternalTraversal.dp_string),
    ]

    def __init__(self, day: Expression, grain: str) -> None:
        self.day = _clause(day)
        self.grain = grain


@compiles(_PeriodStart, "postgresql")
def _compile_period_pg(element: _PeriodStart, compiler: SQLCompiler, **kw: Any) -> str:
    truncated = func.date_trunc(literal_column(f"'{element.grain}'"), element.day)
    return compiler.process(cast(truncated, Date), **kw)


@compiles(_PeriodStart)
def _compile_period(element: _PeriodStart, compiler: SQLCompiler, **kw: Any) -> str:
    day = compiler.process(element.day, **kw)
    if element.grain == "week":
        # 'weekday 0' moves forward to Sunday (or stays); six days back is that week's Monday.
        return f"date({day}, 'weekday 0', '-6 days')"
    return f"strftime('%Y-%m-01', {day})"


def period_start(day_column: Expression, grain: str) -> ColumnElement[date]:
    """The first day of the ``grain`` (day, week from Monday, month) containing the date."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r} (expected one of {', '.join(GRAINS)})")
    if grain == "day":
        return _clause(day_column)
    return _PeriodStart(day_column, grain)


# --- row locks and the driver -------------------------------------------------------------


def claim_lock(query: Select[Any]) -> Select[Any]:
    """Lock the selected rows for this transaction, skipping rows another worker holds.

    PostgreSQL renders ``FOR UPDATE SKIP LOCKED``; SQLite renders nothing: it has one writer
    at a time (``BEGIN IMMEDIATE``), so a claim can never race another one.
    """
    return query.with_for_update(skip_locked=True)


def driver_statement(dialect: Dialect, sql: str) -> str:
    """``sql`` written with ``?`` placeholders, in the driver's own paramstyle."""
    style = dialect.dbapi.paramstyle if dialect.dbapi is not None else dialect.paramstyle
    if style == "qmark":
        return sql
    if style in ("format", "pyformat"):
        return sql.replace("%", "%%").replace("?", "%s")
    raise NotImplementedError(f"driver paramstyle {style!r} is not supported")


def driver_day(session: Session) -> Callable[[date | str], date | str]:
    """How a driver-level statement binds a day: SQLite stores days as ISO text, PostgreSQL
    as ``date`` (SQLAlchemy's ``Date`` type does this conversion for ORM statements)."""
    return _day_as_text if is_sqlite(session) else _day_as_date


def _day_as_text(day: date | str) -> date | str:
    return day.isoformat() if isinstance(day, date) else day


def _day_as_date(day: date | str) -> date | str:
    return date.fromisoformat(day) if isinstance(day, str) else day
