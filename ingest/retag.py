"""Re-tag stored items after the taxonomy changes.

Items are read and written in id-ordered batches, each batch in its own transaction:
a crash leaves every item with either its old tags or its new ones, never a mix, and
rerunning picks up where it stopped (``only_stale`` skips items already tagged with the
current taxonomy fingerprint). Writes go through ``db.retag.apply_retag`` (driver-level
executemany), which also changes the rollups by the batch's netted differences. The run
tunes its SQLite connection for bulk writes (``db.engine.tune_for_bulk_writes``) and keeps
Python's cycle collector out of the batches.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db import retag as retag_store
from jkwatch.db.engine import end_bulk_writes, tune_for_bulk_writes
from jkwatch.db.themes import set_meta
from jkwatch.ingest.story_builder import StoryBuilder
from jkwatch.ingest.tag_values import sync_taxonomy, theme_ins
from jkwatch.ingest.tagging import Tagger, Taxonomy

TAXONOMY_META_KEY = "taxonomy_fingerprint"
DEFAULT_BATCH_SIZE = 40_000
"""Items per transaction. Larger batches commit less often, and each commit rewrites the rollup
pages a batch touched (random days and feeds touch most of them): at 1M items, with every item's
tags changing, 5,000 per batch took 220-236 s, 20,000 took 175-183 s and 40,000 took 154-166 s. A
batch holds the SQLite writer lock for about 7 s, well inside the 30 s busy timeout ingest
workers wait for, and an interrupted run loses at most one batch of work."""


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
    batch_size: int = DEFAULT_BATCH_SIZE,
    only_stale: bool = False,
    progress: Callable[[int], None] | None = None,
    assign_stories: bool = True,
) -> RetagReport:
    """Re-tag every stored item (or only those tagged with another taxonomy); items of each
    batch without a story are put into one (``write_tags`` keeps the stories' copies of
    relevance)."""
    stories = StoryBuilder()
    tagger = tagger or Tagger(taxonomy)
    fingerprint = taxonomy.fingerprint
    started = time.perf_counter()
    with sessions.begin() as session:
        sync_taxonomy(session, taxonomy)
    after_id = 0
    done = batches = changed = 0
    with _collector_between_batches():
        while True:
            with sessions.begin() as session:
                tune_for_bulk_writes(session)
                batch = retag_store.items_for_tagging(
                    session, after_id, batch_size, stale_for=fingerprint if only_stale else None
                )
                if not batch:
                    break
                updates = [_tag(tagger, item, fingerprint) for item in batch]
                changed += retag_store.apply_retag(session, updates)
                if assign_stories:
                    stories.assign(session, [item.id for item in batch])
            gc.collect(1)
            after_id = batch[-1].id
            done += len(batch)
            batches += 1
            if progress:
                progress(len(batch))
    with sessions.begin() as session:
        set_meta(session, TAXONOMY_META_KEY, fingerprint)
        end_bulk_writes(session)
    return RetagReport(
        items=done, batches=batches, seconds=time.perf_counter() - started, changed=changed
    )


def _tag(
    tagger: Tagger, item: retag_store.TaggingInput, fingerprint: str
) -> retag_store.RetagUpdate:
    result = tagger.tag(item.title, item.summary, item.body, lang=item.language)
    return retag_store.RetagUpdate(
        item_id=item.id,
        relevance=result.relevance,
        relevant=result.relevant,
        themes=theme_ins(result),
        tagged_with=fingerprint,
    )


@contextmanager
def _collector_between_batches() -> Iterator[None]:
    """Run Python's cycle collector between batches only, not while one is built.

    A batch allocates hundreds of thousands of tuples; each allocation burst triggered full
    collections that walked the tagger's large tables too (8% of a 1M-item retag). Batches
    create no reference cycles of their own, so the young generations are swept after each
    commit instead, and the collector's previous state is restored at the end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
