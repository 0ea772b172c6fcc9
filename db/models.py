"""The schema, as typed SQLAlchemy 2.0 declarative models.

Design notes (why the schema looks like this):

* Idempotent re-ingest rests on unique constraints: ``(feed_id, entry_key)`` for the same
  entry of the same feed, and ``canonical_url`` for the same article reached from anywhere.
* The dashboard aggregates theme x time over a million items. ``item_themes`` therefore
  carries copies of the few item columns it filters on (day, feed, language, relevance
  bucket, story), with a covering index, and exact rollups (``daily_totals`` and
  ``daily_theme_counts`` per day x feed x language x bucket, and their coarse sums
  ``daily_sums``, ``daily_theme_sums``, ``feed_sums``) are changed by difference inside the
  same transaction that writes the items, by one writer (``db.rollups``), so trend queries
  read a few thousand rows, not millions.
* ``rel_bucket`` is ``floor(relevance * 10)`` (0..10): the dashboard's relevance threshold
  works in steps of 0.1 on the rollups without losing exactness.
* Times are aware UTC datetimes (see ``db.types.UTCDateTime``); ``day`` columns are UTC dates.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from jkwatch.db.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

URL_LENGTH = 2048
_EMPTY_LIST = text("'[]'")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Feed(Base):
    """A source: an RSS/Atom feed, or the pseudo-feed that holds imported documents."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_LENGTH), unique=True)
    name: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str | None] = mapped_column(String(1000))
    site_url: Mapped[str | None] = mapped_column(String(URL_LENGTH))
    language: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="general")
    country: Mapped[str] = mapped_column(String(8), default="other", server_default="other")
    """Country of publication: "jp", "kr" or "other" (the Compare page's sides)."""
    origin: Mapped[str] = mapped_column(String(32), default="feed", server_default="feed")
    """Where its items came from: "feed" (live collection), "import", or "backfill:<source>"
    (``jkwatch.model.ORIGINS``). Backfilled items live in one never-fetched pseudo-feed per
    source and outlet, so outlet, country and every per-feed count work for them unchanged."""
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    min_interval_s: Mapped[int | None] = mapped_column(Integer)
    # HTTP caching state: validators and a hash of the last body, so unchanged feeds cost nothing.
    etag: Mapped[str | None] = mapped_column(String(1000))
    last_modified: Mapped[str | None] = mapped_column(String(200))
    body_hash: Mapped[str | None] = mapped_column(String(64))
    # Schedule and health.
    next_fetch_at: Mapped[datetime | None]
    interval_s: Mapped[int | None] = mapped_column(Integer)
    feed_ttl_s: Mapped[int | None] = mapped_column(Integer)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[str | None] = mapped_column(String(32))
    last_http_status: Mapped[int | None] = mapped_column(Integer)
    last_fetch_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_new_item_at: Mapped[datetime | None]
    # Lease for scale-out workers (PostgreSQL): the owner and when the claim lapses.
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index(None, "enabled", "next_fetch_at"),)


