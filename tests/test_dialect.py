"""The dialect module: each construct behaves the same on SQLite and PostgreSQL, and it is the
only place in ``db`` that tells the two apart."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import JSON, Column, Date, Integer, MetaData, Table, func, select, text, true
from sqlalchemy.dialects import postgresql, sqlite

from jkwatch.db import dialect, search
from jkwatch.db import feeds as feed_store
from jkwatch.db import items as item_store
from jkwatch.db.driver_sql import fetch
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from jkwatch.db.models import DailySum, Feed, Item, Meta
from tests.factories import entry, feed_spec

DB = Path(__file__).resolve().parents[1] / "db"
# Connection set-up and schema history may know the backends apart; nothing else may.
ALLOWED = {DB / "dialect.py", DB / "engine.py", DB / "migrate.py"}
BACKEND_WORDS = {"sqlite", "postgresql", "postgres", "psycopg", "pysqlite"}
SWITCH_CALLS = {"backend_name", "is_sqlite", "get_backend_name"}


def _switches(source: str) -> list[str]:
    """Lines of ``source`` that ask which backend runs, or import a dialect's own constructs."""
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "sqlalchemy.dialects"
        ):
            found.append(f"{line}: imports {node.module}")
        elif isinstance(node, ast.Import) and any(
            alias.name.startswith("sqlalchemy.dialects") for alias in node.names
        ):
            found.append(f"{line}: imports sqlalchemy.dialects")
        elif isinstance(node, ast.Attribute) and node.attr == "name":
            inner = node.value
            if (
                isinstance(inner, ast.Attribute)
                and inner.attr == "dialect"
                or isinstance(inner, ast.Name)
                and inner.id == "dialect"
            ):
                found.append(f"{line}: reads dialect.name")
        elif isinstance(node, ast.Call):
            func_node = node.func
            called = getattr(func_node, "id", None) or getattr(func_node, "attr", None)
            if called in SWITCH_CALLS:
                found.append(f"{line}: calls {called}")
        elif isinstance(node, ast.Compare):
            for part in [node.left, *node.comparators]:
                if isinstance(part, ast.Constant) and str(part.value).lower() in BACKEND_WORDS:
                    found.append(f"{line}: compares with {part.value!r}")
    return found


def test_the_scanner_recognises_every_kind_of_dialect_switch():
    source = (
        "from sqlalchemy.dialects import postgresql\n"
        "import sqlalchemy.dialects.sqlite\n"
        "a = session.get_bind().dialect.name\n"
        "b = backend_name(session) == 'x'\n"
        "c = url.get_backend_name()\n"
        "d = kind == 'postgresql'\n"
        "e = driver_sql.is_sqlite(session)\n"
    )
    lines = sorted(int(hit.split(":")[0]) for hit in _switches(source))
    assert lines == [1, 2, 3, 4, 5, 6, 7]
    assert _switches("'''Runs on SQLite and PostgreSQL.'''\nx = name == 'sqlite_master'\n") == []


def test_no_module_in_db_but_the_dialect_module_asks_which_backend_runs():
    offenders = {}
    for path in sorted(DB.rglob("*.py")):
        if path in ALLOWED or "migrations" in path.parts:
            continue
        hits = _switches(path.read_text(encoding="utf-8"))
        if hits:
            offenders[path.name] = hits
    assert offenders == {}


# --- each construct, run on both backends --------------------------------------------------

_scratch = MetaData()
DOCS = Table("scratch_docs", _scratch, Column("id", Integer, primary_key=True), Column("doc", JSON))
DAYS = Table("scratch_days", _scratch, Column("id", Integer, primary_key=True), Column("day", Date))


@pytest.fixture
def scratch(engine):
    _scratch.create_all(engine)
    yield engine
    _scratch.drop_all(engine)


def test_insert_ignore_keeps_the_stored_row_and_adds_the_new_ones(sessions):
    with sessions.begin() as s:
        s.execute(dialect.insert_ignore(Meta.__table__), [{"key": "a", "value": "first"}])
        s.execute(
            dialect.insert_ignore(Meta.__table__),
            [{"key": "a", "value": "second"}, {"key": "b", "value": "new"}],
        )
    with sessions() as s:
        assert dict(s.execute(select(Meta.key, Meta.value)).all()) == {"a": "first", "b": "new"}


