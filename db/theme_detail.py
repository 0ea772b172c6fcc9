"""Theme detail for the dashboard: volume, top sources, co-occurrence, matched terms.

Volume and sources come from the rollups. Co-occurrence pairs the themes of the theme's newest
``COOCCURRENCE_SCAN_LIMIT`` items in the filtered range (exact below that), so it shows the
chosen theme's partners. Matched terms
are read from the evidence JSON of the theme's newest ``TERMS_SCAN_LIMIT`` tagged items in
the range (``db.dialect.json_array_elements``): bounded scans, so the page stays fast on a
million items; the page says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal_column, select, true
from sqlalchemy.orm import Session

from jkwatch.db.dialect import id_in, json_array_elements
from jkwatch.db.item_lists import item_conditions
from jkwatch.db.models import DailyThemeCount, Feed, Item, ItemTheme, Theme
from jkwatch.db.query_filters import Filters, conditions, period_of, theme_rollup
from jkwatch.db.themes import ThemeInfo

TERMS_SCAN_LIMIT = 5_000
COOCCURRENCE_SCAN_LIMIT = 5_000
TOP_SOURCES = 15
TOP_TERMS = 25
_EMPTY: ColumnElement[str] = literal_column("''")


@dataclass(frozen=True)
class VolumePoint:
    period: date
    count: int
    relevant_count: int


@dataclass(frozen=True)
class SourceCount:
    feed_id: int
    name: str
    count: int


@dataclass(frozen=True)
class CooccurrenceCell:
    theme_a: str
    theme_b: str
    count: int
    """Items (or stories) carrying both themes; the diagonal holds each theme's own count."""


@dataclass(frozen=True)
class TermCount:
    term: str
    field: str
    items: int


@dataclass(frozen=True)
class ThemeDetail:
    theme: ThemeInfo | None
    volume: tuple[VolumePoint, ...]
    sources: tuple[SourceCount, ...]
    cooccurrence: tuple[CooccurrenceCell, ...]
    terms: tuple[TermCount, ...]
    terms_scanned: int
    """How many tagged items the term counts were read from (at most ``TERMS_SCAN_LIMIT``)."""
    cooccurrence_scanned: int = 0
    """How many of the theme's items (newest first) the pairs count (at most the limit)."""


def theme_detail(
    session: Session, theme_id: str, filters: Filters, grain: str = "week"
) -> ThemeDetail:
    """Everything the theme page shows for ``theme_id`` under ``filters`` (themes ignored)."""
    scoped = Filters(
        start=filters.start,
        end=filters.end,
        languages=filters.languages,
        feeds=filters.feeds,
        min_bucket=filters.min_bucket,
        stories=filters.stories,
        backfill=filters.backfill,
    )
    row = session.get(Theme, theme_id)
    info = ThemeInfo(row.id, row.label, row.description, row.position) if row else None
    terms, scanned = _terms(session, theme_id, scoped)
    # The theme's partners: pairs among the theme's own newest items, not the whole range.
    pairs, pairs_scanned = _cooccurrence(session, replace(scoped, themes=(theme_id,)))
    return ThemeDetail(
        theme=info,
        volume=_volume(session, theme_id, scoped, grain),
        sources=_sources(session, theme_id, scoped),
        cooccurrence=pairs,
        terms=terms,
        terms_scanned=scanned,
        cooccurrence_scanned=pairs_scanned,
    )


def _unit(model: Any, filters: Filters) -> Any:
    return model.stories if filters.stories else model.items


def _volume(session: Session, theme_id: str, filters: Filters, grain: str) -> tuple:
    model = theme_rollup(filters)
    unit = _unit(model, filters)
    rows = session.execute(
        select(
            model.day,
            func.sum(unit),
            func.sum(case((model.rel_bucket >= filters.relevant_bucket, unit), else_=0)),
        )
        .where(model.theme_id == theme_id, *conditions(model, filters))
        .group_by(model.day)
    )
    periods: dict[date, tuple[int, int]] = {}
    for day, n, relevant in rows:
        when = period_of(day, grain)
        old = periods.get(when, (0, 0))
        periods[when] = (old[0] + int(n or 0), old[1] + int(relevant or 0))
    return tuple(VolumePoint(p, c, r) for p, (c, r) in sorted(periods.items()))


