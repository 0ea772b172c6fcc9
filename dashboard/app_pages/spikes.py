"""Spikes: every spike detected inside the selected range (not only its last 7 days), on a
timeline, each with the items that make it. Spike windows and their items use the same UTC
days."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from jkwatch.dashboard import charts, data, view

st.title("Spikes")
url = data.database_url()
current = view.current()
labels = {t.id: t.label for t in data.options(url).themes}
with st.expander("How spikes are found", icon=":material/functions:"):
    st.markdown(data.SPIKE_METHOD)
    st.markdown(data.SPIKES_IN_RANGE_METHOD)

if current.start is None or current.end is None:
    st.info("Pick a date range in the sidebar.")
    st.stop()
filters = view.db_filters(current)
seam = view.backfill_seam(current)
episodes = data.spike_episodes(url, filters, current.start, current.end)
rises = sum(e.direction == "rise" for e in episodes)
a, b, c = st.columns(3)
a.metric(f"Spikes from {current.start} to {current.end}", len(episodes))
b.metric("Rises", rises)
c.metric("Falls", len(episodes) - rises)
if not episodes:
    st.success(
        "No theme departs from its baseline in this range under the stated method. Widen the "
        "date range or the filters to look further."
    )
    view.zone_note()
    st.stop()

rows = charts.spikes_frame(episodes, labels)
events = view.events_in(labels, list(rows["theme_id"].unique()), current.start, current.end)
st.altair_chart(
    charts.spike_timeline(rows, labels, current.start, current.end, events=events, seam=seam),
    width="stretch",
)
table = pd.DataFrame(
    {
        "Theme": rows["theme"],
        "Direction": rows["direction"],
        "First day": [e.start for e in episodes],
        "Last day": [e.end for e in episodes],
        "Items": rows["count"],
        "Expected items": rows["baseline"].round(1),
        "Change (%)": [
            round(100 * (e.count - e.baseline) / e.baseline, 1) if e.baseline else None
            for e in episodes
        ],
        "z-score": rows["z"].round(2),
    }
)
strongest = max(range(len(episodes)), key=lambda n: (abs(episodes[n].z), -n))
picked = st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    key="spikes_table",
    on_select="rerun",
    selection_mode="single-row",
    column_config={
        "Change (%)": st.column_config.NumberColumn(
            "Change", format="%+.1f%%", help="Items against the expected count."
        ),
        "Expected items": st.column_config.NumberColumn(
            help="The count expected for these days from the 8 weeks before the spike."
        ),
    },
)
view.download(table, "jkwatch-spikes", key="spikes_csv")

rows_picked = list(picked.selection.rows) if picked and picked.selection else []
n = rows_picked[0] if rows_picked and rows_picked[0] < len(episodes) else strongest
episode = episodes[n]
theme = labels.get(episode.theme_id, episode.theme_id)
arrow = "up" if episode.direction == "rise" else "down"
st.subheader(f"The items behind: {theme} ({arrow}), {episode.start} to {episode.end}")
scoped = replace(current, start=episode.start, end=episode.end)
page = data.behind(url, episode.theme_id, episode.start, episode.end, view.db_filters(scoped))
st.caption(
    f"{episode.count} items against {episode.baseline:.1f} expected (z {episode.z:+.1f}). "
    f"Newest {len(page.items)} of the {page.total} items of {theme} from {episode.start} to "
    f"{episode.end} (UTC days), the items that make this spike. "
    + ("" if rows_picked else "The strongest spike is shown; select a row above for another.")
)
view.items_with_detail(page.items, labels, key="spike_items")
view.zone_note()
