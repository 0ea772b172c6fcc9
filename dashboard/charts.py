"""Pure DataFrame -> Altair chart functions: explicit encodings, tooltips, stated measures.

Charts only ever receive aggregates (periods x themes, feeds, theme pairs, spike episodes) and
the analyst's event annotations, never item rows. Each chart's title says what is counted and,
for shares, which denominator is used. A theme has one colour (and one point shape) on every
chart and page: ``palette.THEME_COLOURS`` is fixed per theme id, not assigned by the order
themes happen to appear in (see ``jkwatch.dashboard.palette``).

Every time chart takes the same extras: ``events`` (rules with their labels), ``partial``
(periods cut by the range, drawn as a shaded band marked "partial"), ``seam`` (the day live
collection began, a solid rule: before it the chart holds backfilled history) and, on trends,
``spikes`` (detected spike windows, shaded in the theme's colour). Periods are UTC days.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import altair as alt
import pandas as pd

from jkwatch.dashboard.palette import shape_scale, theme_colour, theme_scale
from jkwatch.events import Event

MEASURE_LABELS = {
    "count": "Count",
    "share_relevant": "Share of relevant coverage",
    "share_all": "Share of all coverage",
}
GRAIN_LABELS = {"day": "Day", "week": "Week (from Monday)", "month": "Month"}
# Periods are UTC dates: read them as UTC so the browser's zone never shifts a week's Monday.
PERIOD = "utcyearmonthdate(period):T"
MAX_TICKS = 16
SELECTION = "pick"
"""The name of the click selection on trend points (``on_select`` returns it)."""

EVENT_COLOUR = "#444444"
SEAM_COLOUR = "#1A9850"
"""Not a theme's colour (``palette.THEME_COLOURS``): the seam is never read as a theme."""
SEAM_LABEL = "live collection began"
SVG = {"embedOptions": {"renderer": "svg"}}
LEGEND = alt.Legend(orient="bottom", columns=4, labelLimit=0, titleLimit=0, symbolLimit=0)


def measure_column(measure: str) -> str:
    return {"count": "count", "share_relevant": "share_relevant", "share_all": "share_all"}[measure]


def trends_title(measure: str, unit: str, grain: str) -> str:
    """The chart's title: what is shown, so counts and shares are never confused."""
    if measure == "count":
        return f"{unit.capitalize()} per theme per {grain}"
    base = "relevant" if measure == "share_relevant" else "all"
    return f"Share of {base} {unit} per theme per {grain} (theme {unit} / {base} {unit})"


def period_end(start: date, grain: str) -> date:
    """The last day of the period that begins on ``start``."""
    if grain == "day":
        return start
    if grain == "week":
        return start + timedelta(days=6)
    following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return following - timedelta(days=1)


def partial_periods(
    periods: Iterable[date], grain: str, start: date | None, end: date | None
) -> pd.DataFrame:
    """The periods the range cuts (the first and last ones), with the days the range covers."""
    rows = []
    for first in sorted(set(periods)):
        last = period_end(first, grain)
        shown_from = max(first, start) if start else first
        shown_to = min(last, end) if end else last
        if shown_from != first or shown_to != last:
            rows.append(
                {
                    "period": pd.Timestamp(first),
                    "period_end": pd.Timestamp(last + timedelta(days=1)),
                    "note": f"Partial {grain}: {shown_from:%Y-%m-%d} to {shown_to:%Y-%m-%d}",
                }
            )
    return pd.DataFrame(rows, columns=["period", "period_end", "note"])


