"""Sources & health: every feed's last attempt, result, error streak, output and relevant share.

The values are ``jkwatch.db.feed_health.FeedHealth``, the same that ``jkwatch status`` and
``jkwatch feeds list`` print (the column names are their JSON keys); times are shown in the
viewer's zone.
"""

from __future__ import annotations

import contextlib

import streamlit as st

from jkwatch.dashboard import data, view

st.title("Sources & health")
url = data.database_url()
frame = data.health(url)
if frame.empty:
    st.info(
        "No feeds configured. Add some with `jkwatch feeds add URL` or `config/feeds.toml`, then "
        "run `jkwatch ingest`; or try `jkwatch demo`."
    )
    st.stop()

failing = frame[frame["error_streak"] > 0]
a, b, c = st.columns(3)
a.metric("Feeds", len(frame))
b.metric("Failing feeds", len(failing))
c.metric("Items per day (last 30 days)", f"{frame['items_per_day'].sum():.1f}")
if not failing.empty:
    st.warning(
        f"{len(failing)} feed(s) failed on their last fetch; see the error column below.",
        icon=":material/error:",
    )

zone = view.viewer_timezone()
table = frame.assign(
    relevant_share=frame["relevant_share"] * 100,
)
for column in ("last_attempt_at", "last_success_at", "next_due_at"):
    with contextlib.suppress(AttributeError, TypeError, ValueError):
        table[column] = table[column].dt.tz_convert(zone)
columns = [
    "name",
    "country",
    "last_result",
    "error_streak",
    "last_error",
    "last_attempt_at",
    "last_success_at",
    "next_due_at",
    "items_per_day",
    "relevant_share",
    "items",
    "last_http_status",
    "enabled",
    "kind",
    "url",
]
st.dataframe(
    table[columns],
    hide_index=True,
    width="stretch",
    key="health_table",
    column_config={
        "name": st.column_config.TextColumn("Source"),
        "country": st.column_config.TextColumn("Country", help="Country of publication"),
        "last_result": st.column_config.TextColumn("Status"),
        "error_streak": st.column_config.NumberColumn("Error streak"),
        "last_error": st.column_config.TextColumn("Last error", width="large"),
        "last_attempt_at": st.column_config.DatetimeColumn(
            "Last attempt", format="YYYY-MM-DD HH:mm"
        ),
        "last_success_at": st.column_config.DatetimeColumn(
            "Last success", format="YYYY-MM-DD HH:mm"
        ),
        "next_due_at": st.column_config.DatetimeColumn("Next due", format="YYYY-MM-DD HH:mm"),
        "items_per_day": st.column_config.NumberColumn("Items/day (30 d)", format="%.2f"),
        "relevant_share": st.column_config.NumberColumn("Relevant %", format="%.1f%%"),
        "items": st.column_config.NumberColumn("Items"),
        "last_http_status": st.column_config.NumberColumn("HTTP"),
        "enabled": st.column_config.CheckboxColumn("Enabled"),
        "kind": st.column_config.TextColumn("Kind"),
        "url": st.column_config.TextColumn("Feed URL"),
    },
)
view.download(table[columns], "jkwatch-feed-health", key="health_csv")
st.caption(f"Times shown in {zone}. Items/day counts items by publication day over 30 days.")
