"""Re-match the stored items against the gazetteer, after it changed (``jkwatch entities
rematch``, ``jkwatch db upgrade``).

Items are read by id in batches (keyset pagination: flat memory at any size), matched by the
pure ``EntityMatcher`` and written back one transaction per batch, replacing each item's rows
(and the copies its story membership keeps for cross-language linking). The gazetteer's
fingerprint is recorded only when every batch is done, so an interrupted run is simply
rerun: the batches it finished are rewritten with the same rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db import entities as entity_store
from jkwatch.db.models import StoryMember
from jkwatch.ingest.entities import EntityMatcher

BATCH = 1_000


@dataclass(frozen=True)
class RematchReport:
    items: int
    with_entities: int
    seconds: float


def needs_rematch(session: Session, matcher: EntityMatcher) -> bool:
    """Whether stored entities come from another gazetteer (or were never matched) while
    items exist."""
    if entity_store.stored_fingerprint(session) == matcher.gazetteer.fingerprint:
        return False
    return entity_store.has_items(session)


def rematch_entities(
    sessions: sessionmaker[Session],
    matcher: EntityMatcher,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> RematchReport:
    """Match every stored item again and record the gazetteer's fingerprint."""
    started = time.perf_counter()
    after = 0
    items = with_entities = 0
    while True:
        with sessions.begin() as session:
            rows = entity_store.items_to_match(session, after, batch)
            if not rows:
                entity_store.record_fingerprint(session, matcher.gazetteer.fingerprint)
                break
            found = {
                item_id: (day, matcher.match(title, summary, language))
                for item_id, day, title, summary, language in rows
            }
            entity_store.replace_item_entities(session, found)
            _copy_to_story_members(session, found)
        after = rows[-1][0]
        items += len(rows)
        with_entities += sum(1 for _, matches in found.values() if matches)
        if progress is not None:
            progress(items)
    return RematchReport(items, with_entities, time.perf_counter() - started)


def _copy_to_story_members(session: Session, found: dict[int, Any]) -> None:
    """Keep the entity copies of story members in step (cross-language linking reads them)."""
    values = [
        {"b_id": item_id, "b_entities": [m.entity_id for m in matches]}
        for item_id, (_, matches) in found.items()
    ]
    table = cast(Table, StoryMember.__table__)
    session.execute(
        update(table)
        .where(table.c.item_id == bindparam("b_id"))
        .values(entities=bindparam("b_entities")),
        values,
    )