def _sources(session: Session, theme_id: str, filters: Filters) -> tuple:
    unit = func.sum(_unit(DailyThemeCount, filters))
    rows = session.execute(
        select(
            DailyThemeCount.feed_id,
            func.coalesce(Feed.name, Feed.title, Feed.url),
            unit.label("n"),
        )
        .join(Feed, Feed.id == DailyThemeCount.feed_id)
        .where(DailyThemeCount.theme_id == theme_id, *conditions(DailyThemeCount, filters))
        .group_by(DailyThemeCount.feed_id, Feed.name, Feed.title, Feed.url)
        .order_by(unit.desc(), DailyThemeCount.feed_id)
        .limit(TOP_SOURCES)
    )
    return tuple(SourceCount(int(f), str(n), int(c or 0)) for f, n, c in rows)


def _cooccurrence(session: Session, filters: Filters) -> tuple[tuple, int]:
    """Theme pairs among the newest ``COOCCURRENCE_SCAN_LIMIT`` items in range (exact below it).

    Uncapped, the self-join of ``item_themes`` cost ~1 s over all of a million items. The
    sample is the newest items by the ``published_at`` index (the walk the item list uses);
    their (item, theme) rows are read by primary key and paired here, the diagonal included,
    so the heatmap is one consistent picture of the same items.
    """
    ids = list(
        session.scalars(
            select(Item.id)
            .where(*item_conditions(filters))
            .order_by(Item.published_at.desc(), Item.id.desc())
            .limit(COOCCURRENCE_SCAN_LIMIT)
        )
    )
    if not ids:
        return (), 0
    by_item: dict[int, list[str]] = {}
    for item_id, theme_id in session.execute(
        # One bound id list: primary-key probes (with the sample as a subquery PostgreSQL
        # hashed all of ``item_themes`` instead, 0.2 s).
        select(ItemTheme.item_id, ItemTheme.theme_id).where(id_in(ItemTheme.item_id, ids))
    ):
        by_item.setdefault(item_id, []).append(theme_id)
    scanned = len(ids)
    pairs: Counter[tuple[str, str]] = Counter()
    for themes in by_item.values():
        for x in themes:
            for y in themes:
                pairs[(x, y)] += 1
    cells = (CooccurrenceCell(x, y, n) for (x, y), n in sorted(pairs.items()))
    return tuple(cells), scanned


def _terms(session: Session, theme_id: str, filters: Filters) -> tuple[tuple, int]:
    where = [ItemTheme.theme_id == theme_id, *conditions(ItemTheme, filters, with_themes=False)]
    if filters.stories:
        where.append(ItemTheme.story_lead.is_(True))
    newest = (
        select(ItemTheme.item_id)
        .where(*where)
        .order_by(ItemTheme.day.desc(), ItemTheme.item_id.desc())
        .limit(TERMS_SCAN_LIMIT)
    )
    recent = (
        select(ItemTheme.evidence.label("evidence"))
        .where(*where)
        .order_by(ItemTheme.day.desc(), ItemTheme.item_id.desc())
        .limit(TERMS_SCAN_LIMIT)
        .subquery()
    )
    scanned = int(session.scalar(select(func.count()).select_from(newest.subquery())) or 0)
    if not scanned:
        return (), 0
    element = json_array_elements(recent.c.evidence)
    term = element.text("term")
    field = func.coalesce(element.text("field"), _EMPTY)
    n = func.count()
    rows = session.execute(
        select(term.label("term"), field.label("field"), n.label("n"))
        .select_from(recent)
        .join(element.table, true())
        .where(element.is_object(), term.is_not(None))
        .group_by(term, field)
        .order_by(n.desc(), term)
        .limit(TOP_TERMS)
    ).all()
    return tuple(TermCount(str(t), str(f), int(c)) for t, f, c in rows), scanned
