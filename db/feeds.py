"""Feeds: configure and list them, record each attempt's outcome, keep and prune the fetch log.

All functions take the caller's session first and never commit: the caller owns the
transaction (``with Session.begin():``). Leases (claiming due feeds, renewing and releasing
them) are the other half of the feeds domain, in ``db.leases``; ``record_attempt`` ends a
lease by clearing it with the feed's new state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jkwatch.clock import utcnow
from jkwatch.countries import check_country, guess_country
from jkwatch.db.models import Feed, FetchRun, Meta
from jkwatch.model import (
    BACKFILL_SOURCES,
    FEED_KINDS,
    ORIGINS,
    PSEUDO_FEED_KINDS,
    FeedRecord,
    FeedSpec,
    FeedUpdate,
    FetchOutcome,
    Outcome,
)

_RECORD_FIELDS = tuple(FeedRecord.__dataclass_fields__)


def to_record(feed: Feed) -> FeedRecord:
    return FeedRecord(**{name: getattr(feed, name) for name in _RECORD_FIELDS})


class FeedNotFound(LookupError):
    """No feed with that URL or id."""


def upsert_feed(
    session: Session, spec: FeedSpec, now: datetime | None = None
) -> tuple[FeedRecord, bool]:
    """Add a feed, or update its configured settings; returns ``(feed, created)``.

    Fetch state (validators, schedule, health) of an existing feed is kept, so re-reading
    ``feeds.toml`` on every start is harmless.
    """
    if spec.kind not in FEED_KINDS:
        raise ValueError(
            f"unknown feed kind {spec.kind!r} (expected one of {', '.join(FEED_KINDS)})"
        )
    now = now or utcnow()
    feed = session.scalars(select(Feed).where(Feed.url == spec.url)).one_or_none()
    created = feed is None
    if feed is None:
        feed = Feed(
            url=spec.url,
            created_at=now,
            updated_at=now,
            next_fetch_at=now,
            error_count=0,
            enabled=spec.enabled,
        )
        session.add(feed)
    if spec.country is not None:
        feed.country = check_country(spec.country)
    elif created:
        feed.country = guess_country(spec.url)
    if spec.name is not None:
        feed.name = spec.name
    if spec.language is not None:
        feed.language = spec.language
    feed.kind = spec.kind
    feed.origin = check_origin(spec.origin)
    feed.min_interval_s = spec.min_interval_s
    feed.updated_at = now
    session.flush()
    return to_record(feed), created


def get_feed(session: Session, url_or_id: str | int) -> FeedRecord:
    feed = _find(session, url_or_id)
    return to_record(feed)


def _find(session: Session, url_or_id: str | int) -> Feed:
    if isinstance(url_or_id, int) or (isinstance(url_or_id, str) and url_or_id.isdigit()):
        feed = session.get(Feed, int(url_or_id))
    else:
        feed = session.scalars(select(Feed).where(Feed.url == url_or_id)).one_or_none()
    if feed is None:
        raise FeedNotFound(f"no feed {url_or_id!r}: see `jkwatch feeds list`")
    return feed


def list_feeds(session: Session, include_imports: bool = False) -> list[FeedRecord]:
    query = select(Feed).order_by(Feed.id)
    if not include_imports:
        query = query.where(Feed.kind.not_in(PSEUDO_FEED_KINDS))
    return [to_record(feed) for feed in session.scalars(query)]


def set_country(session: Session, url_or_id: str | int, country: str) -> FeedRecord:
    """Change a stored feed's country of publication (the rollups are keyed by feed, so
    every count follows at once)."""
    feed = _find(session, url_or_id)
    feed.country = check_country(country)
    feed.updated_at = utcnow()
    session.flush()
    return to_record(feed)


def remove_feed(session: Session, url_or_id: str | int) -> FeedRecord:
    """Delete a feed with its items and log, taking it out of the rollups (``db.rollups``)."""
    from jkwatch.db.rollups import forget_feed

    feed = _find(session, url_or_id)
    record = to_record(feed)
    forget_feed(session, feed.id)
    session.delete(feed)
    session.flush()
    return record


def set_enabled(
    session: Session, url_or_id: str | int, enabled: bool, reason: str | None = None
) -> FeedRecord:
    feed = _find(session, url_or_id)
    feed.enabled = enabled
    feed.disabled_reason = None if enabled else reason
    if enabled:
        feed.error_count = 0
        feed.next_fetch_at = utcnow()
    feed.updated_at = utcnow()
    session.flush()
    return to_record(feed)


def due_feeds(session: Session, now: datetime, include_not_due: bool = False) -> list[FeedRecord]:
    """Enabled, fetchable feeds whose next fetch time has come (all enabled with the flag)."""
    query = select(Feed).where(Feed.enabled.is_(True), Feed.kind.not_in(PSEUDO_FEED_KINDS))
    if not include_not_due:
        query = query.where(or_(Feed.next_fetch_at.is_(None), Feed.next_fetch_at <= now))
    return [
        to_record(feed) for feed in session.scalars(query.order_by(Feed.next_fetch_at, Feed.id))
    ]


def record_attempt(
    session: Session, feed_id: int, outcome: FetchOutcome, changes: FeedUpdate
) -> FeedRecord:
    """Store one attempt in the fetch log and the feed's new state, in the caller's transaction."""
    feed = session.get(Feed, feed_id)
    if feed is None:
        raise FeedNotFound(f"feed {feed_id} disappeared during the run")
    session.add(
        FetchRun(
            feed_id=feed_id,
            started_at=outcome.started_at,
            duration_ms=outcome.duration_ms,
            outcome=outcome.outcome,
            http_status=outcome.http_status,
            items_seen=outcome.items_seen,
            items_new=outcome.items_new,
            items_updated=outcome.items_updated,
            error=outcome.error,
            warning=outcome.warning,
            worker=outcome.worker,
        )
    )
    finished = outcome.started_at + timedelta(milliseconds=outcome.duration_ms)
    feed.last_fetch_at = finished
    feed.last_status = outcome.outcome
    feed.last_http_status = outcome.http_status
    streak = changes.error_count
    if outcome.outcome == "error":
        feed.error_count = (feed.error_count or 0) + 1 if streak is None else streak
        feed.last_error = outcome.error
    else:
        feed.error_count = 0
        feed.last_error = None
        feed.last_success_at = finished
    if outcome.items_new:
        feed.last_new_item_at = finished
    if not changes.keep_validators:
        feed.etag = changes.etag
        feed.last_modified = changes.last_modified
        feed.body_hash = changes.body_hash
    feed.next_fetch_at = changes.next_fetch_at
    if changes.interval_s is not None:
        feed.interval_s = changes.interval_s
    if changes.feed_ttl_s is not None:
        feed.feed_ttl_s = changes.feed_ttl_s
    for name in ("title", "site_url"):
        value = getattr(changes, name)
        if value:
            setattr(feed, name, value[:1000] if name == "title" else value)
    if changes.language and not feed.language:
        feed.language = changes.language
    if changes.new_url and changes.new_url != feed.url:
        clash = session.scalars(select(Feed.id).where(Feed.url == changes.new_url)).first()
        if clash is None:
            feed.url = changes.new_url
    if changes.disable_reason:
        feed.enabled = False
        feed.disabled_reason = changes.disable_reason
    feed.lease_owner = None
    feed.lease_expires_at = None
    feed.updated_at = utcnow()
    session.flush()
    return to_record(feed)


def fetch_log(session: Session, feed_id: int, limit: int = 20) -> list[FetchOutcome]:
    rows = session.scalars(
        select(FetchRun)
        .where(FetchRun.feed_id == feed_id)
        .order_by(FetchRun.started_at.desc())
        .limit(limit)
    )
    return [
        FetchOutcome(
            started_at=row.started_at,
            duration_ms=row.duration_ms,
            outcome=cast(Outcome, row.outcome),
            http_status=row.http_status,
            items_seen=row.items_seen,
            items_new=row.items_new,
            items_updated=row.items_updated,
            error=row.error,
            warning=row.warning,
            worker=row.worker,
        )
        for row in rows
    ]


PRUNED_AT_KEY = "fetch_log_pruned_at"


def prune_fetch_log(
    session: Session,
    keep_days: int,
    now: datetime | None = None,
    at_most_every: timedelta | None = None,
) -> int | None:
    """Drop fetch-log rows older than ``keep_days`` (the log would otherwise grow forever).

    With ``at_most_every``, prune only if no one (another worker, a cron run) has pruned within
    that period, and return None otherwise: the last prune time is claimed with a
    compare-and-set on a ``meta`` row, so of several PostgreSQL workers exactly one prunes.
    """
    now = now or utcnow()
    if at_most_every is not None and not _claim_prune(session, now, at_most_every):
        return None
    cutoff = now - timedelta(days=keep_days)
    result = session.execute(delete(FetchRun).where(FetchRun.started_at < cutoff))
    return cast("CursorResult[Any]", result).rowcount or 0


def _stamp(when: datetime) -> str:
    """Fixed-width UTC text, so stamps compare as strings on every backend."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _claim_prune(session: Session, now: datetime, every: timedelta) -> bool:
    claimed = session.execute(
        update(Meta)
        .where(Meta.key == PRUNED_AT_KEY, Meta.value <= _stamp(now - every))
        .values(value=_stamp(now))
    )
    if cast("CursorResult[Any]", claimed).rowcount:
        return True
    if session.get(Meta, PRUNED_AT_KEY) is not None:
        return False  # pruned within the period (or a worker is pruning right now)
    try:
        with session.begin_nested():  # the very first prune: two workers may race to insert
            session.add(Meta(key=PRUNED_AT_KEY, value=_stamp(now)))
    except IntegrityError:
        return False
    return True


