"""Feed health, read once for every place that shows it.

``jkwatch status``, ``jkwatch feeds list`` (its table and both ``--json`` outputs) and the
dashboard's sources page all show what ``feed_health`` returns: each feed's settings, its last
attempt and result, the error streak, when it is due next, a live lease, and its output (all
time and the last ``HEALTH_DAYS`` days, read from the rollups, so the cost depends on feeds x
days, not on the number of items). The field names are the JSON keys of both commands (see
README, "Feed health"), so the CLI and the dashboard speak one vocabulary. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from jkwatch.clock import utcnow
from jkwatch.db.models import DailyTotal, Feed, FeedSum
from jkwatch.db.query_filters import RELEVANT_BUCKET
from jkwatch.model import PSEUDO_FEED_KINDS, Outcome

HEALTH_DAYS = 30
"""The window of ``items_per_day``."""


@dataclass(frozen=True)
class FeedHealth:
    """One feed's state and output. Times are UTC; ``None`` means never (or not applicable)."""

    id: int
    url: str
    name: str
    language: str | None
    kind: str
    country: str
    """Country of publication: "jp", "kr" or "other" (``jkwatch.countries``)."""
    enabled: bool
    disabled_reason: str | None
    min_interval_s: int | None
    """The feed's own floor on the fetch interval, if set."""
    interval_s: int | None
    """The interval the scheduler chose after the last attempt."""
    last_attempt_at: datetime | None
    last_result: Outcome | None
    """The outcome of the last attempt (``ok``, ``not_modified``, ``error``, ...)."""
    last_http_status: int | None
    last_error: str | None
    last_success_at: datetime | None
    error_streak: int
    """Failed attempts in a row (0 after a success)."""
    next_due_at: datetime | None
    """When the feed is due; ``None`` for a disabled feed."""
    lease_owner: str | None
    """The worker fetching the feed now (only while its lease is live)."""
    lease_expires_at: datetime | None
    items: int
    """Items stored from this feed, all time."""
    items_per_day: float
    """Average per day over the last ``HEALTH_DAYS`` days (by publication day)."""
    relevant_share: float
    """Share of the feed's items (all time) that are relevant, 0..1."""


def feed_health(
    session: Session, now: datetime | None = None, include_imports: bool = False
) -> list[FeedHealth]:
    """Every feed's health, by id. Sources of ``jkwatch import`` (never fetched) only when
    ``include_imports``; backfill outlets never (they are not feeds to monitor: their progress
    is ``db.backfill_progress``'s)."""
    now = now or utcnow()
    since = now.date() - timedelta(days=HEALTH_DAYS - 1)
    # All-time counts from ``feed_sums`` (a few hundred rows); the last days from the range
    # of ``daily_totals`` they cover (its key starts with the day).
    totals = (
        select(
            FeedSum.feed_id.label("feed_id"),
            func.sum(FeedSum.items).label("total"),
            func.sum(case((FeedSum.rel_bucket >= RELEVANT_BUCKET, FeedSum.items), else_=0)).label(
                "relevant"
            ),
        )
        .group_by(FeedSum.feed_id)
        .subquery()
    )
    recent = (
        select(DailyTotal.feed_id.label("feed_id"), func.sum(DailyTotal.items).label("recent"))
        .where(DailyTotal.day >= since)
        .group_by(DailyTotal.feed_id)
        .subquery()
    )
    query = (
        select(Feed, totals.c.total, totals.c.relevant, recent.c.recent)
        .outerjoin(totals, totals.c.feed_id == Feed.id)
        .outerjoin(recent, recent.c.feed_id == Feed.id)
        .order_by(Feed.id)
    )
    if not include_imports:
        query = query.where(Feed.kind.not_in(PSEUDO_FEED_KINDS))
    else:
        query = query.where(Feed.kind != "backfill")
    return [
        _health(feed, int(total or 0), int(relevant or 0), int(recent or 0), now)
        for feed, total, relevant, recent in session.execute(query).all()
    ]


def _health(feed: Feed, total: int, relevant: int, recent: int, now: datetime) -> FeedHealth:
    live = bool(feed.lease_owner and feed.lease_expires_at and feed.lease_expires_at > now)
    return FeedHealth(
        id=feed.id,
        url=feed.url,
        name=feed.name or feed.title or feed.url,
        language=feed.language,
        kind=feed.kind,
        country=feed.country,
        enabled=feed.enabled,
        disabled_reason=feed.disabled_reason,
        min_interval_s=feed.min_interval_s,
        interval_s=feed.interval_s,
        last_attempt_at=feed.last_fetch_at,
        last_result=cast(Outcome | None, feed.last_status),  # written only from Outcome values
        last_http_status=feed.last_http_status,
        last_error=feed.last_error,
        last_success_at=feed.last_success_at,
        error_streak=feed.error_count or 0,
        next_due_at=feed.next_fetch_at if feed.enabled else None,
        lease_owner=feed.lease_owner if live else None,
        lease_expires_at=feed.lease_expires_at if live else None,
        items=total,
        items_per_day=round(recent / HEALTH_DAYS, 2),
        relevant_share=round(relevant / total, 4) if total else 0.0,
    )
