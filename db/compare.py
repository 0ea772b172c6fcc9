"""The Japan–Korea comparison of a range: how each country's press divides its attention.

``compare(session, since, until)`` reads only; the caller owns the session. Days are UTC days,
both ends inclusive. A side is the country of publication of the item's feed
(``feeds.country``: "jp", "kr" or "other"), not its language. Only relevant items count
(``rel_bucket >= RELEVANT_BUCKET``, i.e. relevance >= 0.5, the same rule as every other view;
``story_members.relevant`` for stories):

* ``themes``: per theme and country, the relevant items carrying the theme and their share of
  all relevant items of that country in the range; ``gap = jp.share - kr.share``. Read from the
  exact rollups (``daily_theme_counts`` and ``daily_totals``, keyed by feed, joined to
  ``feeds.country``), so the cost grows with days x feeds, not with items.
* ``gap_over_time``: the same shares per day (ranges up to ``DAILY_UP_TO_DAYS`` days) or per
  week (from Monday, edge weeks cut to the range), from the same rows.
* ``one_sided_stories``: stories whose relevant members in the range come heavily from one
  side (see ``ONE_SIDED_MIN_ITEMS`` and ``ONE_SIDED_MAX_SHARE``), largest first.
* ``entities``: the entities (``item_entities``) the relevant items of each side name most, per
  theme and over all themes.

``include_backfill=False`` (every function takes it) leaves out the items of backfill
pseudo-feeds (``feeds.kind = "backfill"``), in the counts and in the items behind them alike.

Every figure is traceable: ``cell_item_ids``, ``country_item_ids``, ``story_item_ids`` and
``entity_item_ids`` return the items behind a number, by the same conditions.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from jkwatch.countries import COUNTRIES
from jkwatch.db.dialect import id_in
from jkwatch.db.models import (
    DailyThemeCount,
    DailyTotal,
    Feed,
    Item,
    ItemEntity,
    ItemTheme,
    Story,
    StoryMember,
)
from jkwatch.db.query_filters import RELEVANT_BUCKET, period_of
from jkwatch.db.themes import list_themes
from jkwatch.model import (
    Comparison,
    EntityCount,
    GapPoint,
    OneSidedStory,
    SideCount,
    ThemeComparison,
)

SIDES = ("jp", "kr")
DAILY_UP_TO_DAYS = 14
"""Ranges up to this many days show the gap per day; longer ranges per week."""
ONE_SIDED_MIN_ITEMS = 2
"""A story is one-sided for a country only if that country's press ran at least this many
relevant items about it in the range: one lone report is not "heavy" coverage."""
ONE_SIDED_MAX_SHARE = 0.25
"""...and the other country's press ran none, or at most this fraction of that number (a
story with 8 Korean reports and 2 Japanese ones is still "covered in Korea, not in Japan")."""
TOP_STORIES = 20
"""One-sided stories kept per side, largest first."""
TOP_ENTITIES = 10
"""Entities kept per theme and side."""


def _in_range(day_column: Any, since: date, until: date) -> list[Any]:
    return [day_column >= since, day_column <= until]


def _live(include_backfill: bool) -> list[Any]:
    """The condition on a joined ``feeds`` row that leaves backfill out (none when included)."""
    return [] if include_backfill else [Feed.kind != "backfill"]


def _share(items: int, total: int) -> float:
    return items / total if total else 0.0


def grain_for(since: date, until: date) -> str:
    """``"day"`` for ranges up to ``DAILY_UP_TO_DAYS`` days, else ``"week"``."""
    return "day" if (until - since).days + 1 <= DAILY_UP_TO_DAYS else "week"


def compare(
    session: Session,
    since: date,
    until: date,
    *,
    top_stories: int = TOP_STORIES,
    top_entities: int = TOP_ENTITIES,
    with_entities: bool = True,
    include_backfill: bool = True,
) -> Comparison:
    """The comparison of ``[since, until]`` (see the module docstring). ``with_entities=False``
    leaves ``entities`` empty, for a reader that asks ``top_entities_by_side`` for one theme
    at a time (the entity counts of every theme at once are the costly part at 1M items)."""
    if since > until:
        raise ValueError(f"since {since} is after until {until}")
    theme_days = _theme_days(session, since, until, include_backfill)
    total_days = _total_days(session, since, until, include_backfill)
    totals: Counter[str] = Counter({country: 0 for country in COUNTRIES})
    for (_, country), n in total_days.items():
        totals[country] += n
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for (_, theme_id, country), n in theme_days.items():
        counts[theme_id][country] += n
    labels = {theme.id: theme.label for theme in list_themes(session)}
    themes = []
    for theme_id in [*labels, *sorted(set(counts) - set(labels))]:
        by = counts.get(theme_id, Counter())
        sides = {c: SideCount(by[c], _share(by[c], totals[c])) for c in COUNTRIES}
        themes.append(
            ThemeComparison(
                theme=theme_id,
                label=labels.get(theme_id, theme_id),
                jp=sides["jp"],
                kr=sides["kr"],
                other=sides["other"],
                gap=sides["jp"].share - sides["kr"].share,
            )
        )
    themes.sort(key=lambda t: (-abs(t.gap), t.theme))
    grain = grain_for(since, until)
    return Comparison(
        since=since,
        until=until,
        totals=dict(totals),
        themes=tuple(themes),
        grain=grain,
        gap_over_time=tuple(_gap_over_time(theme_days, total_days, since, until, grain)),
        one_sided_stories=tuple(
            one_sided_stories(
                session, since, until, per_side=top_stories, include_backfill=include_backfill
            )
        ),
        entities=tuple(
            top_entities_by_side(
                session, since, until, top=top_entities, include_backfill=include_backfill
            )
            if with_entities
            else ()
        ),
    )


def _theme_days(
    session: Session, since: date, until: date, include_backfill: bool
) -> dict[tuple[date, str, str], int]:
    """Relevant items per (day, theme, country) from ``daily_theme_counts``."""
    model = DailyThemeCount
    rows = session.execute(
        select(model.day, model.theme_id, Feed.country, func.sum(model.items))
        .join(Feed, Feed.id == model.feed_id)
        .where(
            *_in_range(model.day, since, until),
            model.rel_bucket >= RELEVANT_BUCKET,
            *_live(include_backfill),
        )
        .group_by(model.day, model.theme_id, Feed.country)
    ).all()
    return {(day, theme_id, country): int(n or 0) for day, theme_id, country, n in rows}


def _total_days(
    session: Session, since: date, until: date, include_backfill: bool
) -> dict[tuple[date, str], int]:
    """All relevant items per (day, country) from ``daily_totals``."""
    model = DailyTotal
    rows = session.execute(
        select(model.day, Feed.country, func.sum(model.items))
        .join(Feed, Feed.id == model.feed_id)
        .where(
            *_in_range(model.day, since, until),
            model.rel_bucket >= RELEVANT_BUCKET,
            *_live(include_backfill),
        )
        .group_by(model.day, Feed.country)
    ).all()
    return {(day, country): int(n or 0) for day, country, n in rows}


def _period(day: date, since: date, until: date, grain: str) -> tuple[date, date]:
    start = period_of(day, grain)
    end = start if grain == "day" else start + timedelta(days=6)
    return max(start, since), min(end, until)


def _gap_over_time(
    theme_days: dict[tuple[date, str, str], int],
    total_days: dict[tuple[date, str], int],
    since: date,
    until: date,
    grain: str,
) -> list[GapPoint]:
    totals: dict[tuple[date, date], Counter[str]] = defaultdict(Counter)
    day = since
    while day <= until:  # every period of the range, even one without items
        totals[_period(day, since, until, grain)]
        day += timedelta(days=1)
    for (day, country), n in total_days.items():
        totals[_period(day, since, until, grain)][country] += n
    counts: dict[tuple[tuple[date, date], str], Counter[str]] = defaultdict(Counter)
    for (day, theme_id, country), n in theme_days.items():
        counts[(_period(day, since, until, grain), theme_id)][country] += n
    out = []
    for theme_id in sorted({theme for _, theme in counts}):
        for period in sorted(totals):
            by, base = counts.get((period, theme_id), Counter()), totals[period]
            jp, kr = _share(by["jp"], base["jp"]), _share(by["kr"], base["kr"])
            out.append(
                GapPoint(period[0], period[1], theme_id, by["jp"], by["kr"], jp, kr, jp - kr)
            )
    return out


def _side_counts() -> tuple[Any, Any, Any]:
    return tuple(  # type: ignore[return-value]
        func.sum(case((Feed.country == country, 1), else_=0)) for country in COUNTRIES
    )


def one_sided_stories(
    session: Session,
    since: date,
    until: date,
    per_side: int | None = TOP_STORIES,
    include_backfill: bool = True,
) -> list[OneSidedStory]:
    """Stories covered heavily by one side and little or not at all by the other.

    Members are counted per country through ``story_members.feed_id`` -> ``feeds.country``
    (relevant members in the range only). Side "kr" when items_kr >= ``ONE_SIDED_MIN_ITEMS``
    and items_jp <= ``ONE_SIDED_MAX_SHARE`` x items_kr; the reverse for "jp". Ordered by the
    covering side's items (largest first; ties: the smaller id), ``per_side`` per side, the
    Korean side first.
    """
    jp, kr, other = _side_counts()
    rows = session.execute(
        select(StoryMember.story_id, jp, kr, other)
        .join(Feed, Feed.id == StoryMember.feed_id)
        .where(
            *_in_range(StoryMember.day, since, until),
            StoryMember.relevant.is_(True),
            *_live(include_backfill),
        )
        .group_by(StoryMember.story_id)
        .having(
            or_(
                and_(kr >= ONE_SIDED_MIN_ITEMS, jp <= kr * ONE_SIDED_MAX_SHARE),
                and_(jp >= ONE_SIDED_MIN_ITEMS, kr <= jp * ONE_SIDED_MAX_SHARE),
            )
        )
    ).all()
    chosen: list[tuple[int, str, int, int, int]] = []
    for side in ("kr", "jp"):
        mine = [
            (int(story_id), side, int(n_jp), int(n_kr), int(n_other))
            for story_id, n_jp, n_kr, n_other in rows
            if side_of(int(n_jp), int(n_kr)) == side
        ]
        mine.sort(key=lambda r: (-(r[3] if side == "kr" else r[2]), r[0]))
        chosen.extend(mine[:per_side] if per_side is not None else mine)
    if not chosen:
        return []
    ids = [row[0] for row in chosen]
    titles = dict(session.execute(select(Story.id, Story.title).where(id_in(Story.id, ids))).all())
    members = story_item_ids(session, ids, since, until, include_backfill)
    return [
        OneSidedStory(
            story_id=story_id,
            side=side,
            items_jp=n_jp,
            items_kr=n_kr,
            items_other=n_other,
            title=titles.get(story_id, ""),
            item_ids=members.get(story_id, ()),
        )
        for story_id, side, n_jp, n_kr, n_other in chosen
    ]


def side_of(items_jp: int, items_kr: int) -> str | None:
    """The side a story with these counts is one-sided for, or None (the rule in Python, for
    readers and tests; ``one_sided_stories`` applies the same in SQL)."""
    if items_kr >= ONE_SIDED_MIN_ITEMS and items_jp <= items_kr * ONE_SIDED_MAX_SHARE:
        return "kr"
    if items_jp >= ONE_SIDED_MIN_ITEMS and items_kr <= items_jp * ONE_SIDED_MAX_SHARE:
        return "jp"
    return None


def story_item_ids(
    session: Session,
    story_ids: Sequence[int],
    since: date,
    until: date,
    include_backfill: bool = True,
) -> dict[int, tuple[int, ...]]:
    """Each story's relevant members in the range (every country), oldest first."""
    if not story_ids:
        return {}
    query = select(StoryMember.story_id, StoryMember.item_id).where(
        id_in(StoryMember.story_id, story_ids),
        *_in_range(StoryMember.day, since, until),
        StoryMember.relevant.is_(True),
    )
    if not include_backfill:
        query = query.join(Feed, Feed.id == StoryMember.feed_id).where(*_live(include_backfill))
    rows = session.execute(query.order_by(StoryMember.published_at, StoryMember.item_id)).all()
    out: dict[int, list[int]] = defaultdict(list)
    for story_id, item_id in rows:
        out[int(story_id)].append(int(item_id))
    return {story_id: tuple(items) for story_id, items in out.items()}


