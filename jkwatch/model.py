"""Frozen dataclasses that cross the storage boundary.

``ingest`` hands ``EntryIn`` and ``FetchOutcome`` values to ``db``; ``db`` returns ``FeedRecord``
and friends. Nothing outside ``db`` sees an ORM object, so sessions can close freely and the
pure stages stay testable without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, get_args

RELEVANCE_THRESHOLD = 0.5
"""An item is *relevant* when its relevance is at least this (documented in the README)."""

UNKNOWN_LANGUAGE = "und"
FEED_KINDS = ("general", "topic", "import", "backfill")
PSEUDO_FEED_KINDS = ("import", "backfill")
"""Kinds of feed that are never fetched: containers for imported documents and for the items a
backfill found, one per outlet (``jkwatch backfill``)."""

ORIGINS = ("feed", "import", "backfill:google-news", "backfill:gdelt")
"""Where a feed's items came from (the export's ``origin``): live collection, ``jkwatch import``,
or a backfill from a news-search source."""
BACKFILL_SOURCES = ("google-news", "gdelt")
EXPORT_ORIGINS = ("all", "feed", "backfill", "import")
"""``jkwatch export --origin``: every item, or those of live feeds, of any backfill source, or
of imported documents."""
ORIGIN_LABELS = {
    "feed": "live feed",
    "import": "import",
    "backfill:google-news": "backfill: Google News",
    "backfill:gdelt": "backfill: GDELT",
}


def origin_label(origin: str) -> str:
    """An origin in words, as people read it (an unknown one as stored)."""
    return ORIGIN_LABELS.get(origin, origin)


Outcome = Literal["ok", "not_modified", "unchanged", "gone", "error"]
"""How one fetch or refresh attempt ended; the same words in fetch results, plans, the fetch log
and reports:

* ``ok``: a new body was fetched (and, for a refresh, parsed and stored);
* ``not_modified``: HTTP 304, nothing to parse;
* ``unchanged``: 200 but byte-identical to the last body, nothing to parse;
* ``gone``: HTTP 410, the feed is disabled;
* ``error``: anything else; the attempt's ``error`` says what in user words.
"""
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
NO_NEW_BODY: frozenset[Outcome] = frozenset({"not_modified", "unchanged"})
"""Outcomes that mean "the feed answered, but there is nothing new to read"."""


def relevance_bucket(relevance: float) -> int:
    """``floor(relevance * 10)`` clamped to 0..10: the granularity of the rollups' threshold."""
    return max(0, min(10, int(relevance * 10 + 1e-9)))


@dataclass(frozen=True)
class FeedSpec:
    """A feed as configured (feeds.toml, OPML, ``feeds add``): what the user asked for."""

    url: str
    name: str | None = None
    language: str | None = None
    kind: str = "general"
    min_interval_s: int | None = None
    enabled: bool = True
    country: str | None = None
    """"jp", "kr" or "other" (``jkwatch.countries``); None: not stated (a new feed gets the
    guess from its host, a stored feed keeps its own)."""
    origin: str = "feed"
    """One of ``ORIGINS``."""


@dataclass(frozen=True)
class FeedRecord:
    """A stored feed with its caching state, schedule and health."""

    id: int
    url: str
    name: str | None
    title: str | None
    site_url: str | None
    language: str | None
    kind: str
    enabled: bool
    disabled_reason: str | None
    min_interval_s: int | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    next_fetch_at: datetime | None
    interval_s: int | None
    feed_ttl_s: int | None
    error_count: int
    last_error: str | None
    last_status: Outcome | None
    last_http_status: int | None
    last_fetch_at: datetime | None
    last_success_at: datetime | None
    last_new_item_at: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    created_at: datetime
    country: str = "other"
    origin: str = "feed"
    """One of ``ORIGINS``."""

    @property
    def display_name(self) -> str:
        return self.name or self.title or self.url


@dataclass(frozen=True)
class ThemeIn:
    """One theme given to an entry by the tagger."""

    theme_id: str
    score: float
    evidence: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class EntityMatch:
    """A gazetteer entity an item names, with the names that matched (its evidence)."""

    entity_id: str
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntryIn:
    """A normalised, tagged entry ready to be stored (idempotently)."""

    entry_key: str
    title: str
    summary: str
    published_at: datetime
    content_hash: str
    guid: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    body: str | None = None
    author: str | None = None
    date_flag: str | None = None
    language: str = UNKNOWN_LANGUAGE
    simhash: int = 0
    relevance: float = 0.0
    relevant: bool = False
    themes: tuple[ThemeIn, ...] = ()
    tagged_with: str | None = None
    entities: tuple[EntityMatch, ...] = ()
    """The gazetteer entities the entry names (``jkwatch.ingest.entities``)."""
    story_id: int | None = None
    """An existing item's story this entry joins (from near-duplicate detection), if any."""
    story_of_entry: str | None = None
    """The ``entry_key`` of an earlier entry in the same batch whose story this one joins."""


