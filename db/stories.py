"""Story ids of freshly stored items, looked up by entry key (for near-duplicate clustering).

``db.items.store_entries`` reports new item ids but not which entry became which item; the
ingest pipeline needs the story of each stored entry so later feeds in the same run can join it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from jkwatch.db.models import Item

_CHUNK = 500


def stories_by_entry_key(session: Session, feed_id: int, keys: Sequence[str]) -> dict[str, int]:
    """``{entry_key: story_id}`` for the feed's items with those keys (story of a lead = itself)."""
    found: dict[str, int] = {}
    keys = list(dict.fromkeys(keys))
    for start in range(0, len(keys), _CHUNK):
        rows = session.execute(
            select(Item.entry_key, Item.id, Item.story_id).where(
                Item.feed_id == feed_id, Item.entry_key.in_(keys[start : start + _CHUNK])
            )
        )
        for entry_key, item_id, story_id in rows:
            found[entry_key] = story_id or item_id
    return found