def _ticks(periods: Sequence[date]) -> list[alt.DateTime]:
    """Axis ticks on the periods' first days (a week's Monday), at most ``MAX_TICKS``."""
    ordered = sorted(set(periods))
    step = max(1, -(-len(ordered) // MAX_TICKS))
    return [alt.DateTime(year=p.year, month=p.month, date=p.day, utc=True) for p in ordered[::step]]


def _x(periods: Sequence[date], grain: str) -> alt.X:
    return alt.X(
        PERIOD,
        title=GRAIN_LABELS[grain] + " (UTC days)",
        axis=alt.Axis(format="%Y-%m-%d", labelAngle=-30, values=_ticks(periods), labelLimit=0),
    )


def _dates(frame: pd.DataFrame) -> list[date]:
    return [p.date() for p in pd.to_datetime(frame["period"])]


def events_frame(events: Iterable[Event], labels: dict[str, str]) -> pd.DataFrame:
    rows = [
        {
            "period": pd.Timestamp(e.day),
            "event": e.label,
            "event_themes": ", ".join(labels.get(t, t) for t in e.themes) or "all themes",
        }
        for e in events
    ]
    return pd.DataFrame(rows, columns=["period", "event", "event_themes"])


def seam_frame(day: date | None) -> pd.DataFrame:
    """The live-collection rule's one row (none without a day)."""
    rows = [] if day is None else [{"period": pd.Timestamp(day), "seam": SEAM_LABEL}]
    return pd.DataFrame(rows, columns=["period", "seam"])


def _extras(
    events: pd.DataFrame,
    partial: pd.DataFrame,
    spikes: pd.DataFrame | None = None,
    seam: date | None = None,
) -> list[alt.Chart]:
    """Layers shared by every time chart: partial-period bands, spike windows, event rules and
    the rule where live collection began."""
    layers: list[alt.Chart] = []
    if not partial.empty:
        band = alt.Chart(partial).encode(
            x=PERIOD, x2="utcyearmonthdate(period_end):T", tooltip=[alt.Tooltip("note:N", title="")]
        )
        layers.append(band.mark_rect(color="#000000", opacity=0.07))
        layers.append(
            alt.Chart(partial)
            .mark_text(align="left", baseline="top", dx=3, dy=3, color="#555555", fontSize=11)
            .encode(x=PERIOD, y=alt.value(0), text=alt.value("partial"))
        )
    if spikes is not None and not spikes.empty:
        window = alt.Chart(spikes).encode(
            x=alt.X("utcyearmonthdate(start):T"),
            x2="utcyearmonthdate(stop):T",
            color=alt.Color("theme:N", legend=None),
            tooltip=[
                alt.Tooltip("theme:N", title="Spike in"),
                alt.Tooltip("window:N", title="Days (UTC)"),
                alt.Tooltip("direction:N", title="Direction"),
                alt.Tooltip("count:Q", title="Items"),
                alt.Tooltip("baseline:Q", title="Expected", format=".1f"),
                alt.Tooltip("z:Q", title="z-score", format="+.1f"),
            ],
        )
        layers.append(window.mark_rect(opacity=0.18))
        layers.append(
            window.mark_point(shape="triangle-down", size=140, filled=True, opacity=1).encode(
                y=alt.value(8)
            )
        )
    if not events.empty:
        rule = alt.Chart(events).encode(
            x=PERIOD,
            tooltip=[
                alt.Tooltip("event:N", title="Event"),
                alt.Tooltip(PERIOD, title="Day", format="%Y-%m-%d"),
                alt.Tooltip("event_themes:N", title="Concerns"),
            ],
        )
        layers.append(rule.mark_rule(color=EVENT_COLOUR, strokeDash=[5, 3], strokeWidth=1.5))
        layers.append(
            rule.mark_text(
                angle=270, align="right", baseline="bottom", dx=-20, dy=-3, color=EVENT_COLOUR
            ).encode(y=alt.value(0), text="event:N")
        )
    if seam is not None:
        rule = alt.Chart(seam_frame(seam)).encode(
            x=PERIOD,
            tooltip=[
                alt.Tooltip("seam:N", title=""),
                alt.Tooltip(PERIOD, title="Day (UTC)", format="%Y-%m-%d"),
            ],
        )
        layers.append(rule.mark_rule(color=SEAM_COLOUR, strokeWidth=2))
        layers.append(
            rule.mark_text(
                angle=270, align="right", baseline="top", dx=-20, dy=3, color=SEAM_COLOUR
            ).encode(y=alt.value(0), text="seam:N")
        )
    return layers


def spikes_frame(spikes: Iterable[object], labels: dict[str, str]) -> pd.DataFrame:
    """Spike episodes (``SpikeEpisode``-like values) as chart rows, windows end-exclusive."""
    rows = []
    for s in spikes:
        theme_id = str(getattr(s, "theme_id", ""))
        start: date = getattr(s, "start")  # noqa: B009 - any value with these attributes
        end: date = getattr(s, "end")  # noqa: B009
        rows.append(
            {
                "theme_id": theme_id,
                "theme": labels.get(theme_id, theme_id),
                "start": pd.Timestamp(start),
                "stop": pd.Timestamp(end + timedelta(days=1)),
                "window": f"{start:%Y-%m-%d} to {end:%Y-%m-%d}",
                "direction": str(getattr(s, "direction", "")),
                "count": int(getattr(s, "count", 0)),
                "baseline": float(getattr(s, "baseline", 0.0)),
                "z": float(getattr(s, "z", 0.0)),
            }
        )
    columns = ["theme_id", "theme", "start", "stop", "window", "direction", "count"]
    return pd.DataFrame(rows, columns=[*columns, "baseline", "z"])


def largest_moves(frame: pd.DataFrame, measure: str, top: int = 3) -> pd.DataFrame:
    """The ``top`` biggest period-over-period changes across themes (for annotations)."""
    if frame.empty:
        return frame.assign(change=pd.Series(dtype=float))
    column = measure_column(measure)
    ordered = frame.sort_values(["theme_id", "period"]).copy()
    ordered["change"] = ordered.groupby("theme_id")[column].diff()
    moved = ordered.dropna(subset=["change"])
    moved = moved[moved["change"] != 0]
    if moved.empty:
        return moved
    picked = moved.reindex(moved["change"].abs().sort_values(ascending=False).index).head(top)
    fmt = (lambda v: f"{v:+.0f}") if measure == "count" else (lambda v: f"{v * 100:+.1f} pts")
    return picked.assign(label=picked["change"].map(fmt))


def trends_chart(
    frame: pd.DataFrame,
    measure: str,
    unit: str,
    grain: str,
    labels: dict[str, str],
    *,
    events: pd.DataFrame | None = None,
    partial: pd.DataFrame | None = None,
    spikes: pd.DataFrame | None = None,
    seam: date | None = None,
) -> alt.LayerChart | alt.FacetChart:
    """Lines per theme; a click on a point selects its period and theme (``SELECTION``)."""
    column = measure_column(measure)
    data = frame.assign(
        theme=frame["theme_id"].map(lambda t: labels.get(t, t)),
        period_key=pd.to_datetime(frame["period"]).dt.strftime("%Y-%m-%d"),
    )
    theme_ids = list(dict.fromkeys(data["theme_id"]))
    if spikes is not None and not spikes.empty:
        # A spike's first window may begin before the range: draw only its part in the chart.
        first = pd.to_datetime(data["period"]).min()
        spikes = spikes[spikes["theme_id"].isin(theme_ids)]
        spikes = spikes.assign(start=spikes["start"].clip(lower=first))
    axis_format = "d" if measure == "count" else ".0%"
    tooltip = [
        alt.Tooltip("theme:N", title="Theme"),
        alt.Tooltip(PERIOD, title=GRAIN_LABELS[grain], format="%Y-%m-%d"),
        alt.Tooltip("count:Q", title=f"Theme {unit}"),
        alt.Tooltip("relevant_count:Q", title=f"Relevant theme {unit}"),
        alt.Tooltip("total:Q", title=f"All {unit}"),
        alt.Tooltip("relevant_total:Q", title=f"Relevant {unit}"),
        alt.Tooltip("share_relevant:Q", title="Share of relevant", format=".1%"),
        alt.Tooltip("share_all:Q", title="Share of all", format=".1%"),
    ]
    pick = alt.selection_point(name=SELECTION, fields=["period_key", "theme_id"], on="click")
    base = alt.Chart(data, title=trends_title(measure, unit, grain)).encode(
        x=_x(_dates(data), grain),
        y=alt.Y(
            f"{column}:Q",
            title=MEASURE_LABELS[measure],
            axis=alt.Axis(format=axis_format, titleLimit=0),
        ),
        color=alt.Color(
            "theme:N", title="Theme", scale=theme_scale(theme_ids, labels), legend=LEGEND
        ),
        tooltip=tooltip,
    )
    lines = base.mark_line()
    points = (
        base.mark_point(filled=True, size=70)
        .encode(
            shape=alt.Shape("theme:N", scale=shape_scale(theme_ids, labels), legend=None),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        )
        .add_params(pick)
    )
    # Bands, rings and rules lie under the points, so a click on a point always reaches it.
    layers: list[alt.Chart] = _extras(
        events if events is not None else events_frame((), labels),
        partial if partial is not None else partial_periods((), grain, None, None),
        spikes,
        seam,
    )
    layers.append(lines)
    moves = largest_moves(data, measure)
    if not moves.empty:
        marks = alt.Chart(moves).encode(
            x=PERIOD, y=f"{column}:Q", tooltip=[alt.Tooltip("label:N", title="Largest move")]
        )
        layers.append(
            marks.mark_point(size=260, shape="circle", filled=False, strokeWidth=2, color="#555")
        )
        layers.append(
            marks.mark_text(dy=-15, fontWeight="bold", color="#333").encode(text="label:N")
        )
    layers.append(points)
    # SVG, not canvas: its points carry ARIA labels (screen readers; the browser test finds and
    # clicks a point by them). A trends chart holds a few hundred marks, cheap either way.
    return alt.layer(*layers).properties(height=420, usermeta=SVG)


def volume_chart(
    frame: pd.DataFrame,
    unit: str,
    grain: str,
    theme_id: str = "",
    *,
    events: pd.DataFrame | None = None,
    partial: pd.DataFrame | None = None,
    seam: date | None = None,
) -> alt.LayerChart | alt.FacetChart:
    """One theme's volume as bars in the theme's colour, each as wide as its period."""
    days = _dates(frame)
    stops = [pd.Timestamp(period_end(d, grain) + timedelta(days=1)) for d in days]
    bars = (
        alt.Chart(frame.assign(period_stop=stops), title=f"{unit.capitalize()} per {grain}")
        .mark_bar(color=theme_colour(theme_id), stroke="white", strokeWidth=2)
        .encode(
            x=_x(days, grain),
            x2="utcyearmonthdate(period_stop):T",
            y=alt.Y("count:Q", title=f"{unit.capitalize()} (count)"),
            tooltip=[
                alt.Tooltip(PERIOD, title=GRAIN_LABELS[grain], format="%Y-%m-%d"),
                alt.Tooltip("count:Q", title=unit.capitalize()),
                alt.Tooltip("relevant_count:Q", title=f"Relevant {unit}"),
            ],
        )
    )
    extras = _extras(
        events if events is not None else events_frame((), {}),
        partial if partial is not None else partial_periods((), grain, None, None),
        seam=seam,
    )
    return alt.layer(bars, *extras)


def sources_chart(frame: pd.DataFrame, unit: str, theme_id: str = "") -> alt.Chart:
    return (
        alt.Chart(frame, title=f"Top sources ({unit}, count)")
        .mark_bar(color=theme_colour(theme_id))
        .encode(
            x=alt.X("count:Q", title=f"{unit.capitalize()} (count)"),
            y=alt.Y("name:N", sort="-x", title="Source", axis=alt.Axis(labelLimit=320)),
            tooltip=[alt.Tooltip("name:N", title="Source"), alt.Tooltip("count:Q", title="Count")],
        )
    )


def partners_chart(frame: pd.DataFrame, unit: str, theme_label: str) -> alt.Chart:
    """The chosen theme's partners: items with both themes, each bar in the partner's colour."""
    ids = list(frame["theme_id"])
    labels = dict(zip(frame["theme_id"], frame["partner"], strict=True))
    return (
        alt.Chart(frame, title=f"Themes given together with {theme_label} ({unit} with both)")
        .mark_bar()
        .encode(
            x=alt.X("count:Q", title=f"{unit.capitalize()} with both themes (count)"),
            y=alt.Y("partner:N", sort="-x", title="Partner theme", axis=alt.Axis(labelLimit=320)),
            color=alt.Color("partner:N", scale=theme_scale(ids, labels), legend=None),
            tooltip=[
                alt.Tooltip("partner:N", title="Partner"),
                alt.Tooltip("count:Q", title="With both"),
                alt.Tooltip("share:Q", title=f"Share of {theme_label}", format=".1%"),
            ],
        )
    )


def _utc_day(day: date) -> alt.DateTime:
    return alt.DateTime(year=day.year, month=day.month, date=day.day, utc=True)


def spike_timeline(
    spikes: pd.DataFrame,
    labels: dict[str, str],
    start: date,
    end: date,
    events: pd.DataFrame | None = None,
    seam: date | None = None,
) -> alt.LayerChart | alt.FacetChart:
    """Every spike window in the range: one bar per episode, in its theme's colour (rises solid,
    falls pale); windows that began before the range are drawn from its first day."""
    ids = list(dict.fromkeys(spikes["theme_id"]))
    shown = spikes.assign(start=spikes["start"].clip(lower=pd.Timestamp(start)))
    bars = (
        alt.Chart(shown, title="Spike windows in the range (UTC days)")
        .mark_bar(height=14, cornerRadius=2, clip=True)
        .encode(
            x=alt.X(
                "utcyearmonthdate(start):T",
                title="Day (UTC)",
                scale=alt.Scale(domain=[_utc_day(start), _utc_day(end + timedelta(days=1))]),
                axis=alt.Axis(format="%Y-%m-%d", labelAngle=-30),
            ),
            x2="utcyearmonthdate(stop):T",
            y=alt.Y("theme:N", title="Theme", axis=alt.Axis(labelLimit=320)),
            color=alt.Color("theme:N", scale=theme_scale(ids, labels), legend=None),
            opacity=alt.Opacity(
                "direction:N",
                title="Direction",
                scale=alt.Scale(domain=["rise", "fall"], range=[0.95, 0.4]),
                legend=alt.Legend(orient="bottom", labelLimit=0),
            ),
            tooltip=[
                alt.Tooltip("theme:N", title="Theme"),
                alt.Tooltip("window:N", title="Days (UTC)"),
                alt.Tooltip("direction:N", title="Direction"),
                alt.Tooltip("count:Q", title="Items"),
                alt.Tooltip("baseline:Q", title="Expected", format=".1f"),
                alt.Tooltip("z:Q", title="z-score", format="+.1f"),
            ],
        )
    )
    rules = _extras(
        events if events is not None else events_frame((), labels),
        partial_periods((), "day", None, None),
        seam=seam,
    )
    return alt.layer(bars, *rules)