@dataclass(frozen=True)
class StoreResult:
    """What storing a batch of entries did."""

    new_ids: tuple[int, ...] = ()
    updated_ids: tuple[int, ...] = ()
    unchanged: int = 0

    @property
    def items_new(self) -> int:
        return len(self.new_ids)

    @property
    def items_updated(self) -> int:
        return len(self.updated_ids)


@dataclass(frozen=True)
class Fingerprint:
    """A stored item's near-duplicate signature, for clustering new entries into stories."""

    item_id: int
    story_id: int
    simhash: int
    title: str
    published_at: datetime


@dataclass(frozen=True)
class FetchOutcome:
    """The result of one refresh attempt of one feed, as recorded in the fetch log."""

    started_at: datetime
    duration_ms: int
    outcome: Outcome
    http_status: int | None = None
    items_seen: int = 0
    items_new: int = 0
    items_updated: int = 0
    error: str | None = None
    warning: str | None = None
    worker: str | None = None


@dataclass(frozen=True)
class FeedUpdate:
    """Changes to a feed's stored state after an attempt (validators, schedule, metadata)."""

    next_fetch_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    interval_s: int | None = None
    feed_ttl_s: int | None = None
    title: str | None = None
    site_url: str | None = None
    language: str | None = None
    new_url: str | None = None
    disable_reason: str | None = None
    error_count: int | None = None
    """The error streak after this attempt, as the planner decided (None: count it here)."""
    keep_validators: bool = False
    """True when the attempt did not see a body (304, error): keep the stored validators."""


@dataclass(frozen=True)
class ItemRow:
    """An item as read back for export, search results and drill-down."""

    id: int
    feed_id: int
    feed_url: str
    feed_name: str
    url: str | None
    canonical_url: str | None
    title: str
    summary: str
    author: str | None
    published_at: datetime
    day: date
    language: str
    story_id: int | None
    relevance: float
    relevant: bool
    themes: tuple[str, ...] = field(default_factory=tuple)
    corrected: bool = False
    """Whether an analyst corrected the item's tags (``jkwatch label``)."""
    country: str = "other"
    """The feed's country of publication ("jp", "kr" or "other")."""
    entities: tuple[str, ...] = ()
    """Ids of the gazetteer entities the item names."""
    origin: str = "feed"
    """Where the item came from: its feed's origin (one of ``ORIGINS``)."""


# -- stories (issue 15) ---------------------------------------------------------------------

STORY_WINDOW_HOURS = 72
"""Items of one story lie within this distance of another member (single link in time)."""


@dataclass(frozen=True)
class StoryLink:
    """One item of a story, as listed to people."""

    item_id: int
    title: str
    url: str | None
    feed_name: str
    language: str
    """``en`` | ``ja`` | ``ko`` | ``und``."""
    published_at: datetime
    relevance: float
    country: str = "other"
    """The outlet's country of publication."""
    linked_by: tuple[str, ...] = ()
    """Why it is in the story (``StoryAssignment.linked_by``; ``link_reason`` puts it in words)."""


@dataclass(frozen=True)
class StorySummary:
    """A story as seen from a date range: its figures count only its items in the range."""

    story_id: int
    title: str
    """The most representative headline: the member most similar to the others (ties: the
    earliest), see ``jkwatch.ingest.stories.cluster.representative``."""
    items: int
    outlets: int
    outlet_names: tuple[str, ...]
    languages: tuple[str, ...]
    themes: tuple[str, ...]
    """Theme ids carried by its items in range, most frequent first."""
    first_seen: datetime
    """Over the whole story (it may have begun before the range)."""
    last_seen: datetime
    item_ids: tuple[int, ...]
    urls: tuple[str, ...]
    score: float
    why: str
    outlets_by_country: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Outlet names per country of publication (``feeds.country``: "jp", "kr", "other"; only
    the countries with an outlet in the story), so Tokyo's and Seoul's coverage read apart."""


CROSS_LANGUAGE = "(cross-language)"
"""First word of a member's ``linked_by`` when it joined through a member of another
language: the rest are the shared entities (the names each side used) and the time gap."""


def link_reason(linked_by: tuple[str, ...] | list[str]) -> str:
    """A member's ``linked_by`` in words: "across languages: 石破 = Ishiba = 이시바; GSOMIA;
    2 days apart" for an entity link, the shared words comma-separated otherwise."""
    words = list(linked_by)
    if words and words[0] == CROSS_LANGUAGE:
        return "across languages: " + "; ".join(words[1:])
    return ", ".join(words)


@dataclass(frozen=True)
class StoryDetail:
    """A whole story: its summary over all members and the members, oldest first."""

    summary: StorySummary
    members: tuple[StoryLink, ...]