def top_entities_by_side(
    session: Session,
    since: date,
    until: date,
    *,
    theme: str | None = None,
    top: int = TOP_ENTITIES,
    include_backfill: bool = True,
) -> list[EntityCount]:
    """The entities the relevant items of each side (jp, kr) name most. ``theme=None``: per
    theme and over all themes (theme ""); ``theme=""``: over all themes only; a theme id: that
    theme only (one index range: what the Compare page reads for its selected theme). Most
    items first (ties: id), ``top`` per theme and side."""
    rows: list[tuple[str, str, str, int]] = []
    if theme != "":
        per_theme = (
            select(ItemTheme.theme_id, Feed.country, ItemEntity.entity_id, func.count())
            .select_from(ItemTheme)
            .join(ItemEntity, ItemEntity.item_id == ItemTheme.item_id)
            .join(Feed, Feed.id == ItemTheme.feed_id)
            .where(
                *_in_range(ItemTheme.day, since, until),
                ItemTheme.rel_bucket >= RELEVANT_BUCKET,
                Feed.country.in_(SIDES),
                *_live(include_backfill),
            )
            .group_by(ItemTheme.theme_id, Feed.country, ItemEntity.entity_id)
        )
        if theme is not None:
            per_theme = per_theme.where(ItemTheme.theme_id == theme)
        rows += [(t, c, e, int(n)) for t, c, e, n in session.execute(per_theme).all()]
    if not theme:
        overall = (
            select(Feed.country, ItemEntity.entity_id, func.count())
            .select_from(ItemEntity)
            .join(Item, Item.id == ItemEntity.item_id)
            .join(Feed, Feed.id == Item.feed_id)
            .where(
                *_in_range(ItemEntity.day, since, until),
                Item.rel_bucket >= RELEVANT_BUCKET,
                Feed.country.in_(SIDES),
                *_live(include_backfill),
            )
            .group_by(Feed.country, ItemEntity.entity_id)
        )
        rows += [("", c, e, int(n)) for c, e, n in session.execute(overall).all()]
    return _top(rows, top)


