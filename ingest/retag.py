"""Re-tag stored items after the taxonomy changes.

Items are read and written in id-ordered batches, each batch in its own transaction:
a crash leaves every item with either its old tags or its new ones, never a mix, and
rerunning picks up where it stopped (``only_stale`` skips items already tagged with the
current taxonomy fingerprint). Writes go through ``db.items.apply_retag`` (Core
executemany), which also refreshes the rollup cells the batch touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from db import items as item_store
from db.themes import set_meta
from ingest.tag_values import sync_taxonomy, theme_ins
from ingest.tagging import Tagger, Taxonomy

TAXONOMY_META_KEY = "taxonomy_fingerprint"


@dataclass(frozen=True)
class RetagReport:
    items: int
    batches: int
    seconds: float
    changed: int = 0
    """Items whose tags differ from what was stored (the others were only re-stamped)."""

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


def retag_all(
    sessions: sessionmaker[Session],
    taxonomy: Taxonomy,
    tagger: Tagger | None = None,
    batch_size: int = 5000,
    only_stale: bool = False,
    progress: Callable[[int], None] | None = None,
) -> RetagReport:
    """Re-tag every stored item (or only those tagged with another taxonomy)."""
    tagger = tagger or Tagger(taxonomy)
    fingerprint = taxonomy.fingerprint
    started = time.perf_counter()
    with sessions.begin() as session:
        sync_taxonomy(session, taxonomy)
    after_id = 0
    done = batches = changed = 0
    while True:
        with sessions.begin() as session:
            batch = item_store.items_for_tagging(
                session, after_id, batch_size, stale_for=fingerprint if only_stale else None
            )
            if not batch:
                break
            updates = []
            for item in batch:
                result = tagger.tag(item.title, item.summary, item.body, lang=item.language)
                updates.append(
                    item_store.RetagUpdate(
                        item_id=item.id,
                        relevance=result.relevance,
                        relevant=result.relevant,
                        themes=theme_ins(result),
                        tagged_with=fingerprint,
                    )
                )
            changed += item_store.apply_retag(session, updates)
        after_id = batch[-1].id
        done += len(batch)
        batches += 1
        if progress:
            progress(len(batch))
    with sessions.begin() as session:
        set_meta(session, TAXONOMY_META_KEY, fingerprint)
    return RetagReport(
        items=done, batches=batches, seconds=time.perf_counter() - started, changed=changed
    )
