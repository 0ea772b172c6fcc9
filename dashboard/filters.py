"""The shared view filters and their URL form (pure: no Streamlit, no database).

Filters live in ``st.query_params`` so a view can be shared by copying the URL. Parsing is
forgiving (a hand-edited or stale URL falls back to defaults instead of failing) and
serialising omits defaults, so URLs stay short; except the date range, which is always
written, so a shared view keeps its end date instead of drifting as new data arrives.

``zone`` is the one time zone the pages show times in (UTC by default). Days, periods and
spike windows are UTC days (the rollups are kept by UTC day); the pages say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

GRAINS = ("day", "week", "month")
MEASURES = ("count", "share_relevant", "share_all")
UNITS = ("items", "stories")
DEFAULT_SPAN_DAYS = 90
DEFAULT_MIN_RELEVANCE = 5
DEFAULT_ZONE = "UTC"
ZONES = ("UTC", "Asia/Tokyo", "Asia/Seoul", "Asia/Shanghai", "Europe/London", "America/New_York")
"""The zones offered in the sidebar; a URL may name any IANA zone."""
"""Relevant items only by default (relevance >= 0.5): off-topic items stay out of trends."""


@dataclass(frozen=True)
class ViewFilters:
    start: date | None = None
    end: date | None = None
    themes: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    feeds: tuple[int, ...] = ()
    min_relevance: int = DEFAULT_MIN_RELEVANCE
    """Minimum relevance in tenths (0..10): the rollups' bucket granularity."""
    unit: str = "items"
    grain: str = "week"
    measure: str = "count"
    zone: str = DEFAULT_ZONE
    backfill: bool = True
    """Include backfilled history (items of ``jkwatch backfill``); off: live feeds and imports."""
    extra: dict[str, str] = field(default_factory=dict, compare=False)


def default_range(last_day: date | None, span_days: int = DEFAULT_SPAN_DAYS) -> tuple[date, date]:
    """The last ``span_days`` days that have data (today when there is none)."""
    end = last_day or date.today()
    return end - timedelta(days=span_days - 1), end


def _one(params: Mapping[str, Any], key: str) -> str | None:
    value = params.get(key)
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    return str(value) if value not in (None, "") else None


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _list(text: str | None) -> tuple[str, ...]:
    return tuple(part for part in (text or "").split(",") if part)


def valid_zone(name: str | None) -> str:
    """``name`` when it is a known IANA time zone, else UTC."""
    if not name or len(name) > 64:
        return DEFAULT_ZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_ZONE
    return name


def parse(params: Mapping[str, Any], last_day: date | None) -> ViewFilters:
    """Filters from query parameters; anything missing or malformed takes its default."""
    start, end = default_range(last_day)
    start = _date(_one(params, "from")) or start
    end = _date(_one(params, "to")) or end
    if start > end:
        start, end = end, start
    feeds = tuple(int(f) for f in _list(_one(params, "feeds")) if f.isdigit())
    try:
        rel = max(0, min(10, int(_one(params, "rel") or DEFAULT_MIN_RELEVANCE)))
    except ValueError:
        rel = DEFAULT_MIN_RELEVANCE
    unit = _one(params, "unit")
    grain = _one(params, "grain")
    measure = _one(params, "measure")
    return ViewFilters(
        start=start,
        end=end,
        themes=_list(_one(params, "themes")),
        languages=_list(_one(params, "lang")),
        feeds=feeds,
        min_relevance=rel,
        unit=unit if unit in UNITS else "items",
        grain=grain if grain in GRAINS else "week",
        measure=measure if measure in MEASURES else "count",
        zone=valid_zone(_one(params, "tz")),
        backfill=_one(params, "backfill") not in ("0", "false", "no", "off"),
    )


def to_params(view: ViewFilters, last_day: date | None) -> dict[str, str]:
    """Query parameters for ``view``; values equal to the defaults are left out, except the
    date range (a shared URL keeps its dates)."""
    default_start, default_end = default_range(last_day)
    out: dict[str, str] = {"from": (view.start or default_start).isoformat()}
    out["to"] = (view.end or default_end).isoformat()
    if view.themes:
        out["themes"] = ",".join(view.themes)
    if view.languages:
        out["lang"] = ",".join(view.languages)
    if view.feeds:
        out["feeds"] = ",".join(str(f) for f in view.feeds)
    if view.min_relevance != DEFAULT_MIN_RELEVANCE:
        out["rel"] = str(view.min_relevance)
    if view.unit != "items":
        out["unit"] = view.unit
    if view.grain != "week":
        out["grain"] = view.grain
    if view.measure != "count":
        out["measure"] = view.measure
    if view.zone != DEFAULT_ZONE:
        out["tz"] = view.zone
    if not view.backfill:
        out["backfill"] = "0"
    return out


def restrict(
    view: ViewFilters, themes: set[str], feeds: set[int], languages: set[str]
) -> ViewFilters:
    """Drop values the database does not know (a shared URL from another database)."""
    return replace(
        view,
        themes=tuple(t for t in view.themes if t in themes),
        feeds=tuple(f for f in view.feeds if f in feeds),
        languages=tuple(lang for lang in view.languages if lang in languages),
    )