def _top(rows: Iterable[tuple[str, str, str, int]], top: int) -> list[EntityCount]:
    groups: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for theme_id, country, entity_id, n in rows:
        groups[(theme_id, country)].append((entity_id, n))
    out: list[EntityCount] = []
    for (theme_id, country), entities in sorted(groups.items()):
        entities.sort(key=lambda e: (-e[1], e[0]))
        out.extend(EntityCount(theme_id, country, e, n) for e, n in entities[:top])
    return out


# -- the items behind each number ---------------------------------------------------------


def cell_item_ids(
    session: Session,
    since: date,
    until: date,
    theme: str,
    country: str,
    include_backfill: bool = True,
) -> tuple[int, ...]:
    """The relevant items of ``country`` carrying ``theme`` in the range (a theme cell's
    ``items``), newest day first."""
    rows = session.scalars(
        select(ItemTheme.item_id)
        .join(Feed, Feed.id == ItemTheme.feed_id)
        .where(
            ItemTheme.theme_id == theme,
            *_in_range(ItemTheme.day, since, until),
            ItemTheme.rel_bucket >= RELEVANT_BUCKET,
            Feed.country == country,
            *_live(include_backfill),
        )
        .order_by(ItemTheme.day.desc(), ItemTheme.item_id.desc())
    )
    return tuple(int(i) for i in rows)


