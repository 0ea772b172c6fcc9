"""The Japan–Korea lens: each feed's country, the entities each item names, and the entities
and themes a story member carries for cross-language linking.

``feeds.country`` ("jp", "kr" or "other") is the outlet's country of publication; feeds stored
before it get a first guess from their host's top-level domain (.jp, .kr), and ``jkwatch feeds
seed`` or ``feeds add --country`` set it from the feeds file. ``item_entities`` holds one row
per entity of the gazetteer (``config/entities.toml``) an item names, with the names that
matched (its evidence); its key starts with the entity, so "every item naming Dokdo" is an
index range. ``story_members.entities`` and ``.themes`` are copies the clustering compares
without re-reading the items.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_EMPTY_LIST = sa.text("'[]'")


def _country_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith(".jp"):
        return "jp"
    if host.endswith(".kr"):
        return "kr"
    return "other"


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(
            sa.Column("country", sa.String(length=8), nullable=False, server_default="other")
        )
    bind = op.get_bind()
    feeds = sa.table("feeds", sa.column("id", sa.Integer), sa.column("url", sa.String))
    for feed_id, url in bind.execute(sa.select(feeds.c.id, feeds.c.url)).all():
        country = _country_of(url or "")
        if country != "other":
            bind.execute(
                sa.text("UPDATE feeds SET country = :country WHERE id = :id"),
                {"country": country, "id": feed_id},
            )
    op.create_table(
        "item_entities",
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_item_entities_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entity_id", "item_id", name=op.f("pk_item_entities")),
    )
    op.create_index(
        op.f("ix_item_entities_item_id_entity_id"), "item_entities", ["item_id", "entity_id"]
    )
    op.create_index(op.f("ix_item_entities_day_entity_id"), "item_entities", ["day", "entity_id"])
    with op.batch_alter_table("story_members") as batch:
        batch.add_column(
            sa.Column("entities", sa.JSON(), nullable=False, server_default=_EMPTY_LIST)
        )
        batch.add_column(sa.Column("themes", sa.JSON(), nullable=False, server_default=_EMPTY_LIST))
    # Compare's one-sided stories count a range's relevant members per feed and story: with
    # this index the count reads no table rows (90 days at 1M items: 308 -> 119 ms on SQLite).
    op.create_index(
        op.f("ix_story_members_day_relevant_feed_id_story_id"),
        "story_members",
        ["day", "relevant", "feed_id", "story_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_story_members_day_relevant_feed_id_story_id"), table_name="story_members"
    )
    with op.batch_alter_table("story_members") as batch:
        batch.drop_column("themes")
        batch.drop_column("entities")
    op.drop_index(op.f("ix_item_entities_day_entity_id"), table_name="item_entities")
    op.drop_index(op.f("ix_item_entities_item_id_entity_id"), table_name="item_entities")
    op.drop_table("item_entities")
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("country")
