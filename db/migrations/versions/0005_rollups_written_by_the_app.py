"""Rollups written by the application alone: drop the coarse-sum and zero-row triggers.

Until 0004 the coarse sums (``daily_sums``, ``daily_theme_sums``, ``feed_sums``) followed the
fine rollups through triggers: statement-level on PostgreSQL, row-level on SQLite, where the
writer paused them with a ``meta`` row and wrote the sums itself; SQLite also deleted rows
updated to zero by trigger. Now one module (``db.rollups``) writes every rollup table on both
backends, fine and coarse from the same netted changes, and deletes the cells it leaves at
zero, so all those triggers (and with them the pause row) are dropped. The data needs no
change: the triggers kept the sums exact up to this revision.

The downgrade recreates 0004's state exactly. The trigger SQL is written out here rather
than imported: a migration must not change when the code does.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# (coarse table, fine table, key columns), as in 0002 and 0003.
_SUMS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("daily_theme_sums", "daily_theme_counts", ("day", "theme_id", "rel_bucket")),
    ("daily_sums", "daily_totals", ("day", "language", "rel_bucket")),
    ("feed_sums", "daily_totals", ("feed_id", "rel_bucket")),
)
_EVENTS = ("insert", "delete", "update")
# Every rollup table and its key: SQLite's zero-row triggers of 0004.
_ROLLUPS: dict[str, tuple[str, ...]] = {
    "daily_totals": ("day", "feed_id", "language", "rel_bucket"),
    "daily_theme_counts": ("day", "feed_id", "language", "rel_bucket", "theme_id"),
    "daily_sums": ("day", "language", "rel_bucket"),
    "daily_theme_sums": ("day", "theme_id", "rel_bucket"),
    "feed_sums": ("feed_id", "rel_bucket"),
}
_PAUSE = "NOT EXISTS (SELECT 1 FROM meta WHERE key = 'rollup_sums_written_by_writer')"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if _sqlite():
        for table in _ROLLUPS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_drop_zero")
        for coarse, _, _ in _SUMS:
            for event in _EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS {coarse}_{event}")
        return
    for coarse, fine, _ in _SUMS:
        for event in _EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {coarse}_{event} ON {fine}")
        op.execute(f"DROP FUNCTION IF EXISTS {coarse}_sync()")


def downgrade() -> None:
    if _sqlite():
        for coarse, fine, keys in _SUMS:
            for statement in _sqlite_pausable_triggers(coarse, fine, keys):
                op.execute(statement)
        for table, keys in _ROLLUPS.items():
            match = " AND ".join(f"{key} = new.{key}" for key in keys)
            op.execute(
                f"CREATE TRIGGER {table}_drop_zero AFTER UPDATE OF items, stories ON {table} "
                "WHEN new.items = 0 AND new.stories = 0 "
                f"BEGIN DELETE FROM {table} WHERE {match}; END"
            )
        return
    for coarse, fine, keys in _SUMS:
        for statement in _pg_statement_triggers(coarse, fine, keys):
            op.execute(statement)


def _sqlite_pausable_triggers(coarse: str, fine: str, keys: tuple[str, ...]) -> list[str]:
    """0004's row triggers: skipped while the pause row exists; zero rows are not added."""
    cols = ", ".join(keys)

    def add(row: str) -> str:
        values = ", ".join(f"{row}.{k}" for k in keys)
        return (
            f"INSERT INTO {coarse} ({cols}, items, stories) "
            f"SELECT {values}, {row}.items, {row}.stories "
            f"WHERE {row}.items <> 0 OR {row}.stories <> 0 "
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

    when = f" WHEN {_PAUSE}"
    return [
        f"CREATE TRIGGER {coarse}_insert AFTER INSERT ON {fine}{when} BEGIN {add('new')} END",
        f"CREATE TRIGGER {coarse}_delete AFTER DELETE ON {fine}{when} BEGIN {subtract('old')} END",
        f"CREATE TRIGGER {coarse}_update AFTER UPDATE ON {fine}{when} "
        f"BEGIN {subtract('old')} {add('new')} END",
    ]


def _pg_statement_triggers(coarse: str, fine: str, keys: tuple[str, ...]) -> list[str]:
    """0002/0003's statement triggers: one grouped upsert per statement and transition table."""
    cols = ", ".join(keys)
    match = " AND ".join(f"c.{k} = o.{k}" for k in keys)

    def upsert(rows: str, sign: str) -> str:
        return (
            f"INSERT INTO {coarse} AS c ({cols}, items, stories) "
            f"SELECT {cols}, {sign}sum(items), {sign}sum(stories) FROM {rows} GROUP BY {cols} "
            f"ORDER BY {cols} "
            f"ON CONFLICT ({cols}) DO UPDATE SET items = c.items + excluded.items, "
            "stories = c.stories + excluded.stories;"
        )

    cleanup = (
        f"DELETE FROM {coarse} c USING (SELECT DISTINCT {cols} FROM old_rows) o "
        f"WHERE {match} AND c.items = 0 AND c.stories = 0;"
    )
    function = (
        f"CREATE FUNCTION {coarse}_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP IN ('DELETE', 'UPDATE') THEN {upsert('old_rows', '-')} END IF; "
        f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {upsert('new_rows', '')} END IF; "
        f"IF TG_OP IN ('DELETE', 'UPDATE') THEN {cleanup} END IF; "
        "RETURN NULL; END $$"
    )
    transitions = {
        "insert": "REFERENCING NEW TABLE AS new_rows",
        "delete": "REFERENCING OLD TABLE AS old_rows",
        "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    return [function] + [
        f"CREATE TRIGGER {coarse}_{event} AFTER {event.upper()} ON {fine} {transitions[event]} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {coarse}_sync()"
        for event in _EVENTS
    ]