def country_item_ids(
    session: Session, since: date, until: date, country: str, include_backfill: bool = True
) -> tuple[int, ...]:
    """All relevant items of ``country`` in the range (the shares' denominator), newest first."""
    rows = session.scalars(
        select(Item.id)
        .join(Feed, Feed.id == Item.feed_id)
        .where(
            *_in_range(Item.day, since, until),
            Item.rel_bucket >= RELEVANT_BUCKET,
            Feed.country == country,
            *_live(include_backfill),
        )
        .order_by(Item.day.desc(), Item.id.desc())
    )
    return tuple(int(i) for i in rows)


def entity_item_ids(
    session: Session,
    since: date,
    until: date,
    entity_id: str,
    country: str,
    theme: str | None = None,
    include_backfill: bool = True,
) -> tuple[int, ...]:
    """The relevant items of ``country`` naming ``entity_id`` in the range (carrying ``theme``
    when given: an entity count's items), newest day first.

    With a theme the read starts from the theme's relevant items in the range (the
    ``item_themes`` index) and probes ``item_entities`` by its key (entity, item); without,
    from ``item_entities``' (day, entity) index. Starting from the entity would read every item
    naming it in all history.
    """
    named = and_(ItemEntity.entity_id == entity_id, ItemEntity.item_id == ItemTheme.item_id)
    if theme:
        query = (
            select(ItemTheme.item_id)
            .join(ItemEntity, named)
            .join(Feed, Feed.id == ItemTheme.feed_id)
            .where(
                ItemTheme.theme_id == theme,
                *_in_range(ItemTheme.day, since, until),
                ItemTheme.rel_bucket >= RELEVANT_BUCKET,
                Feed.country == country,
                *_live(include_backfill),
            )
            .order_by(ItemTheme.day.desc(), ItemTheme.item_id.desc())
        )
    else:
        # The (day, entity_id) index over the range, not the key (entity_id, item_id) over all
        # history: the entity is compared through coalesce() so no planner starts from the key
        # (SQLite did: 145 ms instead of 8 ms at 1M items).
        query = (
            select(Item.id)
            .select_from(ItemEntity)
            .join(Item, Item.id == ItemEntity.item_id)
            .join(Feed, Feed.id == Item.feed_id)
            .where(
                func.coalesce(ItemEntity.entity_id, "") == entity_id,
                *_in_range(ItemEntity.day, since, until),
                Item.rel_bucket >= RELEVANT_BUCKET,
                Feed.country == country,
                *_live(include_backfill),
            )
            .order_by(Item.day.desc(), Item.id.desc())
        )
    return tuple(int(i) for i in session.scalars(query))
