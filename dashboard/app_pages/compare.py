"""Japan vs Korea: for the sidebar's range, each theme's share of Japanese-press and of
Korean-press relevant coverage side by side with the gap, the gap over time, the stories one
side covered and the other barely did, and the entities each side names most. The same figures
as ``jkwatch compare``; every number lists its items when its row is selected. A side is the
outlet's country of publication (``feeds.country``). UI only: data come from
``dashboard.data``; feed text goes to table cells or escaped Markdown, never HTML."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from jkwatch.dashboard import compare_charts, data, view
from jkwatch.dashboard.safe import escape_markdown
from jkwatch.db.compare import ONE_SIDED_MAX_SHARE, ONE_SIDED_MIN_ITEMS
from jkwatch.model import Comparison

SHOWN_ITEMS = 200
GAP_THEMES = 5
SIDES = {"jp": "Japan's press", "kr": "Korea's press", "other": "Other outlets"}
ONE_SIDED = {"kr": "Covered in Korea, not in Japan", "jp": "Covered in Japan, not in Korea"}

st.title("Japan vs Korea")
url = data.database_url()
current = view.current()
labels = {t.id: t.label for t in data.options(url).themes}

if current.start is None or current.end is None:
    st.info("Pick a date range in the sidebar.")
    st.stop()
since, until = current.start, current.end
result: Comparison = data.compare(url, since, until, current.backfill)
names = data.entity_labels(url)
st.caption(
    f"{since} to {until} (UTC days, both included), relevant items (relevance >= 0.5). A side "
    "is the outlet's country of publication, whatever its language (Yonhap's English service "
    "counts for Korea). A share is a theme's items out of all relevant items of that side; the "
    "gap is Japan's share minus Korea's, in percentage points. The same figures as "
    "`jkwatch compare`. The sidebar's range and its backfill switch apply; its other filters "
    "do not."
)
view.backfill_seam(replace(current, languages=(), feeds=()))  # the filters compare applies
a, b, c = st.columns(3)
a.metric("Japan's press: relevant items", f"{result.totals.get('jp', 0):,}")
b.metric("Korea's press: relevant items", f"{result.totals.get('kr', 0):,}")
c.metric("Other outlets: relevant items", f"{result.totals.get('other', 0):,}")
if not result.totals.get("jp") and not result.totals.get("kr"):
    st.info(
        "No relevant items from Japanese or Korean outlets in this range. Widen the range, or "
        "check each feed's country on the Sources page (`jkwatch feeds set-country FEED jp`)."
    )
    st.stop()


def _listed(ids: tuple[int, ...], what: str, key: str) -> None:
    """The items behind a number, newest first, with the selected one's detail beside them."""
    shown = data.hits(url, ids[:SHOWN_ITEMS])
    more = f"newest {len(shown)} of the {len(ids)}" if len(ids) > len(shown) else f"the {len(ids)}"
    st.caption(f"{more.capitalize()} item(s) behind {what}.")
    if ids:
        view.items_with_detail(shown, labels, key=key)


def _picked(event: object) -> int | None:
    rows = list(getattr(getattr(event, "selection", None), "rows", None) or [])
    return rows[0] if rows else None


# -- shares and gap per theme -------------------------------------------------------------
st.header("Share of coverage per theme")
themes = [t for t in result.themes if t.jp.items or t.kr.items or t.other.items]
if not themes:
    st.info("No relevant item carries a theme in this range.")
else:
    shares = pd.DataFrame(
        [
            {
                "theme": t.label,
                "side": side,
                "side_name": SIDES[side],
                "items": getattr(t, side).items,
                "share": getattr(t, side).share,
            }
            for t in themes
            for side in ("jp", "kr")
        ]
    )
    gaps = pd.DataFrame(
        {"theme": [t.label for t in themes], "gap_pts": [100 * t.gap for t in themes]}
    )
    left, right = st.columns([3, 2])
    left.altair_chart(compare_charts.shares_chart(shares), width="stretch")
    right.altair_chart(compare_charts.gap_chart(gaps), width="stretch")
table = pd.DataFrame(
    {
        "Theme": [t.label for t in result.themes],
        "Japan items": [t.jp.items for t in result.themes],
        "Japan share": [100 * t.jp.share for t in result.themes],
        "Korea items": [t.kr.items for t in result.themes],
        "Korea share": [100 * t.kr.share for t in result.themes],
        "Other items": [t.other.items for t in result.themes],
        "Other share": [100 * t.other.share for t in result.themes],
        "Gap (points)": [100 * t.gap for t in result.themes],
    }
)
percent = st.column_config.NumberColumn(format="%.1f%%")
picked_theme = st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    key="compare_themes",
    on_select="rerun",
    selection_mode="single-row",
    column_config={
        "Japan share": percent,
        "Korea share": percent,
        "Other share": percent,
        "Gap (points)": st.column_config.NumberColumn(
            format="%+.1f", help="Japan's share minus Korea's, in percentage points."
        ),
    },
)
view.download(table, "jkwatch-compare", key="compare_csv")
row = _picked(picked_theme)
theme = result.themes[row] if row is not None and row < len(result.themes) else result.themes[0]
side = st.radio(
    "Items of the selected theme from",
    list(SIDES),
    format_func=SIDES.get,
    horizontal=True,
    key="compare_side",
)
st.subheader(f"{theme.label}: {SIDES[side]}")
if row is None:
    st.caption("The theme with the largest gap is shown; select a row above for another.")
