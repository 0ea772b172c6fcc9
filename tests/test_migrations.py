"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

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
