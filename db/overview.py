"""The dashboard's frame: whole-database totals, the demo flag and the filters' choices.

Totals come from the coarse rollup ``daily_sums`` (cheap at any size); the choices are the
stored themes, the feeds and the languages present.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from jkwatch.db.models import DailySum, Feed
from jkwatch.db.query_filters import RELEVANT_BUCKET
from jkwatch.db.themes import ThemeInfo, get_meta, list_themes


@dataclass(frozen=True)
class Overview:
    items: int
    relevant_items: int
    stories: int
    feeds: int
    first_day: date | None
    last_day: date | None


def overview_counts(session: Session) -> Overview:
    """Whole-database totals from the rollups (cheap at any size)."""
    row = session.execute(
        select(
            func.coalesce(func.sum(DailySum.items), 0),
            func.coalesce(
                func.sum(case((DailySum.rel_bucket >= RELEVANT_BUCKET, DailySum.items), else_=0)),
                0,
            ),
            func.coalesce(func.sum(DailySum.stories), 0),
            func.min(DailySum.day),
            func.max(DailySum.day),
        )
    ).one()
    feeds = session.scalar(select(func.count()).select_from(Feed)) or 0
    return Overview(int(row[0]), int(row[1]), int(row[2]), int(feeds), row[3], row[4])


def is_synthetic(session: Session) -> bool:
    """True for a demo database filled with generated sample data (the dashboard says so)."""
    return get_meta(session, "synthetic") == "true"


@dataclass(frozen=True)
class FeedOption:
    id: int
    name: str
    origin: str = "feed"
    """Its origin (``jkwatch.model.ORIGINS``): the sidebar tells backfill outlets apart."""


@dataclass(frozen=True)
class FilterOptions:
    themes: tuple[ThemeInfo, ...]
    feeds: tuple[FeedOption, ...]
    languages: tuple[str, ...]


def filter_options(session: Session) -> FilterOptions:
    """The choices the dashboard's filters offer: themes, feeds and languages present."""
    feeds = session.execute(
        select(Feed.id, func.coalesce(Feed.name, Feed.title, Feed.url), Feed.origin).order_by(
            Feed.id
        )
    ).all()
    languages = session.scalars(
        select(DailySum.language).distinct().order_by(DailySum.language)
    ).all()
    return FilterOptions(
        themes=tuple(list_themes(session)),
        feeds=tuple(FeedOption(int(i), str(n), str(o)) for i, n, o in feeds),
        languages=tuple(languages),
    )
