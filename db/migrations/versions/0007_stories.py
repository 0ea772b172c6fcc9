"""Stories: items about one event across outlets, their members and the analyst's corrections.

``stories`` holds each story's whole-story figures and title; ``story_members`` places every
item in one story with copies of the columns range reads filter on (day, language, feed,
relevance) and the words that linked it; ``story_corrections`` keeps splits and merges so
re-clustering keeps them. An existing database gets its stories from ``jkwatch stories
rebuild`` (``jkwatch db upgrade`` runs it when the table is empty).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("title_item_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
    )
    op.create_index(op.f("ix_stories_last_seen"), "stories", ["last_seen"], unique=False)
    op.create_table(
        "story_members",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("relevance", sa.Float(), nullable=False),
        sa.Column("relevant", sa.Boolean(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("linked_by", sa.JSON(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_story_members_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_story_members")),
    )
    op.create_index(
        op.f("ix_story_members_day_story_id"), "story_members", ["day", "story_id"], unique=False
    )
    op.create_index(
        op.f("ix_story_members_story_id_published_at"),
        "story_members",
        ["story_id", "published_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_story_members_published_at"), "story_members", ["published_at"], unique=False
    )
    op.create_table(
        "story_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("other_item_id", sa.Integer(), nullable=True),
        sa.Column("analyst", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_corrections")),
    )
    op.create_index(
        op.f("ix_story_corrections_item_id"), "story_corrections", ["item_id"], unique=False
    )
    op.create_index(
        op.f("ix_story_corrections_other_item_id"),
        "story_corrections",
        ["other_item_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_story_corrections_other_item_id"), table_name="story_corrections")
    op.drop_index(op.f("ix_story_corrections_item_id"), table_name="story_corrections")
    op.drop_table("story_corrections")
    op.drop_index(op.f("ix_story_members_published_at"), table_name="story_members")
    op.drop_index(op.f("ix_story_members_story_id_published_at"), table_name="story_members")
    op.drop_index(op.f("ix_story_members_day_story_id"), table_name="story_members")
    op.drop_table("story_members")
    op.drop_index(op.f("ix_stories_last_seen"), table_name="stories")
    op.drop_table("stories")
