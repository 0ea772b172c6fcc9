"""Storage of ``jkwatch backfill``'s progress: one ``backfill_windows`` row per fetched window.

The runner writes a window's row in the transaction that stores the window's items, so the row
exists exactly when the items do. Reading the rows of one query tells the runner which windows
are settled ("done" after their last day was over, or "split") and which to fetch again.
Functions take the session first and never commit (the caller owns the transaction).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from jkwatch.db.models import BackfillWindow, Feed, Item


@dataclass(frozen=True)
class WindowRow:
    """What a stored window row says; ``settled`` windows are never fetched again."""

    first_day: date
    last_day: date
    status: str
    attempts: int
    updated_at: datetime
    last_error: str | None = None

    @property
    def settled(self) -> bool:
        """Split windows stay split; a done window is final once it was fetched after its last
        day (a window fetched while its last day was still running may have grown since)."""
        if self.status == "split":
            return True
        return self.status == "done" and self.updated_at.date() > self.last_day


def window_rows(
    session: Session, source: str, query_key: str, first_day: date, last_day: date
) -> dict[tuple[date, date], WindowRow]:
    """The rows of one source and query inside ``first_day..last_day``, by (first, last)."""
    rows = session.scalars(
        select(BackfillWindow).where(
            BackfillWindow.source == source,
            BackfillWindow.query_key == query_key,
            BackfillWindow.first_day >= first_day,
            BackfillWindow.last_day <= last_day,
        )
    )
    return {
        (row.first_day, row.last_day): WindowRow(
            row.first_day,
            row.last_day,
            row.status,
            row.attempts,
            row.updated_at,
            row.last_error,
        )
        for row in rows
    }


@dataclass(frozen=True)
class WindowResult:
    """One window's outcome to record."""

    source: str
    query_key: str
    language: str
    query: str
    first_day: date
    last_day: date
    status: str
    items_seen: int = 0
    items_stored: int = 0
    attempts: int = 1
    error: str | None = None


def record_window(session: Session, result: WindowResult, now: datetime) -> None:
    """Insert or update the window's row (attempts add up across runs)."""
    row = session.scalars(
        select(BackfillWindow).where(
            BackfillWindow.source == result.source,
            BackfillWindow.query_key == result.query_key,
            BackfillWindow.first_day == result.first_day,
            BackfillWindow.last_day == result.last_day,
        )
    ).one_or_none()
    if row is None:
        row = BackfillWindow(
            source=result.source,
            query_key=result.query_key,
            language=result.language,
            query=result.query,
            first_day=result.first_day,
            last_day=result.last_day,
            attempts=0,
            items_seen=0,
            items_stored=0,
        )
        session.add(row)
    row.status = result.status
    row.items_seen = result.items_seen
    row.items_stored = (row.items_stored or 0) + result.items_stored
    row.attempts = (row.attempts or 0) + result.attempts
    row.last_error = result.error
    row.updated_at = now
    session.flush()


@dataclass(frozen=True)
class StoredTitle:
    """A stored item that may be the same article as a backfilled entry (``ingest.backfill.
    copies`` decides, by publisher and title)."""

    title: str
    language: str
    day: date
    url: str | None
    site_url: str | None


def stored_titles(
    session: Session, first_day: date, last_day: date, titles: Collection[str]
) -> list[StoredTitle]:
    """Items dated ``first_day..last_day`` whose title is exactly one of ``titles``, with
    their feed's site (the publisher of an item stored under an aggregator link)."""
    out: list[StoredTitle] = []
    wanted = sorted(set(titles))
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(Item.title, Item.language, Item.day, Item.url, Feed.site_url)
            .join(Feed, Feed.id == Item.feed_id)
            .where(
                Item.day >= first_day,
                Item.day <= last_day,
                Item.title.in_(wanted[start : start + 500]),
            )
        )
        out.extend(StoredTitle(*row) for row in rows)
    return out