@dataclass(frozen=True)
class StoryAssignment:
    """The clustering's answer for one item: its story and why (written by ``db.stories``)."""

    item_id: int
    story_id: int
    similarity: float = 0.0
    """Similarity to the member that linked it in (1.0 for near-duplicate or analyst links)."""
    linked_by: tuple[str, ...] = ()
    """The shared words that linked it (``(near-duplicate)`` / ``(analyst)`` for those links)."""
    terms: tuple[str, ...] = ()
    """The item's clustering features, kept so later items are compared without re-analysis."""
    title_item_id: int | None = None
    """Set on any one member per story: the member whose headline is the story's title."""
    entities: tuple[str, ...] = ()
    """The item's entity ids, kept so later items of other languages are compared with it."""
    themes: tuple[str, ...] = ()
    """The item's theme ids (kept for the same reason)."""


@dataclass(frozen=True)
class StoryInput:
    """An item as the story clustering sees it: text for new items, stored terms for members."""

    item_id: int
    published_at: datetime
    language: str
    title: str = ""
    summary: str = ""
    near_dup: int | None = None
    """The item's near-duplicate cluster (``items.story_id``)."""
    story_id: int | None = None
    """The story of an already clustered member (None: to be clustered)."""
    terms: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    """Ids of the gazetteer entities the item names."""
    themes: tuple[str, ...] = ()
    entity_names: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Per entity, the names the item used (read for new items and link candidates only)."""


@dataclass(frozen=True)
class StoryCorrections:
    """The analyst's story corrections as the clustering applies them."""

    splits: frozenset[int] = frozenset()
    merges: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class SpikeEpisode:
    """One spike of one theme inside a date range: consecutive flagged 7-day windows merged.

    ``start`` is the first UTC day of the episode's first window, ``end`` the last day of its
    last window (both inclusive); ``count`` the theme's items (per the filters) in
    ``[start, end]``; ``baseline`` the count expected for a span of that length from the 8 weeks
    before ``start``; ``z`` the peak window's z-score (see ``db.trends.SPIKES_IN_RANGE_METHOD``).
    """

    theme_id: str
    start: date
    end: date
    count: int
    baseline: float
    z: float
    direction: str  # "rise" | "fall"


@dataclass(frozen=True)
class Mover:
    """A theme whose count in a range departs from its own baseline (``db.brief``)."""

    theme: str
    label: str
    count: int
    """The theme's items (per the brief's filters) in the range."""
    baseline: float
    """The mean count of the 8 periods of the range's length right before it."""
    z: float
    """(count - baseline) / max(std of those 8 periods, 1)."""
    direction: str  # "rise" | "fall"
    story_ids: tuple[int, ...]
    """The range's top stories carrying the theme (at most 3): the stories that make the move."""


@dataclass(frozen=True)
class Brief:
    """What happened in a range: its top stories, the themes that moved, every spike."""

    since: date
    until: date
    stories: tuple[StorySummary, ...]
    movers: tuple[Mover, ...]
    spikes: tuple[SpikeEpisode, ...]
    baseline: str
    """The movers' baseline, in words (which periods, how z is computed)."""


# -- the Japan–Korea comparison (``db.compare``) ------------------------------------------


@dataclass(frozen=True)
class SideCount:
    """One country's relevant items carrying a theme, and their share of its coverage."""

    items: int
    share: float
    """items / all relevant items of the country in the range (0..1; 0 when it has none)."""


@dataclass(frozen=True)
class ThemeComparison:
    """One theme's coverage by the press of each country, and the gap between Japan and Korea."""

    theme: str
    label: str
    jp: SideCount
    kr: SideCount
    other: SideCount
    gap: float
    """jp.share - kr.share: positive when Japan's press gives the theme more of its attention."""


@dataclass(frozen=True)
class GapPoint:
    """One theme in one period of the range: both shares and their gap."""

    start: date
    end: date
    """The period's days inside the range (weeks start on Monday; edge weeks are cut)."""
    theme: str
    jp_items: int
    kr_items: int
    jp_share: float
    kr_share: float
    gap: float


@dataclass(frozen=True)
class OneSidedStory:
    """A story covered heavily by one country's press and little or not at all by the other's."""

    story_id: int
    side: str  # "jp" | "kr": the country that covered it
    items_jp: int
    items_kr: int
    items_other: int
    title: str
    item_ids: tuple[int, ...]
    """The story's relevant items in the range (every country), oldest first."""


@dataclass(frozen=True)
class EntityCount:
    """An entity named by relevant items of one side (``theme`` "" means all themes)."""

    theme: str
    side: str
    entity_id: str
    items: int


@dataclass(frozen=True)
class Comparison:
    """The Japan–Korea comparison of a range (``db.compare.compare``)."""

    since: date
    until: date
    totals: dict[str, int]
    """All relevant items per country ("jp", "kr", "other") in the range: the shares' base."""
    themes: tuple[ThemeComparison, ...]
    grain: str
    """"day" or "week": the periods of ``gap_over_time``."""
    gap_over_time: tuple[GapPoint, ...]
    one_sided_stories: tuple[OneSidedStory, ...]
    entities: tuple[EntityCount, ...]
    """The entities each side names most, per theme and over all themes ("")."""
