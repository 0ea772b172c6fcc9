"""Pure DataFrame -> Altair chart functions: explicit encodings, tooltips, stated measures.

Charts only ever receive aggregates (periods x themes, feeds, theme pairs), never item rows.
Each chart's title says what is counted and, for shares, which denominator is used.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

MEASURE_LABELS = {
    "count": "Count",
    "share_relevant": "Share of relevant coverage",
    "share_all": "Share of all coverage",
}
GRAIN_LABELS = {"day": "Day", "week": "Week (from Monday)", "month": "Month"}
# Periods are UTC dates: read them as UTC so the browser's zone never shifts a week's Monday.
PERIOD = "utcyearmonthdate(period):T"
PERIOD_AXIS = alt.Axis(format="%Y-%m-%d", labelAngle=-30)


def measure_column(measure: str) -> str:
    return {"count": "count", "share_relevant": "share_relevant", "share_all": "share_all"}[measure]


def trends_title(measure: str, unit: str, grain: str) -> str:
    """The chart's title: what is shown, so counts and shares are never confused."""
    if measure == "count":
        return f"{unit.capitalize()} per theme per {grain}"
    base = "relevant" if measure == "share_relevant" else "all"
    return f"Share of {base} {unit} per theme per {grain} (theme {unit} / {base} {unit})"


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
    frame: pd.DataFrame, measure: str, unit: str, grain: str, labels: dict[str, str]
) -> alt.LayerChart | alt.FacetChart:
    column = measure_column(measure)
    data = frame.assign(theme=frame["theme_id"].map(lambda t: labels.get(t, t)))
    axis_format = "d" if measure == "count" else ".0%"
    title = trends_title(measure, unit, grain)
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
    lines = (
        alt.Chart(data, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X(PERIOD, title=GRAIN_LABELS[grain], axis=PERIOD_AXIS),
            y=alt.Y(
                f"{column}:Q", title=MEASURE_LABELS[measure], axis=alt.Axis(format=axis_format)
            ),
            color=alt.Color("theme:N", title="Theme"),
            tooltip=tooltip,
        )
    )
    moves = largest_moves(data, measure)
    if moves.empty:
        return alt.layer(lines)
    marks = alt.Chart(moves).encode(
        x=PERIOD, y=f"{column}:Q", tooltip=[alt.Tooltip("label:N", title="Largest move")]
    )
    ring = marks.mark_point(size=220, shape="circle", filled=False, strokeWidth=2, color="#d62728")
    text = marks.mark_text(dy=-14, fontWeight="bold", color="#d62728").encode(text="label:N")
    return alt.layer(lines, ring, text)


def volume_chart(frame: pd.DataFrame, unit: str, grain: str) -> alt.Chart:
    return (
        alt.Chart(frame, title=f"{unit.capitalize()} per {grain}")
        .mark_bar()
        .encode(
            x=alt.X(PERIOD, title=GRAIN_LABELS[grain], axis=PERIOD_AXIS),
            y=alt.Y("count:Q", title=f"{unit.capitalize()} (count)"),
            tooltip=[
                alt.Tooltip(PERIOD, title=GRAIN_LABELS[grain], format="%Y-%m-%d"),
                alt.Tooltip("count:Q", title=unit.capitalize()),
                alt.Tooltip("relevant_count:Q", title=f"Relevant {unit}"),
            ],
        )
    )


def sources_chart(frame: pd.DataFrame, unit: str) -> alt.Chart:
    return (
        alt.Chart(frame, title=f"Top sources ({unit}, count)")
        .mark_bar()
        .encode(
            x=alt.X("count:Q", title=f"{unit.capitalize()} (count)"),
            y=alt.Y("name:N", sort="-x", title="Source"),
            tooltip=[alt.Tooltip("name:N", title="Source"), alt.Tooltip("count:Q", title="Count")],
        )
    )


def cooccurrence_chart(frame: pd.DataFrame, unit: str) -> alt.Chart:
    return (
        alt.Chart(frame, title=f"Themes given together ({unit} with both themes, count)")
        .mark_rect()
        .encode(
            x=alt.X("theme_b:N", title="Theme"),
            y=alt.Y("theme_a:N", title="Theme"),
            color=alt.Color("count:Q", title="Count", scale=alt.Scale(scheme="blues")),
            tooltip=[
                alt.Tooltip("theme_a:N", title="Theme"),
                alt.Tooltip("theme_b:N", title="With"),
                alt.Tooltip("count:Q", title="Count"),
            ],
        )
    )


def spikes_chart(frame: pd.DataFrame) -> alt.Chart:
    # Themes within their normal range get a named category, not a blank legend entry.
    frame = frame.assign(direction=frame["direction"].replace("", "no spike"))
    return (
        alt.Chart(frame, title="Last 7 days against the 8-week baseline (z-score)")
        .mark_bar()
        .encode(
            x=alt.X("z:Q", title="z-score"),
            y=alt.Y("theme:N", sort="-x", title="Theme"),
            color=alt.Color(
                "direction:N",
                title="Spike",
                scale=alt.Scale(
                    domain=["rise", "fall", "no spike"], range=["#d62728", "#1f77b4", "#999999"]
                ),
            ),
            tooltip=[
                alt.Tooltip("theme:N", title="Theme"),
                alt.Tooltip("recent:Q", title="Last 7 days"),
                alt.Tooltip("baseline_mean:Q", title="Baseline mean / week"),
                alt.Tooltip("z:Q", title="z"),
                alt.Tooltip("ratio:Q", title="Ratio"),
            ],
        )
    )
