"""The dashboard's filters and the SQL conditions they become (shared by every read query).

One frozen ``Filters`` value describes a view: date range, themes, languages, feeds, minimum
relevance bucket, whether near-duplicate copies are folded into stories, and whether backfilled
history (items of ``kind = "backfill"`` pseudo-feeds) counts. The same value
filters the rollups (``daily_totals``, ``daily_theme_counts``), the denormalised
``item_themes`` rows and ``items`` itself, because all four carry the columns
``day, feed_id, language, rel_bucket``. Every read module (``trends``, ``item_lists``,
``search``, ``theme_detail``, ``overview``) speaks this vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from jkwatch.db.dialect import GRAINS
from jkwatch.db.models import DailySum, DailyThemeCount, DailyThemeSum, DailyTotal, Feed
from jkwatch.model import RELEVANCE_THRESHOLD

RELEVANT_BUCKET = round(RELEVANCE_THRESHOLD * 10)
"""``rel_bucket >= 5`` is exactly ``relevance >= 0.5`` (buckets are floor(relevance * 10))."""


@dataclass(frozen=True)
class Filters:
    """What a dashboard view looks at. Empty tuples mean "all"; dates are inclusive UTC days."""

    start: date | None = None
    end: date | None = None
    themes: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    feeds: tuple[int, ...] = ()
    min_bucket: int = 0
    stories: bool = False
    """Count stories (first copy of each near-duplicate cluster) instead of raw items."""
    backfill: bool = True
    """Include items of backfill pseudo-feeds (``jkwatch backfill``); off leaves them out of
    every count and list, by feed id (the per-feed rollups answer exactly, no item scan)."""

    @property
    def per_feed(self) -> bool:
        """Whether the view needs the per-feed rollups (a source filter or backfill left out)."""
        return bool(self.feeds) or not self.backfill

    @property
    def relevant_bucket(self) -> int:
        """The bucket from which an item counts as relevant under this view."""
        return max(self.min_bucket, RELEVANT_BUCKET)


def conditions(
    model: Any, filters: Filters, with_themes: bool = True, with_relevance: bool = True
) -> list[Any]:
    """WHERE clauses for any table with ``day, feed_id, language, rel_bucket`` columns.

    ``with_relevance=False`` drops the relevance floor: the "all coverage" denominator counts
    every item in the date, language and source range, whatever its relevance.
    """
    out: list[Any] = []
    if filters.start is not None:
        out.append(model.day >= filters.start)
    if filters.end is not None:
        out.append(model.day <= filters.end)
    if filters.languages:
        out.append(model.language.in_(filters.languages))
    if filters.feeds:
        out.append(model.feed_id.in_(filters.feeds))
    if not filters.backfill:
        if not hasattr(model, "feed_id"):
            raise ValueError(f"{model.__name__} has no feed_id: it cannot leave backfill out")
        out.append(model.feed_id.not_in(backfill_feed_ids()))
    if with_relevance and filters.min_bucket > 0:
        out.append(model.rel_bucket >= filters.min_bucket)
    if with_themes and filters.themes and hasattr(model, "theme_id"):
        out.append(model.theme_id.in_(filters.themes))
    return out


def backfill_feed_ids() -> Any:
    """The ids of the backfill pseudo-feeds, as a subquery (one per source and outlet: a few
    hundred rows at most, so ``feed_id NOT IN (...)`` stays cheap on every rollup)."""
    return select(Feed.id).where(Feed.kind == "backfill").scalar_subquery()


def theme_rollup(filters: Filters) -> Any:
    """The smallest exact per-theme rollup that can answer ``filters``.

    ``daily_theme_sums`` (summed over feeds and languages) has a few ten thousand rows at any
    scale; ``daily_theme_counts`` grows towards one row per item-theme and is only needed
    when the view filters by source or language.
    """
    return DailyThemeCount if filters.per_feed or filters.languages else DailyThemeSum


def total_rollup(filters: Filters) -> Any:
    """The smallest exact all-items rollup that can answer ``filters`` (see ``theme_rollup``)."""
    return DailyTotal if filters.per_feed else DailySum


def period_of(day: date, grain: str) -> date:
    """The first day of the period containing ``day`` (weeks start on Monday), in Python.

    Folding per-day sums into periods here is much cheaper on SQLite than ``date()`` per row
    (``db.dialect.period_start`` is the same rule in SQL).
    """
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown grain {grain!r} (expected one of {', '.join(GRAINS)})")
