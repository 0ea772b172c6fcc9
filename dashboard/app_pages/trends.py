"""Trends: volume per theme over time, as counts or exact shares, with the items behind a number."""

from __future__ import annotations

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

measure = st.radio(
    "Show",
    MEASURES,
    key="f_measure",
    horizontal=True,
    format_func=charts.MEASURE_LABELS.get,
    help="Shares divide by the exact number of relevant (or all) items in the same period, "
    "under the same filters, so a busy news week does not look like a trend.",
)
st.altair_chart(charts.trends_chart(frame, measure, unit, current.grain, labels), width="stretch")
moves = charts.largest_moves(frame, measure)
if not moves.empty:
    st.caption(
        "Largest moves (circled): "
        + "; ".join(
            f"{labels.get(r.theme_id, r.theme_id)} {r.period:%Y-%m-%d} {r.label}"
            for r in moves.itertuples()
        )
    )

st.subheader("The numbers")
column = charts.measure_column(measure)
table = frame.assign(theme=frame["theme_id"].map(lambda t: labels.get(t, t))).pivot_table(
    index="period", columns="theme", values=column, aggfunc="sum", fill_value=0
)
table = table.join(
    totals.set_index("period").rename(
        columns={
            "total": f"all {unit}",
            "relevant_total": f"relevant {unit}",
        }
    )
)
table = table.sort_index(ascending=False).reset_index()
table["period"] = table["period"].dt.date
st.dataframe(table, hide_index=True, width="stretch", key="trends_table")
view.download(table, f"jkwatch-trends-{current.grain}-{measure}", key="trends_csv")

st.subheader("Items behind a number")
themes_shown = sorted(frame["theme_id"].unique(), key=lambda t: labels.get(t, t))
periods = sorted(frame["period"].dt.date.unique(), reverse=True)
pick_theme, pick_period = st.columns(2)
theme_id = pick_theme.selectbox(
    "Theme", themes_shown, format_func=lambda t: labels.get(t, t), key="drill_theme"
)
period = pick_period.selectbox("Period starting", periods, key="drill_period")
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
    view.show_items(view.items_frame(page.items, labels), key="drill_items")
