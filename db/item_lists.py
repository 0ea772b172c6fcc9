"""Item lists for the dashboard: the items behind a number, list pages, and their evidence.

Every list is newest first, one page at a time, and returns frozen ``ItemHit`` values (never
ORM objects). ``item_conditions`` turns the view's filters into conditions on ``items`` that
let the ``published_at`` index drive the walk; full-text search (``db.search``) adds its match
to them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal_column, select
from sqlalchemy.orm import Session

from jkwatch.db.corrections import corrected_ids
from jkwatch.db.models import Feed, Item, ItemTheme, Theme
from jkwatch.db.query_filters import Filters, conditions, theme_rollup, total_rollup

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class ItemHit:
    """An item as listed by search and drill-down (never an ORM object)."""

    id: int
    title: str
    summary: str
    url: str | None
    feed_id: int
    feed_name: str
    published_at: datetime
    day: date
    language: str
    relevance: float
    story_id: int | None
    themes: tuple[str, ...] = ()
    corrected: bool = False
    """Whether an analyst corrected the item's tags."""
    origin: str = "feed"
    """Its feed's origin (``jkwatch.model.ORIGINS``): live feed, import or a backfill source."""


@dataclass(frozen=True)
class ItemPage:
    total: int
    page: int
    page_size: int
    items: tuple[ItemHit, ...]
    total_exact: bool = True
    """False when ``total`` is a floor: a common word's matches are counted only so far."""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def item_conditions(filters: Filters) -> list[Any]:
    """WHERE clauses on ``items`` for ``filters`` (date range on ``published_at``)."""
    # ``day`` is the UTC date of ``published_at``: the range is given on ``published_at`` only,
    # so the newest-first walk of its index starts at the range's end (SQLite otherwise picks
    # the ``day`` index and sorts the whole range: 0.4 s for 90 days at a million items).
    out = conditions(Item, replace(filters, start=None, end=None), with_themes=False)
    if filters.start is not None:
        out.append(Item.published_at >= datetime.combine(filters.start, time.min, UTC))
    if filters.end is not None:
        out.append(
            Item.published_at < datetime.combine(filters.end + timedelta(days=1), time.min, UTC)
        )
    if filters.stories:
        out.append(Item.story_id == Item.id)
    if filters.themes:
        # A probe of the (item_id, theme_id) key per candidate: the walk stops after a page,
        # where ``IN (all items of the theme)`` first built a set of ~200,000 ids.
        out.append(
            exists().where(ItemTheme.item_id == Item.id, ItemTheme.theme_id.in_(filters.themes))
        )
    return out


def rollup_total(session: Session, filters: Filters) -> int | None:
    """The number of items passing ``filters``, from the rollups (exact and cheap; None when a
    rollup cannot say: an item with two of the themes would be counted twice)."""
    if len(filters.themes) > 1:
        return None
    model = theme_rollup(filters) if filters.themes else total_rollup(filters)
    col = model.stories if filters.stories else model.items
    return int(
        session.scalar(select(func.coalesce(func.sum(col), 0)).where(*conditions(model, filters)))
        or 0
    )


def count_where(session: Session, where: list[Any]) -> int:
    """How many items pass ``where`` (counted in a subquery of constant rows)."""
    inner: Select[Any] = select(literal_column("1").label("one")).select_from(Item).where(*where)
    return int(session.scalar(select(func.count()).select_from(inner.subquery())) or 0)


def items_behind(
    session: Session,
    theme_id: str,
    period_start: date,
    period_end: date,
    filters: Filters,
    page: int = 1,
    page_size: int = 50,
) -> ItemPage:
    """The items that make one number of a trend or spike: a theme in a period, under filters.

    The period is intersected with the filters' date range, as the number itself was.
    """
    start = max(period_start, filters.start) if filters.start else period_start
    end = min(period_end, filters.end) if filters.end else period_end
    scoped = replace(filters, start=start, end=end, themes=())
    where = [ItemTheme.theme_id == theme_id, *conditions(ItemTheme, scoped, with_themes=False)]
    if filters.stories:
        where.append(ItemTheme.story_lead.is_(True))
    total = int(session.scalar(select(func.count()).select_from(ItemTheme).where(*where)) or 0)
    page = max(1, page)
    page_size = max(1, min(MAX_PAGE_SIZE, page_size))
    hits = fetch_hits(
        session,
        select(*HIT_COLUMNS)
        .join(ItemTheme, and_(ItemTheme.item_id == Item.id))
        .where(*where)
        .order_by(Item.published_at.desc(), Item.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size),
    )
    return ItemPage(total=total, page=page, page_size=page_size, items=hits)


