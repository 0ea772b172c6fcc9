"""Weekly coarse rollups, so all-history trends read ~100 weeks instead of ~730 days.

``weekly_theme_sums`` (week, theme, bucket) and ``weekly_sums`` (week, language, bucket) are
``daily_theme_sums`` and ``daily_sums`` summed per week (weeks start on Monday, the same rule
as ``db.dialect.period_start``). Like every rollup they are written only by ``db.rollups``
(derived from the same netted fine changes as the daily sums); existing counts are copied in
here from the daily sums.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# (weekly table, daily table it sums, the key column besides week and bucket)
_PAIRS = (
    ("weekly_theme_sums", "daily_theme_sums", "theme_id"),
    ("weekly_sums", "daily_sums", "language"),
)
_WEEK = {
    # 'weekday 0' moves forward to Sunday (or stays); six days back is that week's Monday.
    "sqlite": "date(day, 'weekday 0', '-6 days')",
    "postgresql": "CAST(date_trunc('week', day) AS DATE)",
}


def upgrade() -> None:
    op.create_table(
        "weekly_theme_sums",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("theme_id", sa.String(length=64), nullable=False),
        sa.Column("rel_bucket", sa.SmallInteger(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("stories", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "week", "theme_id", "rel_bucket", name=op.f("pk_weekly_theme_sums")
        ),
    )
    op.create_table(
        "weekly_sums",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("rel_bucket", sa.SmallInteger(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("stories", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("week", "language", "rel_bucket", name=op.f("pk_weekly_sums")),
    )
    week = _WEEK[op.get_bind().dialect.name]
    for weekly, daily, key in _PAIRS:
        op.execute(
            f"INSERT INTO {weekly} (week, {key}, rel_bucket, items, stories) "
            f"SELECT {week}, {key}, rel_bucket, sum(items), sum(stories) FROM {daily} "
            f"GROUP BY {week}, {key}, rel_bucket"
        )


def downgrade() -> None:
    op.drop_table("weekly_sums")
    op.drop_table("weekly_theme_sums")
