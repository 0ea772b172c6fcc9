"""Trends and spikes for the dashboard: theme counts over time, read only from the rollups.

Both read the exact rollups (``weekly_theme_sums``, ``daily_theme_sums`` or
``daily_theme_counts`` and their totals), so their cost depends on weeks or days x feeds, never
on the number of items. Which rollup answers which days is ``db.trend_sums``'s job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from jkwatch.db.models import DailySum
from jkwatch.db.query_filters import Filters, conditions, theme_rollup
from jkwatch.db.trend_sums import period_sums
from jkwatch.model import SpikeEpisode


@dataclass(frozen=True)
class SeriesPoint:
    """One theme in one period, with the period's exact denominators for shares."""

    period: date
    theme_id: str
    count: int
    """Items (or stories) of the theme passing the filters."""
    relevant_count: int
    """The same, restricted to relevant items (the numerator of the share of relevant coverage)."""
    total: int
    """All items (or stories) in the period passing the filters except the theme filter."""
    relevant_total: int
    """Relevant items (or stories) in the period passing the filters except the theme filter."""

    @property
    def share_of_all(self) -> float:
        return self.count / self.total if self.total else 0.0

    @property
    def share_of_relevant(self) -> float:
        return self.relevant_count / self.relevant_total if self.relevant_total else 0.0


def theme_series(session: Session, filters: Filters, grain: str = "week") -> list[SeriesPoint]:
    """Counts per theme per period from the rollups, zero-filled for every period with items.

    The sums come from ``db.trend_sums.period_sums``: whole weeks from the weekly rollups when
    it can, days from the daily rollups otherwise (weeks start on Monday). Shares use exact
    denominators under the same date, language and feed filters: ``total`` counts every
    item whatever its relevance ("all coverage"), ``relevant_total`` the items at or above
    the relevant bucket (and the view's floor, when higher).
    """
    sums = period_sums(session, filters, grain)
    theme_ids = list(filters.themes) or sorted({theme for _, theme in sums.counts})
    points = []
    for when in sorted(sums.totals):
        total, relevant_total = sums.totals[when]
        for theme_id in theme_ids:
            count, relevant_count = sums.counts.get((when, theme_id), (0, 0))
            points.append(SeriesPoint(when, theme_id, count, relevant_count, total, relevant_total))
    return points


SPIKE_METHOD = (
    "Spikes compare the last 7 days (ending on the last day of the selected range) with the "
    "8 weeks before them. For each theme the 8 weekly counts give a baseline mean and standard "
    "deviation (weeks without items count as 0). z = (last 7 days - mean) / max(std, 1) and "
    "ratio = (last 7 days + 1) / (mean + 1). A theme is a rise when it has at least 5 items in "
    "the last 7 days, z >= 2 and ratio >= 1.5; a fall when its baseline mean is at least 5, "
    "z <= -2 and ratio <= 0.67. Language, source, relevance and story filters apply; the date "
    "range only sets the end day."
)
SPIKE_MIN_COUNT = 5
SPIKE_MIN_Z = 2.0
SPIKE_MIN_RATIO = 1.5
BASELINE_WEEKS = 8


@dataclass(frozen=True)
class Spike:
    theme_id: str
    recent: int
    baseline_mean: float
    baseline_std: float
    z: float
    ratio: float
    direction: str  # "rise", "fall" or "" (not a spike)
    recent_start: date
    recent_end: date
    weekly: tuple[int, ...]
    """Baseline weekly counts, oldest first."""


def spikes(
    session: Session, filters: Filters, anchor: date | None = None, include_all: bool = False
) -> list[Spike]:
    """Themes whose last 7 days depart from their trailing 8 weeks (see ``SPIKE_METHOD``).

    One grouped query over the rollups; windows are assigned with CASE on bound dates.
    ``include_all`` returns every theme (for tables), otherwise only rises and falls.
    """
    anchor = anchor or filters.end or latest_day(session)
    if anchor is None:
        return []
    model = theme_rollup(filters)
    unit = model.stories if filters.stories else model.items
    first = anchor - timedelta(days=7 * (BASELINE_WEEKS + 1) - 1)
    window = case(
        *[(model.day >= anchor - timedelta(days=7 * k + 6), k) for k in range(BASELINE_WEEKS + 1)],
        else_=BASELINE_WEEKS + 1,
    ).label("window")
    scoped = replace(filters, start=first, end=anchor)
    rows = session.execute(
        select(model.theme_id, window, func.sum(unit))
        .where(*conditions(model, scoped))
        .group_by(model.theme_id, window)
    ).all()
    by_theme: dict[str, list[int]] = {}
    for theme_id, win, count in rows:
        by_theme.setdefault(theme_id, [0] * (BASELINE_WEEKS + 1))[int(win)] = int(count or 0)
    out = []
    for theme_id, weeks in by_theme.items():
        spike = _score(theme_id, weeks, anchor)
        if include_all or spike.direction:
            out.append(spike)
    out.sort(key=lambda s: (-abs(s.z), s.theme_id))
    return out


