"""SQLite: coarse-sum triggers that a writer can pause, and rollup rows that drop at zero.

The row triggers of 0002 and 0003 run three statements per coarse table for every row
written to ``daily_totals`` or ``daily_theme_counts``; a whole-database ``retag`` writes
millions of such rows, and the triggers were most of its database time. The triggers are
recreated with ``WHEN NOT EXISTS (meta row 'rollup_sums_written_by_writer')``: a writer
that nets its changes in memory (``db.rollup_delta``) inserts that row, writes the fine and
the coarse rollups, and deletes the row in the same transaction, so no other connection
ever sees it and every other writer keeps the triggers. PostgreSQL's statement-level
triggers already aggregate per statement and are left as they are.

Also on SQLite, every rollup table gets a row trigger that deletes a row updated to zero
items and zero stories, so writers no longer follow each upsert pass with a second pass of
``DELETE ... WHERE items = 0`` lookups (PostgreSQL writers keep that pass).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Written out here rather than imported: a migration must not change when the code does.
_PAUSE = "NOT EXISTS (SELECT 1 FROM meta WHERE key = 'rollup_sums_written_by_writer')"

# (coarse table, fine table, key columns) as in 0002 and 0003.
_SUMS = (
    ("daily_theme_sums", "daily_theme_counts", ("day", "theme_id", "rel_bucket")),
    ("daily_sums", "daily_totals", ("day", "language", "rel_bucket")),
    ("feed_sums", "daily_totals", ("feed_id", "rel_bucket")),
)


# Every rollup table and its key: rows updated to (0, 0) are deleted by a trigger.
_ROLLUPS = {
    "daily_totals": ("day", "feed_id", "language", "rel_bucket"),
    "daily_theme_counts": ("day", "feed_id", "language", "rel_bucket", "theme_id"),
    "daily_sums": ("day", "language", "rel_bucket"),
    "daily_theme_sums": ("day", "theme_id", "rel_bucket"),
    "feed_sums": ("feed_id", "rel_bucket"),
}


def upgrade() -> None:
    _recreate(pausable=True)
    if op.get_bind().dialect.name == "sqlite":
        for table, keys in _ROLLUPS.items():
            match = " AND ".join(f"{key} = new.{key}" for key in keys)
            op.execute(
                f"CREATE TRIGGER {table}_drop_zero AFTER UPDATE OF items, stories ON {table} "
                "WHEN new.items = 0 AND new.stories = 0 "
                f"BEGIN DELETE FROM {table} WHERE {match}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in _ROLLUPS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_drop_zero")
    _recreate(pausable=False)


def _recreate(pausable: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for coarse, fine, keys in _SUMS:
        for name, sql in _triggers(coarse, fine, keys, pausable):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(sql)


def _triggers(
    coarse: str, fine: str, keys: tuple[str, ...], pausable: bool
) -> list[tuple[str, str]]:
    """The row triggers of 0002/0003, optionally guarded by the pause row."""
    cols = ", ".join(keys)
    when = f" WHEN {_PAUSE}" if pausable else ""

    def add(row: str) -> str:
        values = ", ".join(f"{row}.{k}" for k in keys)
        # 0002 added a fine row updated to zero back as a coarse row at zero (a later delete
        # of the fine row removed it); now that such fine rows are dropped by a trigger, the
        # pausable version adds nothing for them.
        source = (
            f"SELECT {values}, {row}.items, {row}.stories "
            f"WHERE {row}.items <> 0 OR {row}.stories <> 0"
            if pausable
            else f"VALUES ({values}, {row}.items, {row}.stories)"
        )
        return (
            f"INSERT INTO {coarse} ({cols}, items, stories) {source} "
            f"ON CONFLICT ({cols}) DO UPDATE SET items = items + excluded.items, "
            "stories = stories + excluded.stories;"
        )

    def subtract(row: str) -> str:
        match = " AND ".join(f"{k} = {row}.{k}" for k in keys)
        return (
            f"UPDATE {coarse} SET items = items - {row}.items, stories = stories - {row}.stories "
            f"WHERE {match}; "
            f"DELETE FROM {coarse} WHERE {match} AND items = 0 AND stories = 0;"
        )

    return [
        (
            f"{coarse}_insert",
            f"CREATE TRIGGER {coarse}_insert AFTER INSERT ON {fine}{when} BEGIN {add('new')} END",
        ),
        (
            f"{coarse}_delete",
            f"CREATE TRIGGER {coarse}_delete AFTER DELETE ON {fine}{when} "
            f"BEGIN {subtract('old')} END",
        ),
        (
            f"{coarse}_update",
            f"CREATE TRIGGER {coarse}_update AFTER UPDATE ON {fine}{when} BEGIN {subtract('old')} {add('new')} END",
        ),
    ]
