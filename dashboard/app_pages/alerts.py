"""Alerts (read-only): the delivery log of alert rules and scheduled briefs, and when each
brief goes out next.

The rows are ``jkwatch.db.deliveries.DeliveryRow`` values; subjects come from feed text and are
shown as table cells, never as markup. Times are shown in the viewer's zone.
"""

from __future__ import annotations

import contextlib

import pandas as pd
import streamlit as st

from jkwatch.clock import utcnow
from jkwatch.dashboard import data, view

st.title("Alerts")
url = data.database_url()
zone = view.viewer_timezone()

st.subheader("Scheduled briefs")
schedule, problem = data.brief_schedule(url, utcnow().replace(second=0, microsecond=0))
if problem:
    st.warning(f"alerts.toml cannot be read: {problem}", icon=":material/error:")
elif schedule.empty:
    st.info("No scheduled briefs: add `[[briefs]]` to alerts.toml (see docs/alerts.md).")
else:
    shown = schedule.copy()
    for column in ("next_at", "last_sent_at"):
        with contextlib.suppress(AttributeError, TypeError, ValueError):
            shown[column] = pd.to_datetime(shown[column], utc=True).dt.tz_convert(zone)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key="brief_schedule",
        column_config={
            "name": st.column_config.TextColumn("Brief"),
            "schedule": st.column_config.TextColumn("Schedule"),
            "enabled": st.column_config.CheckboxColumn("Enabled"),
            "days": st.column_config.NumberColumn("Days covered"),
            "channels": st.column_config.TextColumn("Channels"),
            "next_at": st.column_config.DatetimeColumn("Next", format="YYYY-MM-DD HH:mm"),
            "last_sent_at": st.column_config.DatetimeColumn("Last sent", format="YYYY-MM-DD HH:mm"),
        },
    )

st.subheader("Alert log")
try:
    log = data.alert_log(url)
except data.Unavailable:
    st.info("The alert log cannot be read: run `jkwatch db upgrade` on this database.")
    st.stop()
if log.empty:
    st.info(
        "No alerts yet. Try a rule with `jkwatch alerts test RULE` or "
        "`jkwatch alerts run --dry-run`, then enable it in alerts.toml."
    )
    st.stop()

a, b, c, d = st.columns(4)
a.metric("Deliveries", len(log))
b.metric("Sent", int((log["status"] == "sent").sum()))
c.metric("Waiting (retry or held)", int(log["status"].isin(["pending", "held"]).sum()))
d.metric("Failed", int((log["status"] == "failed").sum()))
table = log.copy()
for column in ("created_at", "next_attempt_at", "sent_at"):
    with contextlib.suppress(AttributeError, TypeError, ValueError):
        table[column] = pd.to_datetime(table[column], utc=True).dt.tz_convert(zone)
columns = [
    "created_at",
    "rule",
    "kind",
    "event_key",
    "channel",
    "status",
    "attempts",
    "last_error",
    "next_attempt_at",
    "sent_at",
    "subject",
]
st.dataframe(
    table[columns],
    hide_index=True,
    width="stretch",
    key="alert_log",
    column_config={
        "created_at": st.column_config.DatetimeColumn("Time", format="YYYY-MM-DD HH:mm"),
        "rule": st.column_config.TextColumn("Rule"),
        "kind": st.column_config.TextColumn("Kind"),
        "event_key": st.column_config.TextColumn("Event"),
        "channel": st.column_config.TextColumn("Channel"),
        "status": st.column_config.TextColumn("Status"),
        "attempts": st.column_config.NumberColumn("Attempts"),
        "last_error": st.column_config.TextColumn("Error", width="large"),
        "next_attempt_at": st.column_config.DatetimeColumn("Next try", format="YYYY-MM-DD HH:mm"),
        "sent_at": st.column_config.DatetimeColumn("Sent", format="YYYY-MM-DD HH:mm"),
        "subject": st.column_config.TextColumn("Subject"),
    },
)
st.caption(f"Times shown in {zone}. Newest 500 deliveries; see docs/alerts.md for the statuses.")
