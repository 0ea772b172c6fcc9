"""Analyst corrections: the merged correction of each item and the log of every label action.

``item_corrections`` holds one row per corrected item (the relevance override, the theme
marks, who and when, and the tagger's last output so the correction can be re-applied or
dropped without running the tagger); ``correction_log`` keeps every label action, append-only,
so the history stays auditable. The item's own columns keep the final state, so no existing
query changes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item_corrections",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("relevant", sa.Boolean(), nullable=True),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("analyst", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("tagger_relevance", sa.Float(), nullable=False),
        sa.Column("tagger_relevant", sa.Boolean(), nullable=False),
        sa.Column("tagger_themes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_item_corrections_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_corrections")),
    )
    op.create_table(
        "correction_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("analyst", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("relevant", sa.Boolean(), nullable=True),
        sa.Column("added", sa.JSON(), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction_log")),
    )
    op.create_index(
        op.f("ix_correction_log_item_id_at"), "correction_log", ["item_id", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_correction_log_item_id_at"), table_name="correction_log")
    op.drop_table("correction_log")
    op.drop_table("item_corrections")