class Item(Base):
    """One news entry or imported document, stored once however often it is seen."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    guid: Mapped[str | None] = mapped_column(String(URL_LENGTH))
    entry_key: Mapped[str] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(String(URL_LENGTH), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[datetime]
    day: Mapped[date] = mapped_column(Date)
    date_flag: Mapped[str | None] = mapped_column(String(16))
    fetched_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    language: Mapped[str] = mapped_column(String(16), default="und")
    content_hash: Mapped[str] = mapped_column(String(64))
    simhash: Mapped[int] = mapped_column(BigInteger, default=0)
    story_id: Mapped[int | None] = mapped_column(Integer)
    relevance: Mapped[float] = mapped_column(Float, default=0.0)
    relevant: Mapped[bool] = mapped_column(Boolean, default=False)
    rel_bucket: Mapped[int] = mapped_column(SmallInteger, default=0)
    tagged_with: Mapped[str | None] = mapped_column(String(64))
    # Title and summary prepared for full-text search (CJK split into bigrams, see db.search).
    search_text: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        UniqueConstraint("feed_id", "entry_key"),
        Index(None, "day", "rel_bucket", "feed_id", "language"),
        Index(None, "feed_id", "day"),
        Index(None, "story_id"),
        Index(None, "published_at"),
    )


class ItemEntity(Base):
    """An entity of the gazetteer (``config/entities.toml``) that an item names.

    The key starts with the entity, so the items naming one entity (entity-aware search) are
    an index range; ``names`` are the names that matched, shown as evidence.
    """

    __tablename__ = "item_entities"

    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date)
    names: Mapped[list[Any]] = mapped_column(JSON)

    __table_args__ = (Index(None, "item_id", "entity_id"), Index(None, "day", "entity_id"))


class BackfillWindow(Base):
    """Progress of ``jkwatch backfill``: one row per window of one query at one source.

    A window is ``first_day..last_day`` (UTC days, both inclusive). It is written in the same
    transaction as the items it stored, so a killed backfill resumes at the first window
    without a row and never stores a window's items twice. ``status`` is "done", "split" (it
    came back full and its halves are windows of their own) or "failed" (retried at the next
    run). ``query_key`` is a hash of the language and query text, so a changed query set starts
    its own progress.
    """

    __tablename__ = "backfill_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    query_key: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    query: Mapped[str] = mapped_column(Text)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    items_stored: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("source", "query_key", "first_day", "last_day"),)


class Theme(Base):
    """A theme of the taxonomy; ``config/themes.toml`` is the source, this is its copy."""

    __tablename__ = "themes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class ItemTheme(Base):
    """A theme given to an item, with its score and the evidence (terms and fields)."""

    __tablename__ = "item_themes"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: Mapped[str] = mapped_column(
        ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[list[Any]] = mapped_column(JSON)
    # Copies of item columns so theme x time aggregation never joins items.
    day: Mapped[date] = mapped_column(Date)
    feed_id: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))
    rel_bucket: Mapped[int] = mapped_column(SmallInteger)
    story_lead: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        Index(None, "theme_id", "day", "rel_bucket", "feed_id", "language", "item_id"),
    )


class ItemCorrection(Base):
    """An analyst's merged corrections of one item, kept apart from the tagger's output.

    ``themes`` maps theme id -> ``{"added": bool, "by": name}``; ``relevant`` is the override
    (None: the tagger decides). The item's own columns and ``item_themes`` hold the final
    state (tagger output with this on top, see ``jkwatch.corrections``), so every read counts
    it unchanged; ``tagger_relevance`` and ``tagger_themes`` keep the tagger's last output so
    the correction can be changed or dropped without running the tagger.
    """

    __tablename__ = "item_corrections"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    relevant: Mapped[bool | None] = mapped_column(Boolean)
    themes: Mapped[dict[str, Any]] = mapped_column(JSON)
    analyst: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    tagger_relevance: Mapped[float] = mapped_column(Float)
    tagger_relevant: Mapped[bool] = mapped_column(Boolean)
    tagger_themes: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CorrectionLog(Base):
    """Every label action, append-only: who said what about which item, when and why."""

    __tablename__ = "correction_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer)
    analyst: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(16))
    relevant: Mapped[bool | None] = mapped_column(Boolean)
    added: Mapped[list[Any]] = mapped_column(JSON)
    removed: Mapped[list[Any]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index(None, "item_id", "at"),)


class DailyTotal(Base):
    """Exact count of all items per (day, feed, language, relevance bucket): trend denominators."""

    __tablename__ = "daily_totals"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    feed_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    rel_bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    items: Mapped[int] = mapped_column(Integer)
    stories: Mapped[int] = mapped_column(Integer)


class DailyThemeCount(Base):
    """Exact count of themed items per (day, feed, language, relevance bucket, theme)."""

    __tablename__ = "daily_theme_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    feed_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    rel_bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    theme_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    items: Mapped[int] = mapped_column(Integer)
    stories: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index(None, "theme_id", "day"),)


class DailyThemeSum(Base):
    """``daily_theme_counts`` summed over feeds and languages, kept exact by ``db.rollups``.

    A few ten thousand rows at any scale: the default views (no source or language filter)
    read this instead of the fine rollup, which grows with days x feeds x languages.
    """

    __tablename__ = "daily_theme_sums"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    theme_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rel_bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    items: Mapped[int] = mapped_column(Integer)
    stories: Mapped[int] = mapped_column(Integer)


class DailySum(Base):
    """``daily_totals`` summed over feeds, kept exact by ``db.rollups`` (see ``DailyThemeSum``)."""

    __tablename__ = "daily_sums"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    rel_bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    items: Mapped[int] = mapped_column(Integer)
    stories: Mapped[int] = mapped_column(Integer)


class WeeklyThemeSum(Base):
    """``daily_theme_sums`` summed per week (from Monday), kept exact by ``db.rollups``.

    All-history trends by week read whole weeks here (~100 weeks instead of ~730 days) and
    only the partial weeks at the edges of a range from the daily sums.
    """

    __tablename__ = "weekly_theme_sums"

    week: Mapped[date] = mapped_column(Date, primary_key=True)
    theme_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rel_bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    items: Mapped[int] = mapped_column(Integer)
    stories: Mapped[int] = mapped_column(Integer)


class WeeklySum(Base):
    """``daily_sums`` summed per week (from Monday), kept exact by ``db.rollups``."""

    __tablename__ = "weekly_sums"

    week: Mapped[date] = mapped_column(Date, primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    rel_bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    items: Mapped[int] = mapped_column(Integer)
    stories: Mapped[int] = mapped_column(Integer)


class FeedSum(Base):
    """``daily_totals`` summed over days and languages per feed, kept exact by ``db.rollups``."""

    __tablename__ = "feed_sums"

    feed_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rel_bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    items: Mapped[int] = mapped_column(Integer)
    stories: Mapped[int] = mapped_column(Integer)


class FetchRun(Base):
    """One attempt to refresh one feed: the feed-health log."""

    __tablename__ = "fetch_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(32))
    http_status: Mapped[int | None] = mapped_column(Integer)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    items_new: Mapped[int] = mapped_column(Integer, default=0)
    items_updated: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    warning: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index(None, "feed_id", "started_at"),)


class Meta(Base):
    """Small key/value facts about the database (taxonomy fingerprint, synthetic-data flag)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Story(Base):
    """A story: items about one event across outlets (``jkwatch.ingest.stories``).

    ``id`` is the item id of the member that began it (a merge keeps the smaller of two ids),
    so a re-clustering that finds the same members gives the same id. Figures are over the
    whole story; ranges are
    read from ``story_members``. Cross-language linking (a later issue) will link stories of
    different languages in a table of its own, leaving these same-language stories as they are.
    """

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    items: Mapped[int] = mapped_column(Integer)
    title_item_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index(None, "last_seen"),)


