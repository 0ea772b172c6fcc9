"""Signed per-cell rollup changes and ``apply``, the one statement path into the rollup tables.

See the package docstring (``db.rollups``) for the tables and the contract.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from jkwatch.db.dialect import driver_day
from jkwatch.db.driver_sql import run_many

Day = date | str
"""A day as a ``date``, or as the ISO text SQLite's driver returns."""
TotalKey = tuple[Day, int, str, int]
"""A ``daily_totals`` cell: (day, feed_id, language, rel_bucket)."""
CountKey = tuple[Day, int, str, int, str]
"""A ``daily_theme_counts`` cell: (day, feed_id, language, rel_bucket, theme_id)."""

Changes = dict[tuple, tuple[int, int]]
"""Net (items, stories) change per cell of one table."""


@dataclass(frozen=True)
class RollupTable:
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


TOTALS = RollupTable("daily_totals", ("day", "feed_id", "language", "rel_bucket"))
COUNTS = RollupTable("daily_theme_counts", ("day", "feed_id", "language", "rel_bucket", "theme_id"))
DAILY_SUMS = RollupTable("daily_sums", ("day", "language", "rel_bucket"))
FEED_SUMS = RollupTable("feed_sums", ("feed_id", "rel_bucket"))
THEME_SUMS = RollupTable("daily_theme_sums", ("day", "theme_id", "rel_bucket"))
WEEKLY_SUMS = RollupTable("weekly_sums", ("week", "language", "rel_bucket"))
WEEKLY_THEME_SUMS = RollupTable("weekly_theme_sums", ("week", "theme_id", "rel_bucket"))

_TABLES = (TOTALS, COUNTS, DAILY_SUMS, FEED_SUMS, THEME_SUMS, WEEKLY_SUMS, WEEKLY_THEME_SUMS)
"""The write order: fine before coarse, always the same."""


@lru_cache(maxsize=8192)
def week_of(day: Day) -> Day:
    """The Monday starting ``day``'s week, in the form it was given (``date`` or ISO text)."""
    if isinstance(day, str):
        parsed = date.fromisoformat(day)
        return (parsed - timedelta(days=parsed.weekday())).isoformat()
    return day - timedelta(days=day.weekday())


# How each coarse table projects the cells of the fine table it sums.
_COARSE: tuple[tuple[RollupTable, RollupTable, Callable[[tuple], tuple]], ...] = (
    (DAILY_SUMS, TOTALS, lambda k: (k[0], k[2], k[3])),
    (FEED_SUMS, TOTALS, lambda k: (k[1], k[3])),
    (THEME_SUMS, COUNTS, lambda k: (k[0], k[4], k[3])),
    (WEEKLY_SUMS, TOTALS, lambda k: (week_of(k[0]), k[2], k[3])),
    (WEEKLY_THEME_SUMS, COUNTS, lambda k: (week_of(k[0]), k[4], k[3])),
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
        net_into(self.totals, key, sign, sign if lead else 0)

    def theme(self, key: CountKey, lead: bool, sign: int = 1) -> None:
        """A theme row entering or leaving a ``daily_theme_counts`` cell."""
        net_into(self.counts, key, sign, sign if lead else 0)

    def story_lead(self, key: TotalKey, theme_ids: Iterable[str], gained: bool) -> None:
        """An item in ``key`` (with themes ``theme_ids``) becoming or ceasing to be a story lead."""
        sign = 1 if gained else -1
        net_into(self.totals, key, 0, sign)
        for theme_id in theme_ids:
            net_into(self.counts, (*key, theme_id), 0, sign)

    def item_rows(self, rows: Iterable[Mapping[str, Any]], sign: int = 1) -> None:
        """Items as dicts with ``day, feed_id, language, rel_bucket, story_lead``."""
        for row in rows:
            key = (row["day"], row["feed_id"], row["language"], row["rel_bucket"])
            net_into(self.totals, key, sign, sign if row["story_lead"] else 0)

    def theme_rows(self, rows: Iterable[Mapping[str, Any]], sign: int = 1) -> None:
        """``item_themes`` rows as dicts (the item columns plus ``theme_id``)."""
        for row in rows:
            key = (row["day"], row["feed_id"], row["language"], row["rel_bucket"], row["theme_id"])
            net_into(self.counts, key, sign, sign if row["story_lead"] else 0)

    def merge(self, other: RollupDelta) -> None:
        """Add ``other``'s changes to these (several writes, one ``apply``)."""
        for mine, theirs in ((self.totals, other.totals), (self.counts, other.counts)):
            for key, (items, stories) in theirs.items():
                net_into(mine, key, items, stories)
        for table, cells in other.drift.items():
            for key, (items, stories) in cells.items():
                net_into(self.drift.setdefault(table, {}), key, items, stories)

    def apply(self, session: Session) -> None:
        apply(session, self)


def apply(session: Session, delta: RollupDelta) -> None:
    """Write ``delta`` to the fine rollups and the coarse sums derived from it, in this transaction.

    Cells whose changes cancel out are not written at all; cells left at zero items and zero
    stories are deleted.
    """
    render = driver_day(session)
    fine = {TOTALS: _net(delta.totals, render), COUNTS: _net(delta.counts, render)}
    changes: dict[RollupTable, Changes] = dict(fine)
    for coarse, source, project in _COARSE:
        summed = _sum_into(fine[source], project, delta.drift.get(coarse.name, {}), render)
        changes[coarse] = summed
    for table in _TABLES:
        _write(session, table, changes[table])


def _write(session: Session, table: RollupTable, cells: Changes) -> None:
    """Upsert the changes sorted by key, then drop the shrunk cells that reached zero."""
    if not cells:
        return
    ordered = sorted(cells)
    run_many(session, table.upsert_sql(), [(*key, *cells[key]) for key in ordered])
    shrunk = [key for key in ordered if cells[key][0] < 0 or cells[key][1] < 0]
    run_many(session, table.drop_sql(), shrunk)


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


def net_into(cells: dict[Any, list[int]], key: tuple, items: int, stories: int) -> None:
    """Net a change into its cell's [items, stories]."""
    cell = cells.get(key)
    if cell is None:
        cells[key] = [items, stories]
    else:
        cell[0] += items
        cell[1] += stories


# -- ingest --------------------------------------------------------------------------------


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