HIT_COLUMNS = (
    Item.id,
    Item.title,
    Item.summary,
    Item.url,
    Item.feed_id,
    Item.published_at,
    Item.day,
    Item.language,
    Item.relevance,
    Item.story_id,
)


def fetch_hits(session: Session, query: Any) -> tuple[ItemHit, ...]:
    """The rows of ``query`` (over ``HIT_COLUMNS``) as hits, with feed names and themes."""
    rows = session.execute(query).all()
    if not rows:
        return ()
    feed_ids = sorted({row.feed_id for row in rows})
    names: dict[int, str] = {}
    origins: dict[int, str] = {}
    for feed_id, name, origin in session.execute(
        select(Feed.id, func.coalesce(Feed.name, Feed.title, Feed.url), Feed.origin).where(
            Feed.id.in_(feed_ids)
        )
    ):
        names[feed_id], origins[feed_id] = str(name), str(origin)
    themes: dict[int, list[str]] = {}
    for item_id, theme_id in session.execute(
        select(ItemTheme.item_id, ItemTheme.theme_id)
        .where(ItemTheme.item_id.in_([row.id for row in rows]))
        .order_by(ItemTheme.item_id, ItemTheme.score.desc(), ItemTheme.theme_id)
    ):
        themes.setdefault(item_id, []).append(theme_id)
    corrected = corrected_ids(session, [row.id for row in rows])
    return tuple(
        ItemHit(
            id=row.id,
            title=row.title or "",
            summary=row.summary or "",
            url=row.url,
            feed_id=row.feed_id,
            feed_name=str(names.get(row.feed_id, "")),
            published_at=row.published_at,
            day=row.day,
            language=row.language,
            relevance=float(row.relevance),
            story_id=row.story_id,
            themes=tuple(themes.get(row.id, ())),
            corrected=row.id in corrected,
            origin=origins.get(row.feed_id, "feed"),
        )
        for row in rows
    )


@dataclass(frozen=True)
class EvidenceRow:
    """Why an item got a theme: the score and the matched terms with the field they were in."""

    item_id: int
    theme_id: str
    label: str
    score: float
    evidence: tuple[dict[str, Any], ...]


def item_themes_with_evidence(
    session: Session, item_ids: list[int] | tuple[int, ...]
) -> dict[int, list[EvidenceRow]]:
    """Themes of each item (strongest first) with their evidence, for at most one page."""
    ids = list(item_ids)[: MAX_PAGE_SIZE * 5]
    out: dict[int, list[EvidenceRow]] = {item_id: [] for item_id in ids}
    if not ids:
        return out
    rows = session.execute(
        select(
            ItemTheme.item_id, ItemTheme.theme_id, Theme.label, ItemTheme.score, ItemTheme.evidence
        )
        .join(Theme, Theme.id == ItemTheme.theme_id)
        .where(ItemTheme.item_id.in_(ids))
        .order_by(ItemTheme.item_id, ItemTheme.score.desc(), ItemTheme.theme_id)
    )
    for item_id, theme_id, label, score, evidence in rows:
        items = evidence if isinstance(evidence, list) else []
        out[item_id].append(
            EvidenceRow(
                item_id=item_id,
                theme_id=theme_id,
                label=label,
                score=float(score),
                evidence=tuple(e for e in items if isinstance(e, dict)),
            )
        )
    return out


def cluster_items(session: Session, story_id: int, limit: int = 50) -> tuple[ItemHit, ...]:
    """The items of one near-duplicate cluster (``items.story_id``), oldest first."""
    return fetch_hits(
        session,
        select(*HIT_COLUMNS)
        .where(Item.story_id == story_id)
        .order_by(Item.published_at, Item.id)
        .limit(max(1, limit)),
    )


def item_hits(session: Session, item_ids: list[int] | tuple[int, ...]) -> tuple[ItemHit, ...]:
    """The items with these ids (at most one page), newest first."""
    ids = list(item_ids)[:MAX_PAGE_SIZE]
    if not ids:
        return ()
    return fetch_hits(
        session,
        select(*HIT_COLUMNS)
        .where(Item.id.in_(ids))
        .order_by(Item.published_at.desc(), Item.id.desc()),
    )