def _score(theme_id: str, weeks: list[int], anchor: date) -> Spike:
    recent, baseline = weeks[0], weeks[1:]
    mean = sum(baseline) / len(baseline)
    std = math.sqrt(sum((x - mean) ** 2 for x in baseline) / len(baseline))
    z = (recent - mean) / max(std, 1.0)
    ratio = (recent + 1) / (mean + 1)
    direction = ""
    if recent >= SPIKE_MIN_COUNT and z >= SPIKE_MIN_Z and ratio >= SPIKE_MIN_RATIO:
        direction = "rise"
    elif mean >= SPIKE_MIN_COUNT and z <= -SPIKE_MIN_Z and ratio <= 1 / SPIKE_MIN_RATIO:
        direction = "fall"
    return Spike(
        theme_id=theme_id,
        recent=recent,
        baseline_mean=round(mean, 2),
        baseline_std=round(std, 2),
        z=round(z, 2),
        ratio=round(ratio, 2),
        direction=direction,
        recent_start=anchor - timedelta(days=6),
        recent_end=anchor,
        weekly=tuple(reversed(baseline)),
    )


SPIKES_IN_RANGE_METHOD = (
    "Every spike in a range: the spike rule above is evaluated for the 7-day window ending on "
    "each day of the range (each against its own 8 weeks before it); consecutive flagged "
    "windows of one theme and direction are merged into one episode. An episode runs from the "
    "first day of its first window to the last day of its last window (so it may begin up to "
    "6 days before the range); its count is the theme's items in those days, its baseline the "
    "count expected for that many days from the 8 weeks before its start (weekly mean x days / "
    "7), and its z the z of its strongest window."
)


def spikes_in_range(
    session: Session, filters: Filters, since: date, until: date
) -> list[SpikeEpisode]:
    """Every spike detected inside ``[since, until]`` (see ``SPIKES_IN_RANGE_METHOD``).

    One grouped query reads the daily per-theme sums from 62 days before ``since`` to
    ``until``; the windows are slid over them here, with prefix sums, using the same scoring
    as ``spikes``. The filters' own dates are ignored. Ordered by start, then theme.
    """
    if since > until:
        return []
    model = theme_rollup(filters)
    unit = model.stories if filters.stories else model.items
    first = since - timedelta(days=7 * (BASELINE_WEEKS + 1) - 1)
    scoped = replace(filters, start=first, end=until)
    rows = session.execute(
        select(model.theme_id, model.day, func.sum(unit))
        .where(*conditions(model, scoped))
        .group_by(model.theme_id, model.day)
    ).all()
    size = (until - first).days + 1
    daily: dict[str, list[int]] = {}
    for theme_id, day, count in rows:
        daily.setdefault(theme_id, [0] * size)[(day - first).days] = int(count or 0)
    out: list[SpikeEpisode] = []
    for theme_id, counts in daily.items():
        out.extend(_episodes(theme_id, counts, first, since, until))
    out.sort(key=lambda e: (e.start, e.theme_id, e.end))
    return out


def _episodes(
    theme_id: str, counts: list[int], first: date, since: date, until: date
) -> list[SpikeEpisode]:
    """The merged spike episodes of one theme, from its daily counts starting on ``first``."""
    prefix = [0]
    for n in counts:
        prefix.append(prefix[-1] + n)

    def total(start: date, end: date) -> int:  # items in [start, end], both inside the array
        return prefix[(end - first).days + 1] - prefix[(start - first).days]

    runs: list[list[Spike]] = []
    day = since
    while day <= until:
        weeks = [
            total(day - timedelta(days=7 * k + 6), day - timedelta(days=7 * k))
            for k in range(BASELINE_WEEKS + 1)
        ]
        spike = _score(theme_id, weeks, day)
        if spike.direction:
            last = runs[-1][-1] if runs else None
            if (
                last is not None
                and last.direction == spike.direction
                and last.recent_end == day - timedelta(days=1)
            ):
                runs[-1].append(spike)
            else:
                runs.append([spike])
        day += timedelta(days=1)
    out = []
    for run in runs:
        start, end = run[0].recent_start, run[-1].recent_end
        days = (end - start).days + 1
        peak = max(run, key=lambda s: abs(s.z))
        out.append(
            SpikeEpisode(
                theme_id=theme_id,
                start=start,
                end=end,
                count=total(start, end),
                baseline=round(sum(run[0].weekly) / BASELINE_WEEKS * days / 7, 2),
                z=peak.z,
                direction=run[0].direction,
            )
        )
    return out


def latest_day(session: Session) -> date | None:
    return session.scalar(select(func.max(DailySum.day)))
