"""The one write path of every rollup table, fine and coarse, on SQLite and PostgreSQL alike.

Trend queries read exact counts of items (and of story leads) per cell:

========================  ===========================================  ======================
table                     cell                                         derived from
========================  ===========================================  ======================
``daily_totals``          day, feed, language, relevance bucket        ``items``
``daily_theme_counts``    day, feed, language, bucket, theme           ``item_themes``
``daily_sums``            day, language, bucket                        ``daily_totals``
``feed_sums``             feed, bucket                                 ``daily_totals``
``daily_theme_sums``      day, theme, bucket                           ``daily_theme_counts``
========================  ===========================================  ======================

Writers describe what they changed as signed per-cell changes of the two fine tables in a
``RollupDelta`` (an item entering or leaving a cell, a theme row doing so, an item gaining
or losing its story lead). ``apply`` nets them, derives the coarse changes from the same
netted changes, upserts every touched cell table by table in one global order (tables in
``_TABLES`` order, cells sorted by key: one lock order for concurrent PostgreSQL workers, so
two workers never deadlock on a shared coarse row), and deletes the cells it left at zero.
It runs in the caller's transaction: a failure anywhere rolls the rollups back with the
items. No trigger and no other code writes these tables (migration 0005 dropped the
triggers that used to keep the coarse sums).

Recounts (``refresh_cells`` for re-ingested items, ``forget_feed``, the repair
``rebuild_all``) compare the true counts from ``items``/``item_themes`` with what is stored
and apply the difference through the same ``apply``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from jkwatch.db.driver_sql import is_sqlite, run_many
from jkwatch.db.models import (
    DailySum,
    DailyThemeCount,
    DailyThemeSum,
    DailyTotal,
    FeedSum,
    Item,
    ItemTheme,
)

Day = date | str
"""A day as a ``date``, or as the ISO text SQLite's driver returns."""
TotalKey = tuple[Day, int, str, int]
"""A ``daily_totals`` cell: (day, feed_id, language, rel_bucket)."""
CountKey = tuple[Day, int, str, int, str]
"""A ``daily_theme_counts`` cell: (day, feed_id, language, rel_bucket, theme_id)."""
Cell = tuple[int, date]
"""A (feed id, UTC day) pair whose rollups ``refresh_cells`` recounts."""

Changes = dict[tuple, tuple[int, int]]
"""Net (items, stories) change per cell of one table."""

_CHUNK = 500  # days per IN list: well under SQLite's variable limit
_WINDOW = timedelta(days=92)  # days per step of ``rebuild_all``: bounded memory at any size


@dataclass(frozen=True)
class _Table:
    """A rollup table: its name and key columns (also the sort order of its writes)."""

    name: str
    keys: tuple[str, ...]

    def upsert_sql(self) -> str:
        cols = ", ".join(self.keys)
        marks = ", ".join("?" * (len(self.keys) + 2))
        return (
            f"INSERT INTO {self.name} ({cols}, items, stories) VALUES ({marks}) "
            f"ON CONFLICT ({cols}) DO UPDATE SET items = {self.name}.items + excluded.items, "
            f"stories = {self.name}.stories + excluded.stories"
        )

    def drop_sql(self) -> str:
        match = " AND ".join(f"{key} = ?" for key in self.keys)
        return f"DELETE FROM {self.name} WHERE {match} AND items = 0 AND stories = 0"


TOTALS = _Table("daily_totals", ("day", "feed_id", "language", "rel_bucket"))
COUNTS = _Table("daily_theme_counts", ("day", "feed_id", "language", "rel_bucket", "theme_id"))
DAILY_SUMS = _Table("daily_sums", ("day", "language", "rel_bucket"))
FEED_SUMS = _Table("feed_sums", ("feed_id", "rel_bucket"))
THEME_SUMS = _Table("daily_theme_sums", ("day", "theme_id", "rel_bucket"))

_TABLES = (TOTALS, COUNTS, DAILY_SUMS, FEED_SUMS, THEME_SUMS)
"""The write order: fine before coarse, always the same."""

