"""Items: full-text search over titles and summaries, filters, pagination; a selected row's
evidence, summary and story beside the table; a CSV of every match; for an analyst signed in
with the dashboard password and a name, the label form.

"Match entity names in every language" (on by default; ``exact=1`` in the URL when off): a
search naming a gazetteer entity (독도) lists the items naming it in any language (竹島, Dokdo),
and the caption says which names were added (``db.entity_search``).
"""

from __future__ import annotations

import streamlit as st

from jkwatch.dashboard import auth, data, view
from jkwatch.dashboard.label_form import label_form
from jkwatch.dashboard.safe import escape_markdown
from jkwatch.entities import EntitiesError

PAGE_SIZES = (25, 50, 100)

st.title("Items")
url = data.database_url()
current = view.current()
labels = {t.id: t.label for t in data.options(url).themes}

if "items_q" not in st.session_state:
    st.session_state["items_q"] = str(st.query_params.get("q", ""))[:200]
    given = str(st.query_params.get("page", "1"))
    st.session_state["items_page"] = int(given) if given.isdigit() and int(given) > 0 else 1
    st.session_state["items_entities"] = str(st.query_params.get("exact", "")) != "1"


def _first_page() -> None:
    st.session_state["items_page"] = 1


search_col, size_col = st.columns([4, 1])
query = search_col.text_input(
    "Search titles and summaries",
    key="items_q",
    max_chars=200,
    placeholder="e.g. missile, 北朝鮮, 미사일 (words are matched as text, all must occur)",
    on_change=_first_page,
)
page_size = size_col.selectbox("Per page", PAGE_SIZES, key="items_size", on_change=_first_page)
every_language = st.toggle(
    "Match entity names in every language",
    key="items_entities",
    on_change=_first_page,
    help="A search for a person, place, weapon or agreement of the gazetteer (e.g. 독도) also "
    "finds the items naming it in the other languages (竹島, Dokdo), matched as words.",
)
expansion = None
if every_language:
    try:
        expansion = data.entity_expansion(query)
    except EntitiesError as exc:
        st.warning(
            "Entity names are not expanded: the entities file has an error "
            f"({escape_markdown(str(exc))}). The words are searched as typed."
        )
filters = view.db_filters(current)
first = data.search(url, query, filters, 1, page_size, expansion)
pages = first.pages
if st.session_state["items_page"] > pages:
    st.session_state["items_page"] = pages
page_no = st.number_input("Page", min_value=1, max_value=pages, step=1, key="items_page")
result = (
    first if page_no == 1 else data.search(url, query, filters, int(page_no), page_size, expansion)
)

url_state = (
    ("q", query.strip()),
    ("page", str(page_no) if page_no > 1 else ""),
    ("exact", "" if every_language else "1"),
)
for key, value in url_state:
    if value:
        st.query_params[key] = value
    elif key in st.query_params:
        del st.query_params[key]

if expansion is not None:
    also = ", ".join(expansion.other_names())
    words = f", and the words “{expansion.rest}”" if expansion.rest else ""
    st.caption(
        escape_markdown(
            f"{expansion.label}: also {also}{words} (items naming it in any language)"
            if also
            else f"{expansion.label} (items naming it in any language){words}"
        )
    )
scope = f"matching “{query.strip()}”" if query.strip() else "newest first"
if result.total_exact:
    st.caption(f"{result.total:,} items {scope}; page {result.page} of {pages}.")
else:
    st.caption(
        f"More than {result.total:,} items {scope} (a common word: only the newest "
        f"{result.total:,} are listed); page {result.page} of {pages}. Add words or narrow "
        "the filters to see older ones."
    )
if not result.items:
    st.info("No items match. Try fewer words, another spelling, or wider filters in the sidebar.")
    st.stop()

view.items_with_detail(result.items, labels, key="items_table")
zone = view.viewer_timezone()
st.download_button(
    f"Download all {result.total:,}{'' if result.total_exact else '+'} matches as CSV",
    # Built only when asked for: every match of the search and filters, read in chunks.
    data=lambda: data.items_csv(url, query, filters, labels, zone, expansion),
    file_name="jkwatch-items.csv",
    mime="text/csv",
    key="items_csv",
    icon=":material/download:",
    help="Every item matching the search and the sidebar filters, not only this page; "
    "cells a spreadsheet would run as a formula are escaped.",
)
view.zone_note()

analyst = auth.signed_in_analyst()
if analyst:
    label_form(result.items, labels, analyst)
