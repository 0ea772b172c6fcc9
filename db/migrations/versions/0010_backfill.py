"""Backfill: where each feed's items came from, and the progress of ``jkwatch backfill``.

``feeds.origin`` is "feed" for live feeds, "import" for the document pseudo-feeds and
"backfill:<source>" for the pseudo-feeds that hold backfilled items (one per source and outlet).
``backfill_windows`` records each window of each query a backfill fetched, in the transaction
that stored the window's items, so an interrupted backfill resumes and a finished one is a no-op.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(
            sa.Column("origin", sa.String(length=32), nullable=False, server_default="feed")
        )
    op.execute(sa.text("UPDATE feeds SET origin = 'import' WHERE kind = 'import'"))
    op.create_table(
        "backfill_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("query_key", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("items_seen", sa.Integer(), nullable=False),
        sa.Column("items_stored", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backfill_windows")),
        sa.UniqueConstraint(
            "source",
            "query_key",
            "first_day",
            "last_day",
            name=op.f("uq_backfill_windows_source_query_key_first_day_last_day"),
        ),
    )


def downgrade() -> None:
    op.drop_table("backfill_windows")
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("origin")
