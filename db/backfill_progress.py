"""Read-only views of backfilled history: how far each backfill got, and where live began.

``backfill_progress`` summarises ``backfill_windows`` per source for the dashboard's sources
page (windows done, split and failed, items stored, the days covered, the failed windows with
their last error); ``backfill_stored`` counts the items the backfill feeds hold now, from the
per-feed rollup. ``live_collection_start`` is the moment live collection stored its first
item, the seam the time charts mark. Nothing here writes (``db.backfill`` is the write side).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from jkwatch.db.models import BackfillWindow, DailyTotal, Feed, FeedSum, Item
from jkwatch.db.query_filters import Filters, backfill_feed_ids, conditions

FAILED_SHOWN = 50
"""Failed windows listed per source (the oldest first); the count covers all of them."""


@dataclass(frozen=True)
class FailedWindow:
    source: str
    language: str
    query: str
    first_day: date
    last_day: date
    attempts: int
    last_error: str
    updated_at: datetime


@dataclass(frozen=True)
class SourceProgress:
    """One backfill source's windows. ``first_day``/``last_day`` span the windows done."""

    source: str
    done: int
    split: int
    failed: int
    items_seen: int
    items_stored: int
    first_day: date | None
    last_day: date | None
    last_update: datetime | None
    failures: tuple[FailedWindow, ...]


def backfill_progress(session: Session, failed_shown: int = FAILED_SHOWN) -> list[SourceProgress]:
    """Per source (alphabetical), the state of its windows; empty when nothing was backfilled.

    ``items_stored`` sums every window's new items (a split window stores none: its halves
    do), ``items_seen`` the windows done; the days covered are the span of the windows done
    (a failed window inside it is listed).
    """
    w = BackfillWindow
    done = w.status == "done"
    rows = session.execute(
        select(
            w.source,
            func.sum(case((done, 1), else_=0)),
            func.sum(case((w.status == "split", 1), else_=0)),
            func.sum(case((w.status == "failed", 1), else_=0)),
            func.sum(case((done, w.items_seen), else_=0)),
            func.sum(w.items_stored),
            func.min(case((done, w.first_day))),
            func.max(case((done, w.last_day))),
            func.max(w.updated_at),
        )
        .group_by(w.source)
        .order_by(w.source)
    ).all()
    out = []
    for source, n_done, n_split, n_failed, seen, stored, first, last, updated in rows:
        out.append(
            SourceProgress(
                source=str(source),
                done=int(n_done or 0),
                split=int(n_split or 0),
                failed=int(n_failed or 0),
                items_seen=int(seen or 0),
                items_stored=int(stored or 0),
                first_day=first,
                last_day=last,
                last_update=updated,
                failures=tuple(_failures(session, str(source), failed_shown)),
            )
        )
    return out


def _failures(session: Session, source: str, limit: int) -> list[FailedWindow]:
    w = BackfillWindow
    rows = session.scalars(
        select(w)
        .where(w.source == source, w.status == "failed")
        .order_by(w.first_day, w.last_day, w.id)
        .limit(max(0, limit))
    )
    return [
        FailedWindow(
            source=row.source,
            language=row.language,
            query=row.query,
            first_day=row.first_day,
            last_day=row.last_day,
            attempts=row.attempts,
            last_error=row.last_error or "",
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def backfill_stored(session: Session) -> dict[str, tuple[int, int]]:
    """Per backfill origin (``backfill:<source>``): (outlets, items held now), from the
    per-feed rollup ``feed_sums`` (exact, a few hundred rows)."""
    per_feed = (
        select(FeedSum.feed_id, func.sum(FeedSum.items).label("n"))
        .group_by(FeedSum.feed_id)
        .subquery()
    )
    rows = session.execute(
        select(Feed.origin, func.count(Feed.id), func.coalesce(func.sum(per_feed.c.n), 0))
        .outerjoin(per_feed, per_feed.c.feed_id == Feed.id)
        .where(Feed.kind == "backfill")
        .group_by(Feed.origin)
    ).all()
    return {str(origin): (int(outlets), int(items or 0)) for origin, outlets, items in rows}


def backfill_items(session: Session, filters: Filters) -> int:
    """How many backfilled items lie in the view ``filters`` (its days, languages and sources,
    whatever their relevance and themes, with backfill included), from the per-feed rollup
    ``daily_totals``: exact, no item scan. The pages use it to say when a range holds
    backfilled history."""
    where = conditions(
        DailyTotal, replace(filters, backfill=True), with_themes=False, with_relevance=False
    )
    return int(
        session.scalar(
            select(func.coalesce(func.sum(DailyTotal.items), 0)).where(
                *where, DailyTotal.feed_id.in_(backfill_feed_ids())
            )
        )
        or 0
    )


def live_collection_start(session: Session) -> datetime | None:
    """When live collection stored its first item: the ``fetched_at`` of the first item (by
    id, i.e. by insertion) of a live feed (``feeds.origin = "feed"``); None before any.

    The walk follows the primary key from the start and stops at the first live item, so it
    reads at most the imported and backfilled items stored before it (no full scan).
    """
    return session.scalar(
        select(Item.fetched_at)
        .join(Feed, Feed.id == Item.feed_id)
        .where(Feed.origin == "feed")
        .order_by(Item.id)
        .limit(1)
    )