def test_upsert_adding_sums_counters_into_the_row_with_the_same_key(sessions):
    day = date(2026, 11, 2)
    statement = dialect.upsert_adding(
        DailySum.__table__, ["day", "language", "rel_bucket"], ["items", "stories"]
    )
    row = {"day": day, "rel_bucket": 5}
    with sessions.begin() as s:
        s.execute(statement, [{**row, "language": "en", "items": 2, "stories": 1}])
        s.execute(
            statement,
            [
                {**row, "language": "en", "items": 3, "stories": 1},
                {**row, "language": "ja", "items": 1, "stories": 0},
            ],
        )
    with sessions() as s:
        rows = s.execute(select(DailySum.language, DailySum.items, DailySum.stories)).all()
    assert sorted(map(tuple, rows)) == [("en", 5, 2), ("ja", 1, 0)]


def test_id_in_selects_exactly_the_listed_ids_with_one_parameter(sessions):
    with sessions.begin() as s:
        ids = [feed_store.upsert_feed(s, feed_spec(n))[0].id for n in range(1, 5)]
    with sessions() as s:
        picked = select(Feed.id).where(dialect.id_in(Feed.id, [ids[0], ids[2], 10_000]))
        assert sorted(s.scalars(picked)) == [ids[0], ids[2]]
        # A second list through the same (cached) statement shape gets its own values.
        again = select(Feed.id).where(dialect.id_in(Feed.id, [ids[1]]))
        assert list(s.scalars(again)) == [ids[1]]
        assert list(s.scalars(select(Feed.id).where(dialect.id_in(Feed.id, [])))) == []
        many = select(Feed.id).where(dialect.id_in(Feed.id, range(1, 20_001)))
        assert sorted(s.scalars(many)) == sorted(ids)
        assert len(many.compile(s.get_bind()).params) == 1


def test_json_array_elements_reads_fields_of_the_object_elements_only(scratch):
    with scratch.begin() as conn:
        conn.execute(
            DOCS.insert(),
            [
                {"doc": [{"term": "missile", "field": "title"}, "loose text", 5, {"term": "dmz"}]},
                {"doc": [{"term": "missile", "field": "summary"}]},
                {"doc": []},
            ],
        )
    element = dialect.json_array_elements(DOCS.c.doc)
    term = element.text("term")
    with scratch.connect() as conn:
        rows = conn.execute(
            select(term, func.count())
            .select_from(DOCS)
            .join(element.table, true())
            .where(element.is_object())
            .group_by(term)
            .order_by(term)
        ).all()
        fields = conn.execute(
            select(element.text("field"))
            .select_from(DOCS)
            .join(element.table, true())
            .where(element.is_object())
        ).all()
    assert [tuple(r) for r in rows] == [("dmz", 1), ("missile", 2)]
    assert sorted(f for (f,) in fields if f) == ["summary", "title"]
    assert [f for (f,) in fields].count(None) == 1


def test_json_keys_are_plain_names_never_sql():
    with pytest.raises(ValueError):
        dialect.json_array_elements(DOCS.c.doc).text("term'; DROP TABLE items; --")


