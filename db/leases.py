"""Leases on feeds: claim due feeds, renew, release, and when the next feed falls due.

``claim_due_feeds`` hands a worker its feeds with a lease that lapses at
``lease_expires_at``; ``db.feeds.record_attempt`` clears it when the feed is stored. The
other functions cover the rest of a lease's life for the scheduler: a live worker renews the leases
of the feeds still in flight (so a slow feed is not taken over while its worker is healthy),
a worker that shuts down gives back what it did not process, and the sleeping loop asks when
the next feed becomes claimable. A worker that dies simply stops renewing; its leases expire
and other workers claim the feeds. Like every ``db`` function these take the caller's session
and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from jkwatch.db.dialect import claim_lock
from jkwatch.db.feeds import to_record
from jkwatch.db.models import Feed
from jkwatch.db.types import UTCDateTime
from jkwatch.model import PSEUDO_FEED_KINDS, FeedRecord


def claim_due_feeds(
    session: Session, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[FeedRecord]:
    """Claim up to ``limit`` due feeds for ``worker`` until ``now + lease``.

    A feed is claimable when it is due and nobody holds a live lease on it. The rows are
    locked with ``db.dialect.claim_lock`` (``SKIP LOCKED`` on PostgreSQL) so concurrent
    workers never claim the same feed.
    """
    query = (
        select(Feed)
        .where(
            Feed.enabled.is_(True),
            Feed.kind.not_in(PSEUDO_FEED_KINDS),
            or_(Feed.next_fetch_at.is_(None), Feed.next_fetch_at <= now),
            or_(Feed.lease_expires_at.is_(None), Feed.lease_expires_at <= now),
        )
        .order_by(Feed.next_fetch_at, Feed.id)
        .limit(limit)
    )
    feeds = list(session.scalars(claim_lock(query)))
    for feed in feeds:
        feed.lease_owner = worker
        feed.lease_expires_at = now + lease
    session.flush()
    return [to_record(feed) for feed in feeds]


def renew_leases(session: Session, worker: str, now: datetime, lease: timedelta) -> int:
    """Extend every lease ``worker`` still holds to ``now + lease``; returns how many."""
    result = session.execute(
        update(Feed)
        .where(Feed.lease_owner == worker)
        .values(lease_expires_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount or 0


def release_leases(session: Session, worker: str, feed_ids: Iterable[int] | None = None) -> int:
    """Give back ``worker``'s leases (all of them, or only on ``feed_ids``); returns how many.

    The feed keeps its due time, so another worker (or this one, later) claims it at once.
    """
    query = update(Feed).where(Feed.lease_owner == worker)
    if feed_ids is not None:
        ids = list(feed_ids)
        if not ids:
            return 0
        query = query.where(Feed.id.in_(ids))
    result = session.execute(
        query.values(lease_owner=None, lease_expires_at=None).execution_options(
            synchronize_session=False
        )
    )
    return cast(CursorResult[Any], result).rowcount or 0


def next_claimable_at(session: Session, now: datetime) -> datetime | None:
    """When the earliest enabled feed can next be claimed (``now`` if one is claimable already).

    A feed is claimable at its due time, or when the live lease on it lapses, whichever is
    later. ``None`` when there is nothing to fetch at all.
    """
    leased = and_(Feed.lease_expires_at.is_not(None), Feed.lease_expires_at > now)
    due = func.coalesce(Feed.next_fetch_at, now)
    at = case(
        (and_(leased, Feed.lease_expires_at > due), Feed.lease_expires_at),
        else_=due,
    )
    earliest = session.scalar(
        select(func.min(at, type_=UTCDateTime())).where(
            Feed.enabled.is_(True), Feed.kind.not_in(PSEUDO_FEED_KINDS)
        )
    )
    if earliest is None:
        return None
    return max(earliest, now)


def leases_held(session: Session, worker: str) -> list[int]:
    """Ids of the feeds ``worker`` currently holds a lease on (expired or not)."""
    return list(session.scalars(select(Feed.id).where(Feed.lease_owner == worker)))
