"""Spikes: themes whose last 7 days depart from their own 8-week baseline, with their items."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from jkwatch.dashboard import charts, data, view

st.title("Spikes")
url = data.database_url()
current = view.current()
labels = {t.id: t.label for t in data.options(url).themes}
st.info(data.SPIKE_METHOD, icon=":material/functions:")

frame = data.spikes(url, view.db_filters(current))
if frame.empty:
    st.info("No themed items in the 9 weeks before the end of the selected range.")
    st.stop()
frame = frame.assign(theme=frame["theme_id"].map(lambda t: labels.get(t, t)))
found = frame[frame["direction"] != ""]
first, last = frame["recent_start"].iloc[0], frame["recent_end"].iloc[0]
st.metric(f"Spikes in the 7 days {first} to {last}", len(found))
st.altair_chart(charts.spikes_chart(frame), width="stretch")

columns = ["theme", "direction", "recent", "baseline_mean", "baseline_std", "z", "ratio", "weekly"]
st.dataframe(frame[columns], hide_index=True, width="stretch", key="spikes_table")
view.download(frame[columns], "jkwatch-spikes", key="spikes_csv")

if found.empty:
    st.success("No theme departs from its baseline under the stated method.")
for spike in found.itertuples():
    arrow = "up" if spike.direction == "rise" else "down"
    with st.expander(
        f"{spike.theme} ({arrow}): {spike.recent} in the last 7 days against "
        f"{spike.baseline_mean:g}/week (z {spike.z:+.1f}, ratio {spike.ratio:.2f})",
        expanded=spike.Index == found.index[0],
    ):
        scoped = replace(current, start=spike.recent_start, end=spike.recent_end)
        page = data.behind(
            url, spike.theme_id, spike.recent_start, spike.recent_end, view.db_filters(scoped)
        )
        st.caption(f"Newest {len(page.items)} of the {page.total} items that make this spike.")
        view.show_items(view.items_frame(page.items, labels), key=f"spike_items_{spike.theme_id}")