def count_feeds(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Feed).where(Feed.kind.not_in(PSEUDO_FEED_KINDS))
        )
        or 0
    )


def feeds_by_url(session: Session, urls: Iterable[str]) -> dict[str, FeedRecord]:
    urls = list(urls)
    if not urls:
        return {}
    return {
        feed.url: to_record(feed)
        for feed in session.scalars(select(Feed).where(Feed.url.in_(urls)))
    }


def ensure_import_feed(session: Session, source: str, country: str | None = None) -> FeedRecord:
    """The pseudo-feed that holds documents imported from ``source`` (never fetched).

    Its country is ``country`` when stated; otherwise it starts as "other" (an ``import:``
    address has no host to guess from) and is left alone afterwards, so ``feeds set-country``
    on it sticks across imports.
    """
    url = f"import:{source}"
    spec = FeedSpec(
        url=url, name=source, kind="import", enabled=False, country=country, origin="import"
    )
    record, _ = upsert_feed(session, spec)
    return record


def ensure_backfill_feed(
    session: Session,
    source: str,
    outlet: str,
    site_url: str | None = None,
    country: str | None = None,
    language: str | None = None,
) -> FeedRecord:
    """The never-fetched pseudo-feed that holds what backfill ``source`` found from ``outlet``.

    One per source and outlet (``backfill:<source>:<outlet>``), so the outlet's name, its
    country (stated, else guessed from ``site_url``'s host, e.g. ``.kr``) and the per-feed
    counts work as for a live feed. A country set later with ``feeds set-country`` sticks.
    """
    if source not in BACKFILL_SOURCES:
        raise ValueError(f"unknown backfill source {source!r}")
    url = f"backfill:{source}:{outlet}"[:2048]
    existing = session.scalars(select(Feed).where(Feed.url == url)).one_or_none()
    if existing is not None:
        if site_url and not existing.site_url:
            existing.site_url = site_url[:2048]
        return to_record(existing)
    if country is None and site_url:
        country = guess_country(site_url)
    spec = FeedSpec(
        url=url,
        name=outlet,
        language=language,
        kind="backfill",
        enabled=False,
        country=country or "other",
        origin=f"backfill:{source}",
    )
    record, _ = upsert_feed(session, spec)
    if site_url:  # the publisher's site: names the publisher of items under aggregator links
        session.execute(update(Feed).where(Feed.id == record.id).values(site_url=site_url[:2048]))
        record = replace(record, site_url=site_url[:2048])
    return record


def check_origin(origin: str) -> str:
    """``origin`` if it is one of ``ORIGINS``, else a ValueError naming the choices."""
    if origin not in ORIGINS:
        raise ValueError(f"unknown origin {origin!r} (expected one of {', '.join(ORIGINS)})")
    return origin
