"""Trends: volume per theme over time, as counts or exact shares, with detected spikes and the
analyst's event annotations marked; a click on a point lists the items behind it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from jkwatch.dashboard import charts, data, view
from jkwatch.dashboard.filters import MEASURES

DEFAULT_TOP_THEMES = 6

st.title("Theme trends")
url = data.database_url()
current = view.current()
labels = {t.id: t.label for t in data.options(url).themes}
frame = data.series(url, view.db_filters(current), current.grain)
if frame.empty:
    st.info(
        "No items match these filters. Widen the date range, lower the minimum relevance or "
        "clear the theme, language and source filters in the sidebar."
    )
    st.stop()

if not current.themes:
    ranked = frame.groupby("theme_id")["count"].sum().sort_values(ascending=False)
    top = [t for t in ranked.index[:DEFAULT_TOP_THEMES] if ranked[t] > 0]
    frame = frame[frame["theme_id"].isin(top)]
    st.caption(
        f"Showing the {len(top)} busiest themes in this range; pick themes in the sidebar to "
        "compare others."
    )

unit = current.unit
totals = frame.drop_duplicates("period")[["period", "total", "relevant_total"]]
left, middle, right = st.columns(3)
left.metric(f"All {unit} in range", f"{int(totals['total'].sum()):,}")
middle.metric(f"Relevant {unit} in range", f"{int(totals['relevant_total'].sum()):,}")
right.metric("Periods", f"{len(totals):,}")

seam = view.backfill_seam(current, st.session_state.get("f_measure", current.measure))
measure = st.radio(
    "Show",
    MEASURES,
    key="f_measure",
    horizontal=True,
    format_func=charts.MEASURE_LABELS.get,
    help="Shares divide by the exact number of relevant (or all) items in the same period, "
    "under the same filters, so a busy news week does not look like a trend.",
)
shown = list(dict.fromkeys(frame["theme_id"]))
periods = sorted(frame["period"].dt.date.unique())
spikes = (
    data.spike_episodes(url, view.db_filters(current), current.start, current.end)
    if current.start and current.end
    else []
)
spike_rows = charts.spikes_frame([s for s in spikes if s.theme_id in shown], labels)
chart = charts.trends_chart(
    frame,
    measure,
    unit,
    current.grain,
    labels,
    events=view.events_in(labels, shown, current.start, current.end),
    partial=charts.partial_periods(periods, current.grain, current.start, current.end),
    spikes=spike_rows,
    seam=seam,
)
event = st.altair_chart(chart, width="stretch", on_select="rerun", key="trends_chart")
notes = ["Click a point to list the items behind it."]
if not spike_rows.empty:
    notes.append(
        "Shaded windows with a ▼ are detected spikes: "
        + "; ".join(f"{r.theme} {r.window} ({r.direction})" for r in spike_rows.itertuples())
        + "."
    )
moves = charts.largest_moves(frame, measure)
if not moves.empty:
    notes.append(
        "Largest moves (circled): "
        + "; ".join(
            f"{labels.get(r.theme_id, r.theme_id)} {r.period:%Y-%m-%d} {r.label}"
            for r in moves.itertuples()
        )
        + "."
    )
st.caption(" ".join(notes))


def _picked(selection: Any) -> tuple[str, date] | None:
    """The (theme, period) of the clicked point, if any."""
    points = (getattr(selection, "selection", None) or {}).get(charts.SELECTION) or []
    if isinstance(points, dict):
        points = [points]
    for point in points:
        if not isinstance(point, dict):
            continue
        theme_id, key = point.get("theme_id"), point.get("period_key")
        try:
            day = date.fromisoformat(str(key))
        except ValueError:
            continue
        if theme_id in shown and day in periods:
            return str(theme_id), day
    return None


picked = _picked(event)
if picked and st.session_state.get("drill_last_pick") != picked:
    # A new click moves the pickers below; afterwards they can still be changed by hand.
    st.session_state["drill_last_pick"] = picked
    st.session_state["drill_theme"], st.session_state["drill_period"] = picked

st.subheader("The numbers")
column = charts.measure_column(measure)
share = measure != "count"
table = frame.assign(theme=frame["theme_id"].map(lambda t: labels.get(t, t))).pivot_table(
    index="period", columns="theme", values=column, aggfunc="sum", fill_value=0
)
theme_columns = list(table.columns)
if share:
    table = table * 100  # shares as percentages, in the table as on the chart
table = table.join(
    totals.set_index("period").rename(
        columns={"total": f"all {unit}", "relevant_total": f"relevant {unit}"}
    )
)
table = table.sort_index(ascending=False).reset_index()
table["period"] = table["period"].dt.date
partial = charts.partial_periods(periods, current.grain, current.start, current.end)
cut = {p.date() for p in pd.to_datetime(partial["period"])}
table.insert(1, "partial", table["period"].map(lambda p: p in cut))
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    key="trends_table",
    column_config={
        "period": st.column_config.DateColumn(charts.GRAIN_LABELS[current.grain] + " starting"),
        "partial": st.column_config.CheckboxColumn(
            "Partial", help="The range covers only part of this period."
        ),
        **{
            name: st.column_config.NumberColumn(name, format="%.1f%%" if share else "%d")
            for name in theme_columns
        },
    },
)
csv_table = table.rename(columns={name: f"{name} (%)" for name in theme_columns} if share else {})
view.download(csv_table, f"jkwatch-trends-{current.grain}-{measure}", key="trends_csv")

st.subheader("Items behind a number")
themes_shown = sorted(shown, key=lambda t: labels.get(t, t))
newest_first = sorted(periods, reverse=True)
if st.session_state.get("drill_theme") not in themes_shown:
    st.session_state.pop("drill_theme", None)
if st.session_state.get("drill_period") not in newest_first:
    st.session_state.pop("drill_period", None)
pick_theme, pick_period = st.columns(2)
theme_id = pick_theme.selectbox(
    "Theme", themes_shown, format_func=lambda t: labels.get(t, t), key="drill_theme"
)
period = pick_period.selectbox("Period starting", newest_first, key="drill_period")
if theme_id and period:
    number = int(
        frame[(frame["theme_id"] == theme_id) & (frame["period"].dt.date == period)]["count"].sum()
    )
    page = data.behind(
        url, theme_id, period, view.period_end(period, current.grain), view.db_filters(current)
    )
    st.caption(
        f"{labels.get(theme_id, theme_id)}, {current.grain} of {period}: {number} {unit}; "
        f"showing the newest {len(page.items)} of {page.total}."
    )
    view.items_with_detail(page.items, labels, key="drill_items")
view.zone_note()
