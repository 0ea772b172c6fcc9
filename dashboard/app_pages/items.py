"""Items: full-text search over titles and summaries, filters, pagination, and the evidence;
for an analyst signed in with the dashboard password and a name, the label form."""

from __future__ import annotations

import streamlit as st

from jkwatch.dashboard import auth, data, view
from jkwatch.dashboard.label_form import label_form
from jkwatch.dashboard.safe import escape_markdown, safe_link

PAGE_SIZES = (25, 50, 100)
ANALYST_FIELD = "analyst"
"""The evidence ``field`` of an analyst's correction (``jkwatch.corrections``)."""

st.title("Items")
url = data.database_url()
current = view.current()
labels = {t.id: t.label for t in data.options(url).themes}

if "items_q" not in st.session_state:
    st.session_state["items_q"] = str(st.query_params.get("q", ""))[:200]
    given = str(st.query_params.get("page", "1"))
    st.session_state["items_page"] = int(given) if given.isdigit() and int(given) > 0 else 1


def _evidence_text(e: dict) -> str:
    if e.get("field") == ANALYST_FIELD:
        return str(e.get("term", "?"))  # "corrected by NAME"
    count = f" ×{e['count']}" if e.get("count") else ""
    return f"{e.get('term', '?')} in {e.get('field', '?')}{count}"


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
filters = view.db_filters(current)
first = data.search(url, query, filters, 1, page_size)
pages = first.pages
if st.session_state["items_page"] > pages:
    st.session_state["items_page"] = pages
page_no = st.number_input("Page", min_value=1, max_value=pages, step=1, key="items_page")
result = first if page_no == 1 else data.search(url, query, filters, int(page_no), page_size)

for key, value in (("q", query.strip()), ("page", str(page_no) if page_no > 1 else "")):
    if value:
        st.query_params[key] = value
    elif key in st.query_params:
        del st.query_params[key]

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

table = view.items_frame(result.items, labels)
view.show_items(table, key="items_table")
view.download(table, f"jkwatch-items-page-{result.page}", key="items_csv")

st.subheader("Why each item got its themes")
evidence = data.evidence(url, tuple(hit.id for hit in result.items))
for hit in result.items:
    with st.container(border=True):
        head, button = st.columns([5, 1])
        head.markdown("**" + escape_markdown(hit.title or "(no title)") + "**")
        link = safe_link(hit.url)
        if link:
            button.link_button("Source ↗", link)
        head.caption(
            escape_markdown(
                f"{hit.feed_name} · {hit.published_at:%Y-%m-%d %H:%M} UTC · {hit.language} · "
                f"relevance {hit.relevance:.2f}"
            )
        )
        rows = evidence.get(hit.id, [])
        if not rows:
            st.text("No theme.")
        if hit.corrected:
            st.caption("Tags corrected by an analyst (see the evidence below).")
        for row in rows:
            terms = "; ".join(_evidence_text(e) for e in row.evidence)
            st.text(f"[{row.label}] score {row.score:.2f}: {terms or 'no evidence recorded'}")

analyst = auth.signed_in_analyst()
if analyst:
    label_form(result.items, labels, analyst)
