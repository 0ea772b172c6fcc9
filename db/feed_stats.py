"""Read side for feed health: per-feed item counts for ``jkwatch feeds list``.

Kept apart from ``db.feeds`` (the write side) so the listing can grow columns without
touching the functions the pipeline relies on.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jkwatch.db.models import Item


def item_counts(session: Session) -> dict[int, int]:
    """Stored items per feed id (feeds without items are absent)."""
    rows = session.execute(select(Item.feed_id, func.count()).group_by(Item.feed_id))
    return {feed_id: count for feed_id, count in rows}
