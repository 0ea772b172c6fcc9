"""Theme detail: description, volume over time, its latest items, top sources, the themes given
together with it (its partners), matched terms."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from jkwatch.dashboard import charts, data, guide, view

st.title("Theme detail")
url = data.database_url()
current = view.current()
themes = data.options(url).themes
labels = {t.id: t.label for t in themes}
if not themes:
    st.info("No themes are stored yet: run `jkwatch ingest` (it loads config/themes.toml).")
    st.stop()

ids = [t.id for t in themes]
if "detail_theme" not in st.session_state:
    wanted = st.query_params.get("theme") or (current.themes[0] if current.themes else ids[0])
    st.session_state["detail_theme"] = wanted if wanted in ids else ids[0]
picked = st.selectbox(
    "Theme", ids, key="detail_theme", format_func=lambda theme: labels.get(theme, theme)
)
theme_id: str = picked if picked is not None else ids[0]
st.query_params["theme"] = theme_id

detail = data.theme_detail(
    url, theme_id, view.db_filters(current, with_themes=False), current.grain
)
if detail.theme is not None:
    st.text(detail.theme.description or "No description.")
section = guide.theme_section(theme_id)
if section:
    with st.expander("Labelling guide: what this theme covers and does not"):
        st.markdown(section)
        st.caption(
            "From the labelling guide (docs/themes.md). Tag every theme an item is about, not one "
            "that is only backdrop; correct a tag with `jkwatch label`."
        )
unit = current.unit

volume = pd.DataFrame(
    [
        {"period": v.period, "count": v.count, "relevant_count": v.relevant_count}
        for v in detail.volume
    ],
    columns=["period", "count", "relevant_count"],
)
st.metric(f"{labels.get(theme_id, theme_id)}: {unit} in range", f"{int(volume['count'].sum()):,}")
if volume.empty:
    st.info("No items of this theme under the current filters.")
    st.stop()
volume["period"] = pd.to_datetime(volume["period"])
periods = [p.date() for p in volume["period"]]
seam = view.backfill_seam(current)
st.altair_chart(
    charts.volume_chart(
        volume,
        unit,
        current.grain,
        theme_id,
        events=view.events_in(labels, [theme_id], current.start, current.end),
        partial=charts.partial_periods(periods, current.grain, current.start, current.end),
        seam=seam,
    ),
    width="stretch",
)

st.subheader("Latest items")
if current.start and current.end:
    latest = data.behind(
        url,
        theme_id,
        current.start,
        current.end,
        view.db_filters(current, with_themes=False),
        page_size=20,
    )
    st.caption(
        f"The newest {len(latest.items)} of {latest.total:,} {labels.get(theme_id, theme_id)} items in range."
    )
    view.items_with_detail(latest.items, labels, key="detail_items")

left, right = st.columns(2)
sources = pd.DataFrame(
    [{"name": s.name, "count": s.count} for s in detail.sources], columns=["name", "count"]
)
with left:
    st.altair_chart(charts.sources_chart(sources, unit, theme_id), width="stretch")
    view.download(sources, f"jkwatch-{theme_id}-sources", key="detail_sources_csv")
terms = pd.DataFrame(
    [{"term": t.term, "field": t.field, "items": t.items} for t in detail.terms],
    columns=["term", "field", "items"],
)
with right:
    st.markdown("**Terms that matched most**")
    st.dataframe(
        terms,
        hide_index=True,
        width="stretch",
        key="detail_terms",
        column_config={
            "term": st.column_config.TextColumn("Term"),
            "field": st.column_config.TextColumn("Found in"),
            "items": st.column_config.NumberColumn("Items"),
        },
    )
    st.caption(
        f"Counted over the newest {detail.terms_scanned:,} tagged items of this theme in range "
        f"(at most {data.TERMS_SCAN_LIMIT:,} are read, to stay fast on large databases)."
    )
    view.download(terms, f"jkwatch-{theme_id}-terms", key="detail_terms_csv")

own = next((c.count for c in detail.cooccurrence if c.theme_a == c.theme_b == theme_id), 0)
partners = pd.DataFrame(
    [
        {
            "theme_id": other,
            "partner": labels.get(other, other),
            "count": c.count,
            "share": c.count / own if own else 0.0,
        }
        for c in detail.cooccurrence
        if c.theme_a == theme_id and c.theme_b != theme_id  # the cells come in both orders
        for other in [c.theme_b]
    ],
    columns=["theme_id", "partner", "count", "share"],
).sort_values("count", ascending=False, ignore_index=True)
theme_label = labels.get(theme_id, theme_id)
if partners.empty:
    st.info(f"No other theme was given together with {theme_label} in this range.")
else:
    st.altair_chart(charts.partners_chart(partners, unit, theme_label), width="stretch")
    sampled = (
        f" Counted over the newest {detail.cooccurrence_scanned:,} items in range (at most "
        f"{data.COOCCURRENCE_SCAN_LIMIT:,} are read, to stay fast on large databases)."
        if detail.cooccurrence_scanned >= data.COOCCURRENCE_SCAN_LIMIT
        else ""
    )
    st.caption(
        f"Each bar counts the {unit} that carry both {theme_label} and the partner theme; "
        f"the share is of the {own:,} {theme_label} {unit} counted." + sampled
    )
    table = partners.assign(share=(partners["share"] * 100).round(1))[["partner", "count", "share"]]
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="detail_partners",
        column_config={
            "partner": st.column_config.TextColumn("Partner theme"),
            "count": st.column_config.NumberColumn(f"{unit.capitalize()} with both"),
            "share": st.column_config.NumberColumn(f"Share of {theme_label}", format="%.1f%%"),
        },
    )
    view.download(
        table.rename(columns={"share": "share (%)"}),
        f"jkwatch-{theme_id}-partners",
        key="detail_pairs_csv",
    )
view.zone_note()
