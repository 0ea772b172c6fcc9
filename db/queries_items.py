"""Item-level reads for the dashboard: full-text search, drill-down, evidence.

Search is the one dialect switch of the read side. The user's query is segmented by
``db.search.query_phrases`` (CJK as bigrams, exactly as the index was built) and every
phrase is passed as a bound parameter, so quotes, ``%``, ``*``, ``NEAR``, ``OR`` or
parentheses in the input are matched as text, never read as syntax:

* SQLite: an FTS5 MATCH expression of double-quoted phrases (inner quotes doubled),
  implicitly AND-ed; a lone CJK character becomes the prefix phrase ``"北"*``.
* PostgreSQL: ``phraseto_tsquery('simple', :p1) && ...`` against ``items.search_vector``
  (``to_tsquery`` with ``:*`` for the lone-character prefix case).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    column,
    exists,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import Session

from jkwatch.db.engine import backend_name
from jkwatch.db.models import Feed, Item, ItemTheme, Theme
from jkwatch.db.query_filters import Filters, conditions, theme_rollup, total_rollup
from jkwatch.db.search import query_phrases, single_char_tokens

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


def fts5_match_expression(query: str) -> str | None:
    """The FTS5 MATCH string for ``query``: quoted phrases only, so no operator survives."""
    parts = []
    for phrase in query_phrases(query):
        quoted = '"' + " ".join(tok.replace('"', '""') for tok in phrase) + '"'
        parts.append(quoted + "*" if single_char_tokens(phrase) else quoted)
    return " AND ".join(parts) or None


def _match_condition(session: Session, query: str, walk: bool = False) -> Any | None:
    """The full-text condition; ``walk`` keeps SQLite from driving the query by the matches.

    ``items.id + 0`` is not an indexable term, so SQLite walks ``published_at`` newest first
    and checks each row against the set of matches instead of fetching and sorting them all.
    """
    phrases = query_phrases(query)
    if not phrases:
        return None
    if backend_name(session) == "sqlite":
        matched = (
            text("SELECT rowid FROM items_fts WHERE items_fts MATCH :fts_query")
            .bindparams(fts_query=fts5_match_expression(query))
            .columns(column("rowid", Integer))
        )
        return (Item.id + 0).in_(matched) if walk else Item.id.in_(matched)
    simple = literal_column("'simple'::regconfig")
    tsquery = None
    for n, phrase in enumerate(phrases):
        if single_char_tokens(phrase):
            # A lone CJK word character: no quote or operator can be in it.
            part = func.to_tsquery(simple, bindparam(f"tsq_{n}", phrase[0] + ":*"))
        else:
            part = func.phraseto_tsquery(simple, bindparam(f"tsq_{n}", " ".join(phrase)))
        tsquery = part if tsquery is None else tsquery.op("&&")(part)
    return literal_column("items.search_vector").op("@@")(tsquery)


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


def _fast_total(session: Session, filters: Filters) -> int | None:
    """The count from the rollups when no text query is involved (exact, and cheap)."""
    if len(filters.themes) > 1:
        return None  # an item with two of the themes would be counted twice
    model = theme_rollup(filters) if filters.themes else total_rollup(filters)
    col = model.stories if filters.stories else model.items
    return int(
        session.scalar(select(func.coalesce(func.sum(col), 0)).where(*conditions(model, filters)))
        or 0
    )


SEARCH_COUNT_LIMIT = 500
"""A common word's matches are counted up to here ("500+", 20 pages of 25): counting and
sorting 34,000 matches of "missile" cost ~180 ms at a million items on SQLite, 150 ms on
PostgreSQL, far over the 20 ms a search may take."""
RARE_MATCHES = 2_000
"""Below this many full-text matches, the matches are fetched and sorted; above it, the
``published_at`` index is walked newest first and stops after one page."""


def search_items(
    session: Session, query: str, filters: Filters, page: int = 1, page_size: int = 25
) -> ItemPage:
    """Items matching ``query`` (all items when it is blank) and the filters, newest first.

    Blank queries and common words walk the ``published_at`` index from the newest item and
    stop after one page (the date range is given on ``published_at``, which ``day`` is
    the UTC date of); a common word's total is counted up to ``SEARCH_COUNT_LIMIT``
    (``ItemPage.total_exact`` is then False). Rare words fetch their few matches and sort.
    """
    page = max(1, page)
    page_size = max(1, min(MAX_PAGE_SIZE, page_size))
    where = item_conditions(filters)
    if not query_phrases(query):
        total = _fast_total(session, filters)
        if total is None:
            total = _count(session, where)
    elif _matches_at_least(session, query, RARE_MATCHES):
        # One newest-first walk collects the ids of up to SEARCH_COUNT_LIMIT + 1 matches: the
        # (capped) total and the page both come from it.
        where.append(_match_condition(session, query, walk=True))
        ids = _walk_ids(
            session,
            select(Item.id)
            .where(*where)
            .order_by(Item.published_at.desc(), Item.id.desc())
            .limit(SEARCH_COUNT_LIMIT + 1),
        )
        exact = len(ids) <= SEARCH_COUNT_LIMIT
        total = min(len(ids), SEARCH_COUNT_LIMIT)
        wanted = list(ids[(page - 1) * page_size : page * page_size])
        hits = (
            _fetch(
                session,
                select(*_HIT_COLUMNS)
                .where(Item.id.in_(wanted))
                .order_by(Item.published_at.desc(), Item.id.desc()),
            )
            if wanted
            else ()
        )
        return ItemPage(total, page, page_size, hits, total_exact=exact)
    else:
        where.append(_match_condition(session, query))
        total = _count(session, where)
    statement = (
        select(*_HIT_COLUMNS)
        .where(*where)
        .order_by(Item.published_at.desc(), Item.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return ItemPage(total=total, page=page, page_size=page_size, items=_fetch(session, statement))


def _walk_ids(session: Session, statement: Any) -> list[int]:
    return list(session.scalars(statement))


def _count(session: Session, where: list[Any]) -> int:
    inner = select(literal_column("1").label("one")).select_from(Item).where(*where)
    return int(session.scalar(select(func.count()).select_from(inner.subquery())) or 0)


def _matches_at_least(session: Session, query: str, n: int) -> bool:
    """Whether the text query alone has at least ``n`` matches (reads at most ``n``)."""
    if backend_name(session) == "sqlite":
        probe = text(
            "SELECT count(*) FROM (SELECT rowid FROM items_fts WHERE items_fts MATCH :fts_query "
            "LIMIT :n)"
        ).bindparams(fts_query=fts5_match_expression(query), n=n)
        return int(session.scalar(probe) or 0) >= n
    sub = select(Item.id).where(_match_condition(session, query)).limit(n).subquery()
    return int(session.scalar(select(func.count()).select_from(sub)) or 0) >= n


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
    scoped = Filters(
        start=start,
        end=end,
        languages=filters.languages,
        feeds=filters.feeds,
        min_bucket=filters.min_bucket,
        stories=filters.stories,
    )
    where = [ItemTheme.theme_id == theme_id, *conditions(ItemTheme, scoped, with_themes=False)]
    if filters.stories:
        where.append(ItemTheme.story_lead.is_(True))
    total = int(session.scalar(select(func.count()).select_from(ItemTheme).where(*where)) or 0)
    page = max(1, page)
    page_size = max(1, min(MAX_PAGE_SIZE, page_size))
    hits = _fetch(
        session,
        select(*_HIT_COLUMNS)
        .join(ItemTheme, and_(ItemTheme.item_id == Item.id))
        .where(*where)
        .order_by(Item.published_at.desc(), Item.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size),
    )
    return ItemPage(total=total, page=page, page_size=page_size, items=hits)


_HIT_COLUMNS = (
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


def _fetch(session: Session, query: Any) -> tuple[ItemHit, ...]:
    rows = session.execute(query).all()
    if not rows:
        return ()
    feed_ids = sorted({row.feed_id for row in rows})
    names = dict(
        session.execute(
            select(Feed.id, func.coalesce(Feed.name, Feed.title, Feed.url)).where(
                Feed.id.in_(feed_ids)
            )
        ).all()
    )
    themes: dict[int, list[str]] = {}
    for item_id, theme_id in session.execute(
        select(ItemTheme.item_id, ItemTheme.theme_id)
        .where(ItemTheme.item_id.in_([row.id for row in rows]))
        .order_by(ItemTheme.item_id, ItemTheme.score.desc(), ItemTheme.theme_id)
    ):
        themes.setdefault(item_id, []).append(theme_id)
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