_listed(
    data.compare_cell(url, since, until, theme.theme, side, current.backfill),
    f"{theme.label}, {SIDES[side]} ({getattr(theme, side).items} relevant items)",
    key="compare_cell_items",
)

# -- the gap over time --------------------------------------------------------------------
st.header("The gap over time")
wanted = list(current.themes) or [t.theme for t in themes[:GAP_THEMES]]
points = [p for p in result.gap_over_time if p.theme in wanted]
if not points:
    st.info("No theme to draw: no relevant item carries one in this range.")
else:
    over_time = pd.DataFrame(
        {
            "start": [p.start for p in points],
            "end": [p.end for p in points],
            "theme_id": [p.theme for p in points],
            "theme": [labels.get(p.theme, p.theme) for p in points],
            "gap_pts": [100 * p.gap for p in points],
            "jp_share": [p.jp_share for p in points],
            "kr_share": [p.kr_share for p in points],
            "jp_items": [p.jp_items for p in points],
            "kr_items": [p.kr_items for p in points],
        }
    )
    st.altair_chart(
        compare_charts.gap_over_time_chart(over_time, labels, result.grain), width="stretch"
    )
    st.caption(
        "The themes picked in the sidebar, else the "
        f"{GAP_THEMES} with the largest gap over the whole range."
    )

# -- one-sided stories --------------------------------------------------------------------
st.header("One-sided stories")
st.caption(
    f"Stories with at least {ONE_SIDED_MIN_ITEMS} relevant items from one side's outlets in "
    f"the range and none, or at most {ONE_SIDED_MAX_SHARE:.0%} as many, from the other's; "
    "largest first. Select a story to list its items."
)
for tab, (key, heading) in zip(st.tabs(list(ONE_SIDED.values())), ONE_SIDED.items(), strict=True):
    with tab:
        stories = [s for s in result.one_sided_stories if s.side == key]
        if not stories:
            st.info(f"{heading}: no such story in this range.")
            continue
        frame = pd.DataFrame(
            {
                "Story": [s.title or f"(story {s.story_id}, no headline)" for s in stories],
                "Japan items": [s.items_jp for s in stories],
                "Korea items": [s.items_kr for s in stories],
                "Other items": [s.items_other for s in stories],
                "Story id": [s.story_id for s in stories],
            }
        )
        event = st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            key=f"compare_stories_{key}",
            on_select="rerun",
            selection_mode="single-row",
            column_config={"Story": st.column_config.TextColumn(width="large")},
        )
        n = _picked(event)
        story = stories[n] if n is not None and n < len(stories) else stories[0]
        st.markdown(f"**{escape_markdown(story.title or f'Story {story.story_id}')}**")
        _listed(story.item_ids, f"story {story.story_id}", key=f"compare_story_items_{key}")

# -- entities -----------------------------------------------------------------------------
st.header("Entities each side names most")
choices = [*(t.theme for t in themes), ""]
chosen = st.selectbox(
    "Theme",
    choices,
    format_func=lambda t: "All themes" if not t else labels.get(t, t),
    key="compare_entity_theme",
    help="The theme with the largest gap comes first.",
)
entities = data.compare_entities(url, since, until, chosen, current.backfill)
if not entities:
    st.info(
        "No entity of the gazetteer is named by relevant items of this theme in this range "
        "(`config/entities.toml`; `jkwatch entities rematch` after editing it)."
    )
    view.zone_note()
    st.stop()
columns = st.columns(2)
selected: tuple[str, str] | None = None
first: tuple[str, str] | None = None
for column, key in zip(columns, ("jp", "kr"), strict=True):
    rows = [e for e in entities if e.side == key]
    with column:
        st.subheader(SIDES[key])
        if not rows:
            st.caption("No entity named.")
            continue
        frame = pd.DataFrame(
            {
                "Entity": [names.get(e.entity_id, e.entity_id) for e in rows],
                "Items": [e.items for e in rows],
                "Id": [e.entity_id for e in rows],
            }
        )
        event = st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            key=f"compare_entities_{key}",
            on_select="rerun",
            selection_mode="single-row",
        )
        n = _picked(event)
        if n is not None and n < len(rows):
            selected = (key, rows[n].entity_id)
        first = first or (key, rows[0].entity_id)
entity_side, entity_id = selected or first or ("kr", "")
if entity_id:
    label = names.get(entity_id, entity_id)
    scope = "all themes" if not chosen else labels.get(chosen, chosen)
    st.subheader(f"{label}: {SIDES[entity_side]}, {scope}")
    _listed(
        data.compare_entity(
            url, since, until, entity_id, entity_side, chosen or None, current.backfill
        ),
        f"{label} named by {SIDES[entity_side]} ({scope})",
        key="compare_entity_items",
    )
view.zone_note()
