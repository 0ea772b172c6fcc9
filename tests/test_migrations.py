"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from jkwatch.db.engine import make_engine
from jkwatch.db.migrate import current_revision, head_revision, upgrade
from jkwatch.db.models import Base

# Created by raw SQL in the migration for full-text search; not part of the ORM models.
FULL_TEXT_OBJECTS = {
    "items_fts",
    "items_fts_data",
    "items_fts_idx",
    "items_fts_docsize",
    "items_fts_config",
    "items_fts_content",
}


def _include(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    if type_ == "table" and name in FULL_TEXT_OBJECTS:
        return False
    if type_ == "column" and name == "search_vector":
        return False
    return not (type_ == "index" and name == "ix_items_search_vector")


def test_upgrade_on_an_empty_database_matches_the_models(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _include}
        )
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_upgrade_twice_is_a_no_op_and_records_the_head_revision(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {
        "feeds",
        "items",
        "themes",
        "item_themes",
        "fetch_runs",
        "daily_totals",
        "daily_theme_counts",
    } <= tables


_ROLLUP_TABLES = (
    "daily_totals",
    "daily_theme_counts",
    "daily_sums",
    "daily_theme_sums",
    "feed_sums",
)


def _rollup_triggers(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Name -> definition of every trigger on a rollup table (and, on PostgreSQL, function)."""
    tables = ", ".join(f"'{name}'" for name in _ROLLUP_TABLES)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(
                text(
                    f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({tables})"
                )
            )
            return dict(rows.all())
        triggers = conn.execute(
            text(
                "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                f"WHERE NOT tgisinternal AND tgrelid::regclass::text IN ({tables})"
            )
        )
        functions = conn.execute(
            text(
                "SELECT proname, pg_get_functiondef(oid) FROM pg_proc "
                "WHERE pronamespace = current_schema()::regnamespace"
            )
        )
        return dict(triggers.all()) | dict(functions.all())


def test_0005_drops_every_rollup_trigger_and_its_downgrade_restores_0004(db_url):
    from alembic import command

    from jkwatch.db.migrate import _config

    engine = make_engine(db_url)
    upgrade(engine, "0004")
    at_0004 = _rollup_triggers(engine)
    assert len(at_0004) >= 9  # the coarse-sum triggers (plus SQLite's zero-row ones)
    upgrade(engine)
    assert _rollup_triggers(engine) == {}
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0004")
    assert _rollup_triggers(engine) == at_0004
    with engine.begin() as conn:
        command.upgrade(_config(conn), "head")
    assert _rollup_triggers(engine) == {}
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_the_coarse_sums_stay_exact_across_the_0005_upgrade(db_url):
    """Rollups written under 0004 (by its triggers) are what 0005's writer continues from."""
    from datetime import date

    from jkwatch.db import rollups
    from jkwatch.db.engine import make_sessionmaker
    from jkwatch.db.models import DailySum, DailyTotal, FeedSum

    engine = make_engine(db_url)
    upgrade(engine, "0004")
    day = date(2026, 10, 1)
    with engine.begin() as conn:  # written as 0004's writers did: the triggers add the sums
        conn.execute(
            DailyTotal.__table__.insert(),
            [dict(day=day, feed_id=1, language="en", rel_bucket=9, items=2, stories=1)],
        )
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as s:
        delta = rollups.RollupDelta()
        delta.item((day, 1, "en", 9), lead=True, sign=-1)
        delta.item((day, 1, "en", 9), lead=False, sign=-1)
        rollups.apply(s, delta)
    with sessions.begin() as s:
        assert s.execute(select(DailyTotal.items)).all() == []
        assert s.execute(select(DailySum.items)).all() == []
        assert s.execute(select(FeedSum.items)).all() == []
    engine.dispose()
