"""Exact per-period sums for trends: whole weeks from the weekly rollups, the rest from the daily.

``period_sums`` returns, per period of a grain, the items (or stories) of each theme and the
period's denominators, under a ``Filters`` view. Which rollup answers which days:

* by week, without a source or language filter and with backfill included, every week lying wholly inside the range is
  read from ``weekly_theme_sums`` / ``weekly_sums`` (one row per week, theme and bucket: ~100
  weeks instead of ~730 days over two years), and only the days of the partial weeks at the
  edges of the range from ``daily_theme_sums`` / ``daily_sums``;
* otherwise (by day or month, filtered by source or language, or without backfill) every day is read from the
  smallest daily rollup that can answer (``query_filters.theme_rollup`` / ``total_rollup``).

Both paths count the same cells (the weekly tables are the daily ones summed per week, written
by ``db.rollups`` from the same changes), so the choice never changes a number. Days are folded
into periods in Python (weeks start on Monday): cheaper on SQLite than a date function per row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from jkwatch.db.models import WeeklySum, WeeklyThemeSum
from jkwatch.db.query_filters import Filters, conditions, period_of, theme_rollup, total_rollup

Pair = tuple[int, int]
"""(count, relevant count)."""


@dataclass
class PeriodSums:
    """Per period: all and relevant totals; per (period, theme): all and relevant counts."""

    totals: dict[date, Pair] = field(default_factory=dict)
    counts: dict[tuple[date, str], Pair] = field(default_factory=dict)

    def add_total(self, period: date, n: int, relevant: int) -> None:
        old = self.totals.get(period, (0, 0))
        self.totals[period] = (old[0] + n, old[1] + relevant)

    def add_count(self, period: date, theme_id: str, n: int, relevant: int) -> None:
        old = self.counts.get((period, theme_id), (0, 0))
        self.counts[(period, theme_id)] = (old[0] + n, old[1] + relevant)


def whole_weeks(start: date | None, end: date | None) -> tuple[date | None, date | None] | None:
    """The Mondays of the first and last weeks lying wholly inside ``[start, end]`` (``None``
    bounds are open), or ``None`` when no whole week fits."""
    first = None if start is None else start + timedelta(days=-start.weekday() % 7)
    if end is None:
        last = None
    else:
        sunday = end - timedelta(days=(end.weekday() + 1) % 7)  # the last Sunday on or before
        last = sunday - timedelta(days=6)
    if first is not None and last is not None and first > last:
        return None
    return first, last


def period_sums(session: Session, filters: Filters, grain: str) -> PeriodSums:
    """Exact sums per period of ``grain`` under ``filters`` (see the module docstring)."""
    sums = PeriodSums()
    weeks = None
    if grain == "week" and not filters.per_feed and not filters.languages:
        weeks = whole_weeks(filters.start, filters.end)
    if weeks is None:
        _daily(session, filters, grain, sums)
        return sums
    first, last = weeks
    if first is not None and filters.start is not None and filters.start < first:
        _daily(session, replace(filters, end=first - timedelta(days=1)), grain, sums)
    _weekly(session, filters, first, last, sums)
    if last is not None and filters.end is not None and last + timedelta(days=6) < filters.end:
        _daily(session, replace(filters, start=last + timedelta(days=7)), grain, sums)
    return sums


def _daily(session: Session, filters: Filters, grain: str, sums: PeriodSums) -> None:
    periods: dict[date, date] = {}  # ~730 distinct days for ~11,000 (day, theme) rows

    def period(day: date) -> date:
        when = periods.get(day)
        if when is None:
            when = periods[day] = period_of(day, grain)
        return when

    totals_model = total_rollup(filters)
    where = conditions(totals_model, filters, with_relevance=False)
    for day, n, relevant in _summed(session, filters, totals_model, totals_model.day, where):
        sums.add_total(period(day), n, relevant)
    model = theme_rollup(filters)
    where = conditions(model, filters)
    for day, theme_id, n, relevant in _summed(
        session, filters, model, model.day, where, model.theme_id
    ):
        sums.add_count(period(day), theme_id, n, relevant)


def _weekly(
    session: Session, filters: Filters, first: date | None, last: date | None, sums: PeriodSums
) -> None:
    def bounded(model: Any) -> list[Any]:
        out = []
        if first is not None:
            out.append(model.week >= first)
        if last is not None:
            out.append(model.week <= last)
        return out

    for week, n, relevant in _summed(
        session, filters, WeeklySum, WeeklySum.week, bounded(WeeklySum)
    ):
        sums.add_total(week, n, relevant)
    where = bounded(WeeklyThemeSum)
    if filters.min_bucket > 0:
        where.append(WeeklyThemeSum.rel_bucket >= filters.min_bucket)
    if filters.themes:
        where.append(WeeklyThemeSum.theme_id.in_(filters.themes))
    for week, theme_id, n, relevant in _summed(
        session, filters, WeeklyThemeSum, WeeklyThemeSum.week, where, WeeklyThemeSum.theme_id
    ):
        sums.add_count(week, theme_id, n, relevant)


def _summed(
    session: Session, filters: Filters, model: Any, period: Any, where: list[Any], *keys: Any
) -> Iterator[tuple[Any, ...]]:
    """(period, *keys, sum, relevant sum) rows of ``model`` grouped by period and ``keys``."""
    unit = model.stories if filters.stories else model.items
    relevant = case((model.rel_bucket >= filters.relevant_bucket, unit), else_=0)
    query = (
        select(period, *keys, func.sum(unit), func.sum(relevant))
        .where(*where)
        .group_by(period, *keys)
    )
    for row in session.execute(query):
        *head, n, rel = row
        yield (*head, int(n or 0), int(rel or 0))