def test_period_start_folds_days_into_monday_weeks_and_months(scratch):
    days = [date(2024, 3, 6), date(2024, 3, 10), date(2024, 3, 11), date(2024, 2, 29)]
    with scratch.begin() as conn:
        conn.execute(DAYS.insert(), [{"id": n, "day": d} for n, d in enumerate(days)])
    with scratch.connect() as conn:
        rows = conn.execute(
            select(
                dialect.period_start(DAYS.c.day, "day"),
                dialect.period_start(DAYS.c.day, "week"),
                dialect.period_start(DAYS.c.day, "month"),
            ).order_by(DAYS.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (date(2024, 3, 6), date(2024, 3, 4), date(2024, 3, 1)),
        (date(2024, 3, 10), date(2024, 3, 4), date(2024, 3, 1)),
        (date(2024, 3, 11), date(2024, 3, 11), date(2024, 3, 1)),
        (date(2024, 2, 29), date(2024, 2, 26), date(2024, 2, 1)),
    ]
    with pytest.raises(ValueError):
        dialect.period_start(DAYS.c.day, "year")


def test_text_match_finds_every_phrase_and_counts_up_to_a_limit(sessions):
    with sessions.begin() as s:
        feed, _ = feed_store.upsert_feed(s, feed_spec(1))
        item_store.store_entries(
            s,
            feed,
            [
                entry("a", title="North Korea fires a ballistic missile", themes=()),
                entry("b", title="Missile defense talks in Tokyo", themes=()),
                entry("c", title="北朝鮮が弾道ミサイルを発射", language="ja", themes=()),
                entry("d", title='Quote "marks" and OR NEAR(x) are text', summary="", themes=()),
            ],
        )

    def matching(s, query: str, walk: bool = False) -> int:
        condition = dialect.text_match(Item.id, search.phrases(query), walk=walk)
        return len(list(s.scalars(select(Item.id).where(condition))))

    with sessions() as s:
        assert matching(s, "missile") == 3  # the default summary mentions the missile
        assert matching(s, "ballistic missile", walk=True) == 1
        assert matching(s, "弾道") == 1 and matching(s, "北") == 1  # lone character: prefix
        assert matching(s, '"marks" OR') == 1 and matching(s, "NEAR(x)") == 1
        assert matching(s, "submarine") == 0
        count = dialect.text_matches_up_to(Item.id, search.phrases("missile"), 2)
        assert s.scalar(select(count)) == 2
        assert s.scalar(select(dialect.text_matches_up_to(Item.id, search.phrases("弾道"), 9))) == 1


def test_fts5_expression_quotes_phrases_and_marks_prefixes():
    phrases = [dialect.Phrase(('a"b', "c")), dialect.Phrase(("北",), prefix=True)]
    assert dialect.fts5_expression(phrases) == '"a""b c" AND "北"*'
    assert dialect.fts5_expression([]) is None


def test_claim_lock_runs_on_both_backends_and_locks_only_on_postgresql(sessions):
    with sessions.begin() as s:
        feed_store.upsert_feed(s, feed_spec(1))
    with sessions.begin() as s:
        assert len(list(s.scalars(dialect.claim_lock(select(Feed.id))))) == 1
    query = dialect.claim_lock(select(Feed.id))
    assert "FOR UPDATE SKIP LOCKED" in str(query.compile(dialect=postgresql.dialect()))
    assert "FOR UPDATE" not in str(query.compile(dialect=sqlite.dialect()))


def test_claim_lock_skips_rows_another_postgresql_worker_holds(pg_url):
    engine = make_engine(pg_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    try:
        with sessions.begin() as s:
            for n in (1, 2):
                feed_store.upsert_feed(s, feed_spec(n))
        first = sessions()
        second = sessions()
        with first.begin(), second.begin():
            mine = list(first.scalars(dialect.claim_lock(select(Feed.id).limit(1))))
            theirs = list(second.scalars(dialect.claim_lock(select(Feed.id))))
        assert len(mine) == 1 and len(theirs) == 1 and mine != theirs
        first.close()
        second.close()
    finally:
        engine.dispose()


def test_driver_statements_keep_literal_percent_signs(sessions):
    with sessions() as s:
        assert fetch(s, "SELECT ? || '%'", ("50",)) == [("50%",)]


def test_driver_statement_follows_the_driver_paramstyle():
    pg = postgresql.psycopg.dialect()
    lite = sqlite.dialect()
    assert dialect.driver_statement(lite, "x = ? AND y LIKE 'a%'") == "x = ? AND y LIKE 'a%'"
    assert dialect.driver_statement(pg, "x = ? AND y LIKE 'a%'") == "x = %s AND y LIKE 'a%%'"


def test_serial_turns_parallel_workers_off_inside_and_back_after(sessions):
    with sessions() as s:
        if dialect.is_sqlite(s):  # nothing to turn off: the block just runs
            with dialect.serial(s):
                assert s.scalar(select(func.count()).select_from(Feed)) == 0
            return
        before = s.scalar(text("SHOW max_parallel_workers_per_gather"))
        with dialect.serial(s):
            assert s.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"
        assert s.scalar(text("SHOW max_parallel_workers_per_gather")) == before
