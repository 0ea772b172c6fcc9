"""jkwatch dashboard entrypoint: password gate, shared filters, navigation, then the page.

Run with ``jkwatch dashboard`` (or ``streamlit run dashboard/app.py -- --db URL``). The
shared filters live in the sidebar and in the URL (``st.query_params``), so a view can be
shared by copying the address. The dashboard only reads the database, except for analyst
corrections, which only a viewer signed in with the password and a name can make.
"""

from __future__ import annotations

import hmac
from datetime import date

import streamlit as st
from PIL import Image, ImageDraw

from jkwatch.dashboard import auth, data, view
from jkwatch.dashboard.filters import (
    GRAINS,
    UNITS,
    ZONES,
    ViewFilters,
    parse,
    restrict,
    to_params,
    valid_zone,
)
from jkwatch.db.overview import FilterOptions
from jkwatch.model import origin_label

SHARED_KEYS = (
    "from",
    "to",
    "themes",
    "lang",
    "feeds",
    "rel",
    "unit",
    "grain",
    "measure",
    "tz",
    "backfill",
)


def password_gate() -> None:
    """Stop here until the viewer gives the password from Streamlit secrets (if one is set).

    The name asked beside it is recorded on the corrections this viewer makes; leaving it
    empty signs in read-only.
    """
    expected = auth.secret_password()
    if expected is None or st.session_state.get(auth.AUTHENTICATED):
        return
    st.title("jkwatch")
    with st.form("login"):
        given = st.text_input("Password", type="password")
        name = st.text_input(
            "Your name (to correct labels; leave empty to only read)",
            max_chars=auth.NAME_LIMIT,
        )
        submitted = st.form_submit_button("Sign in")
    if submitted:
        if hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            st.session_state[auth.AUTHENTICATED] = True
            st.session_state[auth.ANALYST] = " ".join(name.split())
            st.rerun()
        st.error("Wrong password.")
    st.stop()


def _init_widgets(last_day: date | None, options: FilterOptions) -> None:
    """Seed the sidebar widgets from the URL once per session (then the widgets own them)."""
    if st.session_state.get("jk_filters_ready"):
        return
    parsed = parse(st.query_params.to_dict(), last_day)
    parsed = restrict(
        parsed,
        {t.id for t in options.themes},
        {f.id for f in options.feeds},
        set(options.languages),
    )
    st.session_state.update(
        {
            "f_range": (parsed.start, parsed.end),
            "f_themes": list(parsed.themes),
            "f_lang": list(parsed.languages),
            "f_feeds": list(parsed.feeds),
            "f_rel": parsed.min_relevance,
            "f_unit": parsed.unit,
            "f_grain": parsed.grain,
            "f_measure": parsed.measure,
            "f_tz": parsed.zone,
            "f_backfill": parsed.backfill,
            "jk_filters_ready": True,
        }
    )