class StoryMember(Base):
    """An item's place in a story, with copies of the item columns range reads filter on.

    ``terms`` are the item's clustering features (so new items are compared without
    re-analysing their neighbours); ``linked_by`` are the words shared with the member that
    linked it in (empty for the first member, or ``["(near-duplicate)"]`` / ``["(analyst)"]``;
    for a link across languages ``["(cross-language)", "石破 = Ishiba", ..., "2 hours apart"]``:
    the shared entities with the names each side used, then the time gap).
    """

    __tablename__ = "story_members"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    story_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime]
    language: Mapped[str] = mapped_column(String(16))
    feed_id: Mapped[int] = mapped_column(Integer)
    relevance: Mapped[float] = mapped_column(Float)
    relevant: Mapped[bool] = mapped_column(Boolean)
    similarity: Mapped[float] = mapped_column(Float, default=0.0)
    linked_by: Mapped[list[Any]] = mapped_column(JSON)
    terms: Mapped[list[Any]] = mapped_column(JSON)
    entities: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default=_EMPTY_LIST)
    """Ids of the gazetteer entities the item names (cross-language linking compares them)."""
    themes: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default=_EMPTY_LIST)
    """The item's theme ids."""

    __table_args__ = (
        Index(None, "day", "story_id"),
        Index(None, "day", "relevant", "feed_id", "story_id"),
        Index(None, "story_id", "published_at"),
        Index(None, "published_at"),
    )


class StoryCorrection(Base):
    """An analyst's story correction, kept by every re-clustering.

    ``split``: ``item_id`` stands alone (no similarity or near-duplicate link); ``merge``:
    ``item_id`` and ``other_item_id`` are in one story (the ids of the two stories' first
    items when the analyst merged them).
    """

    __tablename__ = "story_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int] = mapped_column(Integer)
    other_item_id: Mapped[int | None] = mapped_column(Integer)
    analyst: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]

    __table_args__ = (Index(None, "item_id"), Index(None, "other_item_id"))


class AlertDelivery(Base):
    """One alert (or scheduled brief) to one channel: the delivery ledger (``db.deliveries``).

    The unique ``(rule, event_key, channel)`` is what makes delivery happen once: a worker
    claims a delivery by inserting its row (a second worker's insert is ignored) or by a
    compare-and-set on a due row, and the claim lapses at ``claim_expires_at`` so a crashed
    worker's delivery is retried. ``payload`` is the message itself, so a retry or a held
    alert is sent as it was first built. ``status``: pending, held, sent, failed, suppressed.
    """

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(100))
    event_key: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claim_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    subject: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        UniqueConstraint("rule", "event_key", "channel"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "rule", "created_at"),
        Index(None, "created_at"),
    )
