"""The entities each item names (``item_entities``): written with the item, read by stories,
search, Compare and the dashboard's evidence.

Rows are replaced per item (delete, then insert), so writing an item's entities twice leaves
one set; the store step writes them in the item's own transaction (``db.items``), and
``rematch`` refreshes them after the gazetteer changes. ``ENTITIES_FINGERPRINT_KEY`` in
``meta`` records which gazetteer the stored rows come from, so ``db upgrade`` and
``jkwatch entities rematch`` know when a refresh is due.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from jkwatch.db.models import Item, ItemEntity
from jkwatch.db.themes import get_meta, set_meta
from jkwatch.model import EntityMatch

ENTITIES_FINGERPRINT_KEY = "entities_fingerprint"
log = logging.getLogger(__name__)
_TABLE = cast(Table, ItemEntity.__table__)
_CHUNK = 500


def entity_rows(item_id: int, day: date, matches: Sequence[EntityMatch]) -> list[dict]:
    """``item_entities`` rows of one item."""
    return [
        {"entity_id": m.entity_id, "item_id": item_id, "day": day, "names": list(m.names)}
        for m in matches
    ]


def replace_item_entities(
    session: Session, rows: Mapping[int, tuple[date, Sequence[EntityMatch]]]
) -> None:
    """Make the stored entities of each item in ``rows`` exactly the given ones."""
    ids = list(rows)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.execute(delete(ItemEntity).where(ItemEntity.item_id.in_(chunk)))
    values = [row for item_id, (day, ms) in rows.items() for row in entity_rows(item_id, day, ms)]
    if values:
        session.execute(insert(_TABLE), values)


def entities_of_items(
    session: Session, item_ids: Sequence[int]
) -> dict[int, tuple[EntityMatch, ...]]:
    """The stored entities of each item (items naming none are absent), sorted by entity id."""
    found: dict[int, list[EntityMatch]] = defaultdict(list)
    ids = list(dict.fromkeys(item_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        statement = (
            select(ItemEntity.item_id, ItemEntity.entity_id, ItemEntity.names)
            .where(ItemEntity.item_id.in_(chunk))
            .order_by(ItemEntity.item_id, ItemEntity.entity_id)
        )
        for item_id, entity_id, names in session.execute(statement):
            found[item_id].append(EntityMatch(entity_id, tuple(names or ())))
    return {item_id: tuple(matches) for item_id, matches in found.items()}


def stored_fingerprint(session: Session) -> str | None:
    """The fingerprint of the gazetteer the stored entities come from (None: never matched)."""
    return get_meta(session, ENTITIES_FINGERPRINT_KEY)


def record_fingerprint(session: Session, fingerprint: str) -> None:
    set_meta(session, ENTITIES_FINGERPRINT_KEY, fingerprint)


def note_gazetteer(session: Session, fingerprint: str) -> None:
    """Record ``fingerprint`` on a database without items; warn (once per call) when the
    stored entities come from another gazetteer."""
    stored = stored_fingerprint(session)
    if stored == fingerprint:
        return
    if stored is None and not has_items(session):
        record_fingerprint(session, fingerprint)
        return
    log.warning(
        "stored entities come from another version of the gazetteer: new items use the current "
        "one; run `jkwatch entities rematch` (or `jkwatch db upgrade`) to match the rest"
    )


def items_to_match(
    session: Session, after_id: int, limit: int
) -> list[tuple[int, date, str, str, str]]:
    """The next ``limit`` items by id after ``after_id``: (id, day, title, summary, language)."""
    statement = (
        select(Item.id, Item.day, Item.title, Item.summary, Item.language)
        .where(Item.id > after_id)
        .order_by(Item.id)
        .limit(limit)
    )
    return [
        (item_id, day, title or "", summary or "", language)
        for item_id, day, title, summary, language in session.execute(statement)
    ]


def has_items(session: Session) -> bool:
    """Whether any item is stored (one index probe, not a count of a million rows)."""
    return session.scalar(select(Item.id).limit(1)) is not None