def sidebar_filters(last_day: date | None, first_day: date | None) -> ViewFilters:
    options = data.options(data.database_url())
    _init_widgets(last_day, options)
    labels = {t.id: t.label for t in options.themes}
    feeds = {
        f.id: f.name if f.origin == "feed" else f"{f.name} ({origin_label(f.origin)})"
        for f in options.feeds
    }
    side = st.sidebar
    side.header("Filters")
    picked = side.date_input("Date range (UTC days)", key="f_range", format="YYYY-MM-DD")
    side.multiselect(
        "Themes",
        [t.id for t in options.themes],
        key="f_themes",
        format_func=lambda theme: labels.get(theme, theme),
        placeholder="All themes",
    )
    side.multiselect(
        "Languages",
        list(options.languages),
        key="f_lang",
        placeholder="All",
        format_func=view.language_name,
    )
    side.multiselect(
        "Sources",
        list(feeds),
        key="f_feeds",
        format_func=lambda feed: feeds.get(feed, str(feed)),
        placeholder="All sources",
    )
    side.select_slider(
        "Minimum relevance",
        options=list(range(11)),
        key="f_rel",
        format_func=lambda v: f"{v / 10:.1f}",
        help="Items below this relevance are left out everywhere (relevant means >= 0.5).",
    )
    side.radio(
        "Count",
        UNITS,
        key="f_unit",
        horizontal=True,
        format_func={"items": "Items", "stories": "Stories (duplicates folded)"}.get,
    )
    side.radio("Period", GRAINS, key="f_grain", horizontal=True)
    side.toggle(
        "Include backfilled history",
        key="f_backfill",
        help="Items collected by `jkwatch backfill` from news search (Google News, GDELT). "
        "They are a sample of past coverage: off counts only live feeds and imports.",
    )
    zones = list(dict.fromkeys([*ZONES, st.session_state["f_tz"]]))
    side.selectbox(
        "Time zone",
        zones,
        key="f_tz",
        help="Times of items are shown in this zone on every page. Days, periods and spike "
        "windows are UTC days (the counts are kept per UTC day).",
    )
    start, end = view.date_pair(picked, last_day)
    current = ViewFilters(
        start=start,
        end=end,
        themes=tuple(st.session_state["f_themes"]),
        languages=tuple(st.session_state["f_lang"]),
        feeds=tuple(int(f) for f in st.session_state["f_feeds"]),
        min_relevance=int(st.session_state["f_rel"]),
        unit=st.session_state["f_unit"],
        grain=st.session_state["f_grain"],
        measure=st.session_state.get("f_measure", "count"),
        zone=valid_zone(st.session_state.get("f_tz")),
        backfill=bool(st.session_state.get("f_backfill", True)),
    )
    _write_url(current, last_day)
    if first_day and last_day:
        side.caption(f"Data from {first_day} to {last_day}. Share this view by copying the URL.")
    return current


def _write_url(current: ViewFilters, last_day: date | None) -> None:
    wanted = to_params(current, last_day)
    for key in SHARED_KEYS:
        if key in wanted:
            if st.query_params.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]


@st.cache_resource(show_spinner=False)
def _favicon() -> Image.Image:
    """A small radar mark: two rings and a sweep, in the palette's blue."""
    icon = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    pen = ImageDraw.Draw(icon)
    pen.ellipse((2, 2, 61, 61), outline=(0, 114, 178, 255), width=5)
    pen.ellipse((18, 18, 45, 45), outline=(0, 114, 178, 255), width=4)
    pen.line((32, 32, 56, 14), fill=(213, 94, 0, 255), width=5)
    return icon


def main() -> None:
    # The favicon is drawn here and served by Streamlit itself: a ":material/...:" page icon (or
    # a page's icon, used when none is set) is fetched from fonts.gstatic.com, and the
    # dashboard must work on an air-gapped network.
    st.set_page_config(page_title="jkwatch", page_icon=_favicon(), layout="wide")
    password_gate()
    url = data.database_url()
    pages = [
        st.Page("app_pages/brief.py", title="Brief", icon=":material/summarize:", default=True),
        st.Page("app_pages/trends.py", title="Trends", icon=":material/show_chart:"),
        st.Page("app_pages/spikes.py", title="Spikes", icon=":material/bolt:"),
        st.Page("app_pages/compare.py", title="Japan vs Korea", icon=":material/compare_arrows:"),
        st.Page("app_pages/items.py", title="Items", icon=":material/search:"),
        st.Page("app_pages/theme_detail.py", title="Theme detail", icon=":material/label:"),
        st.Page("app_pages/sources.py", title="Sources & health", icon=":material/rss_feed:"),
        st.Page("app_pages/alerts.py", title="Alerts", icon=":material/notifications:"),
    ]
    page = st.navigation(pages)
    overview = data.overview(url)
    if overview is None:
        view.empty_state(unreadable=True)
        st.stop()
    if data.synthetic(url):
        st.warning(
            "Synthetic sample data: this database was generated by `jkwatch demo`; "
            "none of these items are real news.",
            icon=":material/science:",
        )
    if overview.items == 0 and page.title != "Sources & health":
        view.empty_state(has_feeds=overview.feeds > 0)
        st.stop()
    current = sidebar_filters(overview.last_day, overview.first_day)
    st.session_state["jk_view"] = current
    page.run()


main()
