"""Coarse rollups for the dashboard's default views: per day without the feed dimension.

``daily_theme_counts`` holds one row per (day, feed, language, bucket, theme): at a million
items with ~40 feeds it has about as many rows as ``item_themes``, so a trend over all
history scanned ~10^6 rows. ``daily_theme_sums`` (day, theme, bucket) and ``daily_sums``
(day, language, bucket) hold the same counts summed over feeds (and languages): a few ten
thousand rows whatever the item count. Triggers on the fine rollups keep them exact in the
same transaction, whichever code path writes the fine rollups (ingest, refresh, retag);
existing counts are copied in on upgrade.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (coarse table, fine table, key columns)
_PAIRS = (
    ("daily_theme_sums", "daily_theme_counts", ("day", "theme_id", "rel_bucket")),
    ("daily_sums", "daily_totals", ("day", "language", "rel_bucket")),
)


def upgrade() -> None:
    op.create_table(
        "daily_theme_sums",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("theme_id", sa.String(length=64), nullable=False),
        sa.Column("rel_bucket", sa.SmallInteger(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("stories", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "theme_id", "rel_bucket", name=op.f("pk_daily_theme_sums")),
    )
    op.create_table(
        "daily_sums",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("rel_bucket", sa.SmallInteger(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("stories", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "language", "rel_bucket", name=op.f("pk_daily_sums")),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for coarse, fine, keys in _PAIRS:
        cols = ", ".join(keys)
        op.execute(
            f"INSERT INTO {coarse} ({cols}, items, stories) "
            f"SELECT {cols}, sum(items), sum(stories) FROM {fine} GROUP BY {cols}"
        )
        for statement in (_sqlite_triggers if sqlite else _pg_triggers)(coarse, fine, keys):
            op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for coarse, fine, _ in _PAIRS:
        if sqlite:
            for op_name in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {coarse}_{op_name}")
        else:
            for op_name in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {coarse}_{op_name} ON {fine}")
            op.execute(f"DROP FUNCTION IF EXISTS {coarse}_sync()")
        op.drop_table(coarse)


def _sqlite_triggers(coarse: str, fine: str, keys: tuple[str, ...]) -> list[str]:
    """Row triggers: add ``new`` counts, subtract ``old`` counts, drop rows that reach zero."""
    cols = ", ".join(keys)

    def add(row: str) -> str:
        values = ", ".join(f"{row}.{k}" for k in keys)
        return (
            f"INSERT INTO {coarse} ({cols}, items, stories) "
            f"VALUES ({values}, {row}.items, {row}.stories) "
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
        f"CREATE TRIGGER {coarse}_insert AFTER INSERT ON {fine} BEGIN {add('new')} END",
        f"CREATE TRIGGER {coarse}_delete AFTER DELETE ON {fine} BEGIN {subtract('old')} END",
        f"CREATE TRIGGER {coarse}_update AFTER UPDATE ON {fine} "
        f"BEGIN {subtract('old')} {add('new')} END",
    ]


def _pg_triggers(coarse: str, fine: str, keys: tuple[str, ...]) -> list[str]:
    """Statement triggers with transition tables: one grouped upsert per statement."""
    cols = ", ".join(keys)
    match = " AND ".join(f"c.{k} = o.{k}" for k in keys)

    def apply(rows: str, sign: str) -> str:
        return (
            f"INSERT INTO {coarse} AS c ({cols}, items, stories) "
            f"SELECT {cols}, {sign}sum(items), {sign}sum(stories) FROM {rows} GROUP BY {cols} "
            f"ORDER BY {cols} "  # one lock order for every worker: no deadlocks
            "ON CONFLICT (" + cols + ") DO UPDATE SET items = c.items + excluded.items, "
            "stories = c.stories + excluded.stories;"
        )

    cleanup = (
        f"DELETE FROM {coarse} c USING (SELECT DISTINCT {cols} FROM old_rows) o "
        f"WHERE {match} AND c.items = 0 AND c.stories = 0;"
    )
    function = (
        f"CREATE FUNCTION {coarse}_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP IN ('DELETE', 'UPDATE') THEN "
        f"{apply('old_rows', '-')} "
        "END IF; "
        "IF TG_OP IN ('INSERT', 'UPDATE') THEN "
        f"{apply('new_rows', '')} "
        "END IF; "
        "IF TG_OP IN ('DELETE', 'UPDATE') THEN "
        f"{cleanup} "
        "END IF; "
        "RETURN NULL; END $$"
    )
    return [
        function,
        f"CREATE TRIGGER {coarse}_insert AFTER INSERT ON {fine} REFERENCING NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {coarse}_sync()",
        f"CREATE TRIGGER {coarse}_delete AFTER DELETE ON {fine} REFERENCING OLD TABLE AS old_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {coarse}_sync()",
        f"CREATE TRIGGER {coarse}_update AFTER UPDATE ON {fine} "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {coarse}_sync()",
    ]
