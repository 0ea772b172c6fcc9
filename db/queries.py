"""Feed health for the dashboard's sources page: fetch state and output per feed.

(To be joined with ``db.feed_stats`` in one feed-health module.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from jkwatch.clock import utcnow
from jkwatch.db.models import DailyTotal, Feed, FeedSum
from jkwatch.db.query_filters import RELEVANT_BUCKET

HEALTH_DAYS = 30


@dataclass(frozen=True)
class FeedHealth:
    id: int
    name: str
    url: str
    kind: str
    enabled: bool
    disabled_reason: str | None
    last_fetch_at: datetime | None
    last_success_at: datetime | None
    last_status: str | None
    last_http_status: int | None
    error_count: int
    last_error: str | None
    next_fetch_at: datetime | None
    items_total: int
    items_per_day: float
    """Average over the last ``HEALTH_DAYS`` days (by publication day)."""
    relevant_share: float
    """Share of the feed's items (all time) that are relevant."""


def feed_health(session: Session, now: datetime | None = None) -> list[FeedHealth]:
    """Every feed with its fetch state and output, from ``feeds`` and the rollups."""
    since = (now or utcnow()).date() - timedelta(days=HEALTH_DAYS - 1)
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
    rows = session.execute(
        select(Feed, totals.c.total, totals.c.relevant, recent.c.recent)
        .outerjoin(totals, totals.c.feed_id == Feed.id)
        .outerjoin(recent, recent.c.feed_id == Feed.id)
        .order_by(Feed.error_count.desc(), Feed.id)
    ).all()
    out = []
    for feed, total, relevant, recent in rows:
        total = int(total or 0)
        out.append(
            FeedHealth(
                id=feed.id,
                name=feed.name or feed.title or feed.url,
                url=feed.url,
                kind=feed.kind,
                enabled=feed.enabled,
                disabled_reason=feed.disabled_reason,
                last_fetch_at=feed.last_fetch_at,
                last_success_at=feed.last_success_at,
                last_status=feed.last_status,
                last_http_status=feed.last_http_status,
                error_count=feed.error_count or 0,
                last_error=feed.last_error,
                next_fetch_at=feed.next_fetch_at,
                items_total=total,
                items_per_day=round(int(recent or 0) / HEALTH_DAYS, 2),
                relevant_share=round(int(relevant or 0) / total, 4) if total else 0.0,
            )
        )
    return out