# How each coarse table projects the cells of the fine table it sums.
_COARSE: tuple[tuple[_Table, _Table, Callable[[tuple], tuple]], ...] = (
    (DAILY_SUMS, TOTALS, lambda k: (k[0], k[2], k[3])),
    (FEED_SUMS, TOTALS, lambda k: (k[1], k[3])),
    (THEME_SUMS, COUNTS, lambda k: (k[0], k[4], k[3])),
)


@dataclass
class RollupDelta:
    """Signed (items, stories) changes per fine rollup cell, netted as they are recorded.

    ``drift`` holds corrections of coarse cells that disagree with the fine cells they sum
    (only the repair ``rebuild_all`` records any); ``apply`` adds them to the derived changes.
    """

    totals: dict[TotalKey, list[int]] = field(default_factory=dict)
    counts: dict[CountKey, list[int]] = field(default_factory=dict)
    drift: dict[str, dict[tuple, list[int]]] = field(default_factory=dict)

    def item(self, key: TotalKey, lead: bool, sign: int = 1) -> None:
        """An item entering (``sign=1``) or leaving (``-1``) a ``daily_totals`` cell."""
        _add(self.totals, key, sign, sign if lead else 0)

    def theme(self, key: CountKey, lead: bool, sign: int = 1) -> None:
        """A theme row entering or leaving a ``daily_theme_counts`` cell."""
        _add(self.counts, key, sign, sign if lead else 0)

    def story_lead(self, key: TotalKey, theme_ids: Iterable[str], gained: bool) -> None:
        """An item in ``key`` (with themes ``theme_ids``) becoming or ceasing to be a story lead."""
        sign = 1 if gained else -1
        _add(self.totals, key, 0, sign)
        for theme_id in theme_ids:
            _add(self.counts, (*key, theme_id), 0, sign)

    def item_rows(self, rows: Iterable[Mapping[str, Any]], sign: int = 1) -> None:
        """Items as dicts with ``day, feed_id, language, rel_bucket, story_lead``."""
        for row in rows:
            key = (row["day"], row["feed_id"], row["language"], row["rel_bucket"])
            _add(self.totals, key, sign, sign if row["story_lead"] else 0)

    def theme_rows(self, rows: Iterable[Mapping[str, Any]], sign: int = 1) -> None:
        """``item_themes`` rows as dicts (the item columns plus ``theme_id``)."""
        for row in rows:
            key = (row["day"], row["feed_id"], row["language"], row["rel_bucket"], row["theme_id"])
            _add(self.counts, key, sign, sign if row["story_lead"] else 0)

    def merge(self, other: RollupDelta) -> None:
        """Add ``other``'s changes to these (several writes, one ``apply``)."""
        for mine, theirs in ((self.totals, other.totals), (self.counts, other.counts)):
            for key, (items, stories) in theirs.items():
                _add(mine, key, items, stories)
        for table, cells in other.drift.items():
            for key, (items, stories) in cells.items():
                _add(self.drift.setdefault(table, {}), key, items, stories)

    def apply(self, session: Session) -> None:
        apply(session, self)


def apply(session: Session, delta: RollupDelta) -> None:
    """Write ``delta`` to the fine rollups and the coarse sums derived from it, in this transaction.

    Cells whose changes cancel out are not written at all; cells left at zero items and zero
    stories are deleted.
    """
    render = _day_as_text if is_sqlite(session) else _day_as_date
    fine = {TOTALS: _net(delta.totals, render), COUNTS: _net(delta.counts, render)}
    changes: dict[_Table, Changes] = dict(fine)
    for coarse, source, project in _COARSE:
        summed = _sum_into(fine[source], project, delta.drift.get(coarse.name, {}), render)
        changes[coarse] = summed
    for table in _TABLES:
        _write(session, table, changes[table])


def _write(session: Session, table: _Table, cells: Changes) -> None:
    """Upsert the changes sorted by key, then drop the shrunk cells that reached zero."""
    if not cells:
        return
    ordered = sorted(cells)
    run_many(session, table.upsert_sql(), [(*key, *cells[key]) for key in ordered])
    shrunk = [key for key in ordered if cells[key][0] < 0 or cells[key][1] < 0]
    run_many(session, table.drop_sql(), shrunk)


