"""Small UI helpers shared by the pages: current view, empty state, item tables, CSV export.

Untrusted feed text is only ever passed to ``st.dataframe`` cells, ``st.text``/``st.caption``
with plain text, or ``st.markdown`` after ``escape_markdown``; links go through
``safe_link`` (http(s) only). Nothing here uses ``unsafe_allow_html``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from jkwatch.dashboard import data
from jkwatch.dashboard.filters import ViewFilters, default_range
from jkwatch.dashboard.safe import csv_bytes, safe_link


def current() -> ViewFilters:
    return st.session_state.get("jk_view") or ViewFilters()


def db_filters(view: ViewFilters, with_themes: bool = True) -> Any:
    return data.db_filters(
        view.start,
        view.end,
        view.themes if with_themes else (),
        view.languages,
        view.feeds,
        view.min_relevance,
        view.unit,
    )


def date_pair(picked: Any, last_day: date | None) -> tuple[date, date]:
    """The (start, end) of a range date_input, which holds one date while the user picks."""
    default_start, default_end = default_range(last_day)
    if isinstance(picked, tuple | list):
        if len(picked) == 2:
            return picked[0], picked[1]
        if len(picked) == 1:
            return picked[0], picked[0]
    if isinstance(picked, date):
        return picked, picked
    return default_start, default_end


def empty_state(has_feeds: bool = False, unreadable: bool = False) -> None:
    st.title("No items yet")
    if unreadable:
        st.error(
            "The database cannot be read. Check the URL given with `--db` or "
            "`JKWATCH_DATABASE_URL`, and run `jkwatch db upgrade`."
        )
    st.info(
        "Nothing to show yet. To fill the dashboard:\n\n"
        "- run `jkwatch ingest` to fetch the configured feeds;\n"
        + (
            "- check feed errors on **Sources & health** (feeds exist but gave no items);\n"
            if has_feeds
            else "- add feeds with `jkwatch feeds add URL` or in `config/feeds.toml`;\n"
        )
        + "- or try `jkwatch demo` for an offline demo on synthetic sample data.",
        icon=":material/inbox:",
    )


def viewer_timezone() -> str:
    try:
        return st.context.timezone or "UTC"
    except Exception:  # noqa: BLE001 - older Streamlit or no browser context (tests)
        return "UTC"


def items_frame(items: Any, labels: dict[str, str]) -> pd.DataFrame:
    """Item hits as a table: text cells, a link only for http(s) URLs, times in viewer zone."""
    rows = [
        {
            "published": hit.published_at,
            "title": hit.title,
            "link": safe_link(hit.url),
            "source": hit.feed_name,
            "language": hit.language,
            "relevance": round(hit.relevance, 2),
            "themes": ", ".join(labels.get(t, t) for t in hit.themes),
            "corrected": bool(getattr(hit, "corrected", False)),
            "id": hit.id,
        }
        for hit in items
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "published",
            "title",
            "link",
            "source",
            "language",
            "relevance",
            "themes",
            "corrected",
            "id",
        ],
    )
    if not frame.empty:
        published = pd.to_datetime(frame["published"], utc=True)
        try:
            frame["published"] = published.dt.tz_convert(viewer_timezone())
        except Exception:  # noqa: BLE001 - an unknown zone name from the browser
            frame["published"] = published
    return frame


def show_items(frame: pd.DataFrame, key: str) -> None:
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key=key,
        column_config={
            "published": st.column_config.DatetimeColumn("Published", format="YYYY-MM-DD HH:mm"),
            "title": st.column_config.TextColumn("Title", width="large"),
            "link": st.column_config.LinkColumn("Link", display_text="open ↗"),
            "source": st.column_config.TextColumn("Source"),
            "language": st.column_config.TextColumn("Lang"),
            "relevance": st.column_config.NumberColumn("Relevance", format="%.2f"),
            "themes": st.column_config.TextColumn("Themes"),
            "corrected": st.column_config.CheckboxColumn(
                "Corrected", help="An analyst corrected this item's tags."
            ),
            "id": st.column_config.NumberColumn("Id", format="%d"),
        },
    )


def download(frame: pd.DataFrame, name: str, key: str) -> None:
    """A CSV download of exactly the table shown (formula-injection safe)."""
    st.download_button(
        f"Download {name}.csv",
        data=csv_bytes(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=key,
        icon=":material/download:",
    )


def period_end(start: date, grain: str) -> date:
    if grain == "day":
        return start
    if grain == "week":
        return start + timedelta(days=6)
    following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return following - timedelta(days=1)
