"""Streaming read of stored items for ``jkwatch export``: flat memory on a million items.

Keyset pagination by id (never OFFSET, never one giant result set); the themes of each
page come from one query on ``item_themes``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from jkwatch.db.corrections import corrected_ids
from jkwatch.db.entities import entities_of_items
from jkwatch.db.models import Feed, Item, ItemTheme
from jkwatch.model import EXPORT_ORIGINS, ItemRow


@dataclass(frozen=True)
class ExportFilter:
    since: date | None = None
    until: date | None = None
    theme: str | None = None
    relevant_only: bool = False
    origin: str = "all"
    """One of ``EXPORT_ORIGINS``."""


def origin_condition(origin: str) -> Any | None:
    """The condition on ``feeds.origin`` for an ``--origin`` choice (None: every item)."""
    if origin == "all":
        return None
    if origin == "backfill":
        return Feed.origin.like("backfill:%")
    if origin in ("feed", "import"):
        return Feed.origin == origin
    raise ValueError(f"unknown origin {origin!r} (expected one of {', '.join(EXPORT_ORIGINS)})")


def iter_items(session: Session, filters: ExportFilter, page_size: int = 2000) -> Iterator[ItemRow]:
    """Yield matching items in id order, ``page_size`` at a time."""
    after = 0
    while True:
        query = (
            select(Item, Feed.url, Feed.name, Feed.title, Feed.country, Feed.origin)
            .join(Feed, Feed.id == Item.feed_id)
            .where(Item.id > after)
            .order_by(Item.id)
            .limit(page_size)
        )
        if filters.since:
            query = query.where(Item.day >= filters.since)
        if filters.until:
            query = query.where(Item.day <= filters.until)
        if filters.relevant_only:
            query = query.where(Item.relevant.is_(True))
        if (origin := origin_condition(filters.origin)) is not None:
            query = query.where(origin)
        if filters.theme:
            query = query.where(
                Item.id.in_(select(ItemTheme.item_id).where(ItemTheme.theme_id == filters.theme))
            )
        page = session.execute(query).all()
        if not page:
            return
        after = page[-1][0].id
        yield from _rows(session, page)
        session.expunge_all()


def item_rows(session: Session, ids: Sequence[int]) -> list[ItemRow]:
    """The items ``ids`` as export rows, in the order given (for ``jkwatch search``)."""
    if not ids:
        return []
    page = session.execute(
        select(Item, Feed.url, Feed.name, Feed.title, Feed.country, Feed.origin)
        .join(Feed, Feed.id == Item.feed_id)
        .where(Item.id.in_(list(ids)))
    ).all()
    by_id = {row.id: row for row in _rows(session, page)}
    return [by_id[item_id] for item_id in ids if item_id in by_id]


def _rows(
    session: Session, page: Sequence[Row[Item, str, str | None, str | None, str, str]]
) -> list[ItemRow]:
    """Rows of ``(Item, feed url, feed name, feed title, feed country, feed origin)`` as export
    rows, with
    their themes (one query on ``item_themes``), entities and whether an analyst corrected
    them."""
    ids = [row[0].id for row in page]
    themes: dict[int, list[str]] = defaultdict(list)
    for item_id, theme_id in session.execute(
        select(ItemTheme.item_id, ItemTheme.theme_id)
        .where(ItemTheme.item_id.in_(ids))
        .order_by(ItemTheme.item_id, ItemTheme.score.desc())
    ):
        themes[item_id].append(theme_id)
    corrected = corrected_ids(session, ids)
    entities = entities_of_items(session, ids)
    return [
        ItemRow(
            id=item.id,
            feed_id=item.feed_id,
            feed_url=feed_url,
            feed_name=feed_name or feed_title or feed_url,
            url=item.url,
            canonical_url=item.canonical_url,
            title=item.title,
            summary=item.summary,
            author=item.author,
            published_at=item.published_at,
            day=item.day,
            language=item.language,
            story_id=item.story_id,
            relevance=item.relevance,
            relevant=item.relevant,
            themes=tuple(themes.get(item.id, ())),
            corrected=item.id in corrected,
            country=country,
            entities=tuple(m.entity_id for m in entities.get(item.id, ())),
            origin=origin,
        )
        for item, feed_url, feed_name, feed_title, country, origin in page
    ]