def _day_as_text(day: Day) -> Day:
    return day.isoformat() if isinstance(day, date) else day


def _day_as_date(day: Day) -> Day:
    return date.fromisoformat(day) if isinstance(day, str) else day


def _net(cells: Mapping[tuple, list[int]], render: Callable[[Day], Day]) -> Changes:
    """Cells whose change is not zero, with days as the driver stores them."""
    net: dict[tuple, tuple[int, int]] = {}
    for key, (items, stories) in cells.items():
        if items or stories:
            stored = (render(key[0]), *key[1:])
            old = net.get(stored)
            net[stored] = (items, stories) if old is None else (old[0] + items, old[1] + stories)
    return {key: change for key, change in net.items() if change != (0, 0)}


def _sum_into(
    cells: Changes,
    project: Callable[[tuple], tuple],
    drift: Mapping[tuple, list[int]],
    render: Callable[[Day], Day],
) -> Changes:
    """Fine changes summed into the cells of a coarser rollup, plus any repair of its drift."""
    summed: dict[tuple, list[int]] = {}
    for key, (items, stories) in cells.items():
        cell = summed.setdefault(project(key), [0, 0])
        cell[0] += items
        cell[1] += stories
    for key, (items, stories) in drift.items():
        day = key[0]
        rendered = (render(day), *key[1:]) if isinstance(day, date | str) else key
        cell = summed.setdefault(rendered, [0, 0])
        cell[0] += items
        cell[1] += stories
    return {key: (items, stories) for key, (items, stories) in summed.items() if items or stories}


def _add(cells: dict[Any, list[int]], key: tuple, items: int, stories: int) -> None:
    """Net a change into its cell's [items, stories]."""
    cell = cells.get(key)
    if cell is None:
        cells[key] = [items, stories]
    else:
        cell[0] += items
        cell[1] += stories


# -- writers --------------------------------------------------------------------------------


def add_new_items(
    session: Session,
    item_rows: Sequence[Mapping[str, Any]],
    theme_rows: Sequence[Mapping[str, Any]],
) -> None:
    """Count freshly inserted items and their theme rows (same transaction as the insert).

    The common ingest case, a feed with a few new items, costs one upsert statement per
    rollup table it touches.
    """
    delta = RollupDelta()
    delta.item_rows(item_rows)
    delta.theme_rows(theme_rows)
    apply(session, delta)


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
        _add(delta.totals, key, -items, -stories)
    for key, items, stories in _stored(
        session, DailyThemeCount, COUNTS, DailyThemeCount.feed_id == feed_id
    ):
        _add(delta.counts, key, -items, -stories)
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
        _add(delta.totals, key, items, stories)
    for key, items, stories in _stored(session, DailyTotal, TOTALS, total_filter):
        _add(delta.totals, key, -items, -stories)

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
        _add(delta.counts, key, items, stories)
    for key, items, stories in _stored(session, DailyThemeCount, COUNTS, count_filter):
        _add(delta.counts, key, -items, -stories)


def _grouped(
    session: Session, keys: Sequence[Any], items: Any, stories: Any, where: Any
) -> Iterator[tuple[tuple, int, int]]:
    """(key, items, stories) per group of ``keys``, summed by the database (Core: no ORM rows)."""
    n = len(keys)
    query = select(*keys, items, stories).where(where).group_by(*keys)
    for row in session.connection().execute(query):
        yield tuple(row[:n]), int(row[n]), int(row[n + 1])


def _stored(
    session: Session, model: Any, table: _Table, where: Any
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
    coarse: _Table,
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
        _add(drift, key, items, stories)
    for key, items, stories in _stored(session, coarse_model, coarse, coarse_filter):
        _add(drift, key, -items, -stories)
    wrong = {key: cell for key, cell in drift.items() if cell != [0, 0]}
    if wrong:
        delta.drift.setdefault(coarse.name, {}).update(wrong)


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
