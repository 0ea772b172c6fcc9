"""Recounts: the true counts from ``items``/``item_themes`` against the stored rollups.

The difference goes through ``delta.apply`` like any other write, so there is no second
writer: ``refresh_cells`` (the cells of re-ingested items), ``forget_feed`` (a removed
feed) and the repair ``rebuild_all``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from jkwatch.db.models import (
    DailySum,
    DailyThemeCount,
    DailyThemeSum,
    DailyTotal,
    FeedSum,
    Item,
    ItemTheme,
    WeeklySum,
    WeeklyThemeSum,
)
from jkwatch.db.rollups.delta import (
    COUNTS,
    DAILY_SUMS,
    FEED_SUMS,
    THEME_SUMS,
    TOTALS,
    WEEKLY_SUMS,
    WEEKLY_THEME_SUMS,
    RollupDelta,
    RollupTable,
    apply,
    net_into,
    week_of,
)

Cell = tuple[int, date]
"""A (feed id, UTC day) pair whose rollups ``refresh_cells`` recounts."""

_CHUNK = 500  # days per IN list: well under SQLite's variable limit
_WINDOW = timedelta(days=92)  # days per step of ``rebuild_all``: bounded memory at any size


def refresh_cells(session: Session, cells: Iterable[Cell]) -> None:
    """Bring the rollups of the given (feed, day) pairs to the counts of their items."""
    days_by_feed: dict[int, set[date]] = defaultdict(set)
    for feed_id, day in cells:
        days_by_feed[feed_id].add(day)
    delta = RollupDelta()
    for feed_id in sorted(days_by_feed):
        for chunk in _chunks(sorted(days_by_feed[feed_id])):
            _recount(
                session,
                delta,
                and_(Item.feed_id == feed_id, Item.day.in_(chunk)),
                and_(ItemTheme.feed_id == feed_id, ItemTheme.day.in_(chunk)),
                and_(DailyTotal.feed_id == feed_id, DailyTotal.day.in_(chunk)),
                and_(DailyThemeCount.feed_id == feed_id, DailyThemeCount.day.in_(chunk)),
            )
    apply(session, delta)


def forget_feed(session: Session, feed_id: int) -> None:
    """Take a feed that is being removed out of every rollup (call before deleting it).

    A recount whose true counts are nothing: the difference is minus what is stored.
    """
    delta = RollupDelta()
    for key, items, stories in _stored(session, DailyTotal, TOTALS, DailyTotal.feed_id == feed_id):
        net_into(delta.totals, key, -items, -stories)
    for key, items, stories in _stored(
        session, DailyThemeCount, COUNTS, DailyThemeCount.feed_id == feed_id
    ):
        net_into(delta.counts, key, -items, -stories)
    apply(session, delta)


def rebuild_all(session: Session) -> None:
    """Repair: make every rollup table equal to a full recount of ``items``/``item_themes``.

    Works through windows of days so memory stays bounded, and writes only the cells that
    differ; the coarse sums are also checked against the stored fine cells they sum.
    """
    first, last = _day_range(session)
    start = first
    while start is not None and last is not None and start <= last:
        end = start + _WINDOW
        delta = RollupDelta()
        in_window = _window(start, end)
        _recount(
            session,
            delta,
            in_window(Item.day),
            in_window(ItemTheme.day),
            in_window(DailyTotal.day),
            in_window(DailyThemeCount.day),
        )
        _coarse_drift(
            session,
            delta,
            DAILY_SUMS,
            DailySum,
            DailyTotal,
            in_window(DailySum.day),
            in_window(DailyTotal.day),
        )
        _coarse_drift(
            session,
            delta,
            THEME_SUMS,
            DailyThemeSum,
            DailyThemeCount,
            in_window(DailyThemeSum.day),
            in_window(DailyThemeCount.day),
        )
        apply(session, delta)
        start = end
    delta = RollupDelta()
    _coarse_drift(session, delta, FEED_SUMS, FeedSum, DailyTotal, literal(True), literal(True))
    # The weekly sums against the (now repaired) daily sums, folded into weeks here: a few
    # ten thousand rows, and the same week rule as ``delta.week_of`` on both engines.
    _weekly_drift(session, delta, WEEKLY_SUMS, WeeklySum, DAILY_SUMS, DailySum)
    _weekly_drift(session, delta, WEEKLY_THEME_SUMS, WeeklyThemeSum, THEME_SUMS, DailyThemeSum)
    apply(session, delta)


# -- recounting -----------------------------------------------------------------------------


def _recount(
    session: Session,
    delta: RollupDelta,
    item_filter: Any,
    theme_filter: Any,
    total_filter: Any,
    count_filter: Any,
) -> None:
    """Record (true counts - stored counts) of the fine cells the filters select."""
    lead = func.sum(case((Item.story_id == Item.id, 1), else_=0))
    item_keys = (Item.day, Item.feed_id, Item.language, Item.rel_bucket)
    for key, items, stories in _grouped(session, item_keys, func.count(), lead, item_filter):
        net_into(delta.totals, key, items, stories)
    for key, items, stories in _stored(session, DailyTotal, TOTALS, total_filter):
        net_into(delta.totals, key, -items, -stories)

    theme_lead = func.sum(case((ItemTheme.story_lead.is_(True), 1), else_=0))
    theme_keys = (
        ItemTheme.day,
        ItemTheme.feed_id,
        ItemTheme.language,
        ItemTheme.rel_bucket,
        ItemTheme.theme_id,
    )
    for key, items, stories in _grouped(
        session, theme_keys, func.count(), theme_lead, theme_filter
    ):
        net_into(delta.counts, key, items, stories)
    for key, items, stories in _stored(session, DailyThemeCount, COUNTS, count_filter):
        net_into(delta.counts, key, -items, -stories)


def _grouped(
    session: Session, keys: Sequence[Any], items: Any, stories: Any, where: Any
) -> Iterator[tuple[tuple, int, int]]:
    """(key, items, stories) per group of ``keys``, summed by the database (Core: no ORM rows)."""
    n = len(keys)
    query = select(*keys, items, stories).where(where).group_by(*keys)
    for row in session.connection().execute(query):
        yield tuple(row[:n]), int(row[n]), int(row[n + 1])


def _stored(
    session: Session, model: Any, table: RollupTable, where: Any
) -> Iterator[tuple[tuple, int, int]]:
    """(key, items, stories) of the stored rows of a rollup table."""
    n = len(table.keys)
    columns = [getattr(model, key) for key in table.keys]
    query = select(*columns, model.items, model.stories).where(where)
    for row in session.connection().execute(query):
        yield tuple(row[:n]), int(row[n]), int(row[n + 1])


def _coarse_drift(
    session: Session,
    delta: RollupDelta,
    coarse: RollupTable,
    coarse_model: Any,
    fine_model: Any,
    coarse_filter: Any,
    fine_filter: Any,
) -> None:
    """Record how far the stored coarse cells are from the sums of the stored fine cells."""
    keys = [getattr(fine_model, key) for key in coarse.keys]
    drift: dict[tuple, list[int]] = {}
    summed = _grouped(
        session, keys, func.sum(fine_model.items), func.sum(fine_model.stories), fine_filter
    )
    for key, items, stories in summed:
        net_into(drift, key, items, stories)
    for key, items, stories in _stored(session, coarse_model, coarse, coarse_filter):
        net_into(drift, key, -items, -stories)
    wrong = {key: cell for key, cell in drift.items() if cell != [0, 0]}
    if wrong:
        delta.drift.setdefault(coarse.name, {}).update(wrong)


def _weekly_drift(
    session: Session,
    delta: RollupDelta,
    weekly: RollupTable,
    weekly_model: Any,
    daily: RollupTable,
    daily_model: Any,
) -> None:
    """Record how far the stored weekly cells are from the stored daily cells they sum."""
    drift: dict[tuple, list[int]] = {}
    for (day, key, bucket), items, stories in _stored(session, daily_model, daily, literal(True)):
        net_into(drift, (week_of(day), key, bucket), items, stories)
    for cell, items, stories in _stored(session, weekly_model, weekly, literal(True)):
        net_into(drift, cell, -items, -stories)
    wrong = {key: cell for key, cell in drift.items() if cell != [0, 0]}
    if wrong:
        delta.drift.setdefault(weekly.name, {}).update(wrong)


def _day_range(session: Session) -> tuple[date | None, date | None]:
    """The first and last day found in the items or in any day-keyed rollup."""
    lows: list[date] = []
    highs: list[date] = []
    for column in (Item.day, DailyTotal.day, DailyThemeCount.day, DailySum.day, DailyThemeSum.day):
        low, high = session.execute(select(func.min(column), func.max(column))).one()
        if low is not None:
            lows.append(low)
            highs.append(high)
    return (min(lows), max(highs)) if lows else (None, None)


def _window(start: date, end: date) -> Callable[[Any], Any]:
    return lambda column: and_(column >= start, column < end)


def _chunks(values: Sequence[date]) -> Iterator[Sequence[date]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
