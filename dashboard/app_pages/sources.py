"""Sources & health: every feed's last attempt, result, error streak, output and relevant share.

The values are ``jkwatch.db.feed_health.FeedHealth``, the same that ``jkwatch status`` and
``jkwatch feeds list`` print (the column names are their JSON keys); times are shown in the
viewer's zone. Below, read-only, the backfill's progress per source
(``jkwatch.db.backfill_progress``): backfilled outlets are not feeds to monitor. Error text
comes from remote services and is shown as plain table cells only.
"""

from __future__ import annotations

import contextlib

import pandas as pd
import streamlit as st

from jkwatch.dashboard import data, view
from jkwatch.model import origin_label

st.title("Sources & health")
url = data.database_url()
frame = data.health(url)
if frame.empty:
    st.info(
        "No feeds configured. Add some with `jkwatch feeds add URL` or `config/feeds.toml`, then "
        "run `jkwatch ingest`; or try `jkwatch demo`."
    )


def _health(frame: pd.DataFrame, zone: str) -> None:
    """The feed-health table: the same values as `jkwatch status`."""
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


zone = view.viewer_timezone()
if not frame.empty:
    _health(frame, zone)

st.header("Backfill")
progress = data.backfill_progress(url)
stored = data.backfill_stored(url)
if not progress and not stored:
    st.caption(
        "No backfilled history. `jkwatch backfill --since DATE` collects past coverage from "
        "news search (see docs/backfill.md)."
    )
    st.stop()
st.caption(
    "Past coverage collected by `jkwatch backfill` from news search, by query and window of "
    "days (UTC, both included). Backfilled outlets are not feeds: they are never fetched and "
    "are not listed above. A failed window is fetched again by the next run."
)
summary = pd.DataFrame(
    [
        {
            "source": origin_label(f"backfill:{p.source}"),
            "done": p.done,
            "split": p.split,
            "failed": p.failed,
            "items_stored": p.items_stored,
            "outlets": stored.get(f"backfill:{p.source}", (0, 0))[0],
            "items_held": stored.get(f"backfill:{p.source}", (0, 0))[1],
            "first_day": p.first_day,
            "last_day": p.last_day,
            "last_update": view.zoned(p.last_update) if p.last_update else None,
        }
        for p in progress
    ],
    columns=[
        "source",
        "done",
        "split",
        "failed",
        "items_stored",
        "outlets",
        "items_held",
        "first_day",
        "last_day",
        "last_update",
    ],
)
st.dataframe(
    summary,
    hide_index=True,
    width="stretch",
    key="backfill_table",
    column_config={
        "source": st.column_config.TextColumn("Source"),
        "done": st.column_config.NumberColumn("Windows done"),
        "split": st.column_config.NumberColumn(
            "Split", help="Came back full (at the service's cap) and were split in halves."
        ),
        "failed": st.column_config.NumberColumn("Failed"),
        "items_stored": st.column_config.NumberColumn(
            "Items stored", help="New items the windows done stored (duplicates not counted)."
        ),
        "outlets": st.column_config.NumberColumn("Outlets"),
        "items_held": st.column_config.NumberColumn(
            "Items held now", help="Items in the database from this source's outlets."
        ),
        "first_day": st.column_config.DateColumn("Covered from"),
        "last_day": st.column_config.DateColumn("Covered to"),
        "last_update": st.column_config.DatetimeColumn(
            f"Last update ({zone})", format="YYYY-MM-DD HH:mm"
        ),
    },
)
failures = [f for p in progress for f in p.failures]
if failures:
    st.subheader("Failed windows")
    failed = pd.DataFrame(
        [
            {
                "source": origin_label(f"backfill:{f.source}"),
                "days": f"{f.first_day} to {f.last_day}",
                "language": view.language_name(f.language),
                "attempts": f.attempts,
                "error": f.last_error,
                "query": f.query,
            }
            for f in failures
        ]
    )
    st.dataframe(
        failed,
        hide_index=True,
        width="stretch",
        key="backfill_failures",
        column_config={
            "source": st.column_config.TextColumn("Source"),
            "days": st.column_config.TextColumn("Days (UTC)"),
            "language": st.column_config.TextColumn("Language"),
            "attempts": st.column_config.NumberColumn("Attempts"),
            "error": st.column_config.TextColumn("Last error", width="large"),
            "query": st.column_config.TextColumn("Query"),
        },
    )
    shown = sum(p.failed for p in progress)
    if shown > len(failures):
        st.caption(f"The oldest {len(failures)} of {shown} failed windows.")
