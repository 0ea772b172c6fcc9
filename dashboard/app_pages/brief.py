"""Brief: what happened in the selected range, and why. The top stories (headline, outlets,
languages, themes, a link to each item), the themes that moved with the stories behind them,
and the spike timeline. The same figures as ``jkwatch brief`` (relevant items; the sidebar's
themes and languages; by default the 7 days ending on the sidebar range's last day, or the
whole range). UI only: data come from ``dashboard.data``; feed text is shown
through escaped Markdown or plain widgets, never as HTML."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from jkwatch.brief_render import country_outlets
from jkwatch.dashboard import charts, data, view
from jkwatch.dashboard.safe import escape_markdown, safe_link
from jkwatch.model import CROSS_LANGUAGE, StorySummary, link_reason

TOP = 10

st.title("Brief")
url = data.database_url()
current = view.current()
labels = {t.id: t.label for t in data.options(url).themes}

if current.start is None or current.end is None:
    st.info("Pick a date range in the sidebar.")
    st.stop()
SPANS = {"week": "The 7 days ending on the range's last day", "range": "The whole selected range"}
span = st.radio("Brief of", list(SPANS), format_func=SPANS.get, horizontal=True, key="brief_span")
until = current.end
since = current.start if span == "range" else max(current.start, until - timedelta(days=6))
brief = data.brief(url, since, until, current.themes, current.languages, TOP, current.backfill)
st.caption(
    f"{since} to {until} (UTC days, both included), relevant items"
    + (f", {len(current.themes)} theme(s) selected" if current.themes else "")
    + (
        f", in {', '.join(view.language_name(code) for code in current.languages)}"
        if current.languages
        else ""
    )
    + ("" if current.backfill else ", backfilled history left out")
    + ". The same brief as `jkwatch brief`."
)
seam = view.backfill_seam(replace(current, feeds=()))  # the brief reads every source


def _link(text: str, target: str | None) -> str:
    """A Markdown link from escaped text, or the escaped text alone for a url we do not link."""
    shown = escape_markdown(text)
    link = safe_link(target)
    if link is None:
        return shown
    quoted = link.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"[{shown}]({quoted})"


def _when(moment: datetime) -> str:
    """A stored UTC time in the page's one zone, named."""
    return f"{view.zoned(moment):%Y-%m-%d %H:%M} {view.viewer_timezone()}"


def _story(rank: int, story: StorySummary) -> None:
    themes = ", ".join(labels.get(t, t) for t in story.themes) or "no theme"
    languages = ", ".join(view.language_name(code) for code in story.languages)
    with st.container(border=True):
        st.markdown(f"**{rank}. {escape_markdown(story.title)}**")
        st.caption(
            escape_markdown(
                f"{story.items} item(s) in the range from {story.outlets} outlet(s): "
                f"{country_outlets(story, str) or ', '.join(story.outlet_names)} · "
                f"{languages} · themes: {themes} · "
                f"first seen {_when(story.first_seen)}, last seen {_when(story.last_seen)}"
            )
        )
        detail = data.story(url, story.story_id)
        in_range = set(story.item_ids)
        members = [m for m in detail.members if m.item_id in in_range] if detail else []
        lines = [
            f"- {_link(m.title, m.url)} · {escape_markdown(m.feed_name)} · "
            f"{view.language_name(m.language)} · {_when(m.published_at)}"
            + (
                f" · {escape_markdown(link_reason(m.linked_by))}"
                if m.linked_by and m.linked_by[0] == CROSS_LANGUAGE
                else ""
            )
            for m in members
        ]
        if lines:
            st.markdown("\n".join(lines))
        st.caption(escape_markdown(story.why))


st.header("Top stories")
if not brief.stories:
    st.info("No relevant stories in this range. Widen the date range or the filters.")
for rank, story in enumerate(brief.stories, start=1):
    _story(rank, story)

st.header("Movers")
st.caption(escape_markdown(f"Baseline: {brief.baseline}."))
if not brief.movers:
    st.info("No theme moved against its baseline.")
else:
    titles = {s.story_id: s.title for s in brief.stories}
    movers = pd.DataFrame(
        {
            "Theme": [m.label for m in brief.movers],
            "Direction": [m.direction for m in brief.movers],
            "Items": [m.count for m in brief.movers],
            "Baseline (mean)": [m.baseline for m in brief.movers],
            "z-score": [m.z for m in brief.movers],
            "Stories behind it": [
                " · ".join(titles.get(i, f"story {i}") for i in m.story_ids) for m in brief.movers
            ],
        }
    )
    st.dataframe(movers, hide_index=True, width="stretch", key="brief_movers")
    for mover in brief.movers:
        missing = [i for i in mover.story_ids if i not in titles]
        if not missing:
            continue
        with st.expander(f"{mover.label}: the stories behind the {mover.direction}"):
            for story_id in missing:
                detail = data.story(url, story_id)
                if detail is not None:
                    st.markdown(
                        f"- {escape_markdown(detail.summary.title)} "
                        f"({detail.summary.items} item(s), {detail.summary.outlets} outlet(s))"
                    )

st.header("Spike timeline")
if not brief.spikes:
    st.info("No spike inside this range under the spike method.")
else:
    rows = charts.spikes_frame(list(brief.spikes), labels)
    shown_seam = seam if seam is not None and since <= seam <= until else None
    st.altair_chart(
        charts.spike_timeline(rows, labels, since, until, seam=shown_seam), width="stretch"
    )
    st.caption(f"{len(brief.spikes)} spike episode(s); the Spikes page lists the items of each.")
view.zone_note()
