"""The reads alert rules need beyond the brief's and the trends': items a watch matches.

A watch rule names any of a full-text query (``db.search``'s segmentation, every term bound,
never syntax), an entity of the gazetteer (``item_entities``) and themes; an item matches when
it passes all the given ones, was published since ``since`` and has at least ``min_relevance``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from jkwatch.db.dialect import text_match
from jkwatch.db.entity_search import names_entity
from jkwatch.db.item_lists import HIT_COLUMNS, ItemHit, fetch_hits
from jkwatch.db.models import Item, ItemTheme
from jkwatch.db.search import phrases

WATCH_LIMIT = 50
"""At most this many matches per evaluation (newest first): a watch is for rare events."""


def watch_hits(
    session: Session,
    since: datetime,
    *,
    query: str = "",
    entity_id: str | None = None,
    themes: Sequence[str] = (),
    min_relevance: float = 0.0,
    limit: int = WATCH_LIMIT,
) -> tuple[ItemHit, ...]:
    """Items published since ``since`` that match every condition given, newest first."""
    where = [Item.published_at >= since]
    if min_relevance > 0:
        where.append(Item.relevance >= min_relevance)
    terms = phrases(query)
    if terms:
        where.append(text_match(Item.id, terms))
    if entity_id:
        where.append(names_entity(entity_id))
    if themes:
        where.append(
            exists().where(ItemTheme.item_id == Item.id, ItemTheme.theme_id.in_(tuple(themes)))
        )
    return fetch_hits(
        session,
        select(*HIT_COLUMNS)
        .where(*where)
        .order_by(Item.published_at.desc(), Item.id.desc())
        .limit(max(1, limit)),
    )
