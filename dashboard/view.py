"""Small UI helpers shared by the pages: current view, empty state, item tables with the
selected item's evidence beside them, event annotations, CSV export.

Untrusted feed text is only ever passed to ``st.dataframe`` cells, ``st.text``/``st.caption``
with plain text, or ``st.markdown`` after ``escape_markdown``; links go through
``safe_link`` (http(s) only). Nothing here uses ``unsafe_allow_html``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from jkwatch.brief_render import country_outlets
from jkwatch.countries import COUNTRY_LABELS
from jkwatch.dashboard import charts, data
from jkwatch.dashboard.filters import ViewFilters, default_range
from jkwatch.dashboard.safe import csv_bytes, escape_markdown, safe_link
from jkwatch.entities import EntitiesError, default_gazetteer
from jkwatch.events import Event, EventsError, load_events
from jkwatch.model import EntityMatch, link_reason, origin_label

LANGUAGE_NAMES = {"en": "English", "ja": "Japanese", "ko": "Korean", "und": "Undetermined"}
ANALYST_FIELD = "analyst"
"""The evidence ``field`` of an analyst's correction (``jkwatch.corrections``)."""


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
        view.backfill,
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


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def viewer_timezone() -> str:
    """The one zone every page shows times in: the sidebar's choice (UTC by default)."""
    return current().zone


def zoned(when: Any) -> pd.Timestamp:
    """A stored UTC time in the page's zone."""
    stamp = pd.Timestamp(when)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert(viewer_timezone())


def zone_note() -> None:
    st.caption(f"Times in {viewer_timezone()}; days and periods are UTC days.")


@st.cache_data(ttl=data.TTL_S, show_spinner=False)
def _events(known: tuple[str, ...]) -> tuple[tuple[Event, ...], str]:
    try:
        return load_events(known_themes=set(known) or None), ""
    except EventsError as exc:
        return (), str(exc)


def events_in(
    labels: dict[str, str], themes: Collection[str], start: date | None, end: date | None
) -> pd.DataFrame:
    """The analyst's events (``events.toml``) for a chart of ``themes`` over the range."""
    events, problem = _events(tuple(sorted(labels)))
    if problem:
        st.warning(f"Event annotations not shown: {problem}", icon=":material/event_busy:")
    shown = [
        e
        for e in events
        if e.applies_to(themes)
        and (start is None or e.day >= start)
        and (end is None or e.day <= end)
    ]
    return charts.events_frame(shown, labels)


def items_frame(items: Any, labels: dict[str, str]) -> pd.DataFrame:
    """Item hits as a table: text cells, a link only for http(s) URLs, times in the page zone."""
    rows = [
        {
            "published": hit.published_at,
            "title": hit.title,
            "link": safe_link(hit.url),
            "source": hit.feed_name,
            "origin": origin_label(getattr(hit, "origin", "feed")),
            "language": language_name(hit.language),
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
            "origin",
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


def show_items(frame: pd.DataFrame, key: str, select: bool = False) -> int | None:
    """The items table; with ``select``, a click on a row returns that item's id."""
    event = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key=key,
        on_select="rerun" if select else "ignore",
        selection_mode="single-row",
        column_config={
            "published": st.column_config.DatetimeColumn(
                f"Published ({viewer_timezone()})", format="YYYY-MM-DD HH:mm"
            ),
            "title": st.column_config.TextColumn("Title", width="large"),
            "link": st.column_config.LinkColumn("Link", display_text="open ↗"),
            "source": st.column_config.TextColumn("Source"),
            "origin": st.column_config.TextColumn(
                "Origin", help="Live feed, import, or backfilled history from news search."
            ),
            "language": st.column_config.TextColumn("Language"),
            "relevance": st.column_config.NumberColumn("Relevance", format="%.2f"),
            "themes": st.column_config.TextColumn("Themes"),
            "corrected": st.column_config.CheckboxColumn(
                "Corrected", help="An analyst corrected this item's tags."
            ),
            "id": st.column_config.NumberColumn("Id", format="%d"),
        },
    )
    if not select:
        return None
    rows = list(getattr(getattr(event, "selection", None), "rows", None) or [])
    if not rows or rows[0] >= len(frame):
        return None
    return int(frame.iloc[rows[0]]["id"])


def items_with_detail(items: Sequence[Any], labels: dict[str, str], key: str) -> None:
    """The items table with the selected row's evidence, summary and story beside it."""
    table, side = st.columns([3, 2])
    with table:
        picked = show_items(items_frame(items, labels), key=key, select=True)
        st.caption("Select a row to see why it got its themes, its summary and its story.")
    with side:
        hit = next((h for h in items if h.id == picked), None)
        if hit is None:
            st.info("Select an item in the table to see its evidence here.", icon=":material/info:")
        else:
            item_detail(hit, labels)


def evidence_text(e: dict) -> str:
    if e.get("field") == ANALYST_FIELD:
        return str(e.get("term", "?"))  # "corrected by NAME"
    count = f" ×{e['count']}" if e.get("count") else ""
    return f"{e.get('term', '?')} in {e.get('field', '?')}{count}"


def item_detail(hit: Any, labels: dict[str, str]) -> None:
    """One item: its text, why it got each theme, and the story it belongs to (all as text)."""
    url = data.database_url()
    with st.container(border=True, key=f"detail_{hit.id}"):
        st.markdown("**" + escape_markdown(hit.title or "(no title)") + "**")
        when = zoned(hit.published_at)
        st.caption(
            escape_markdown(
                f"{hit.feed_name} ({origin_label(getattr(hit, 'origin', 'feed'))}) · "
                f"{when:%Y-%m-%d %H:%M} {viewer_timezone()} · "
                f"{language_name(hit.language)} · relevance {hit.relevance:.2f} · id {hit.id}"
            )
        )
        link = safe_link(hit.url)
        if link:
            st.link_button("Open the source ↗", link)
        st.markdown("**Summary**")
        st.text(hit.summary or "(no summary)")
        st.markdown("**Why it got its themes**")
        rows = data.evidence(url, (hit.id,)).get(hit.id, [])
        if not rows:
            st.text("No theme.")
        if getattr(hit, "corrected", False):
            st.caption("Tags corrected by an analyst (see the evidence below).")
        for row in rows:
            terms = "; ".join(evidence_text(e) for e in row.evidence)
            st.text(f"[{row.label}] score {row.score:.2f}: {terms or 'no evidence recorded'}")
        st.markdown("**Entities it names**")
        named = data.named_entities(url, int(hit.id))
        st.text("\n".join(entity_text(m) for m in named) if named else "None from the gazetteer.")
        story_panel(hit, labels)


def entity_text(match: EntityMatch) -> str:
    """One named entity as text: its label, type and the names the item used (the id when
    the gazetteer no longer has it, or cannot be read)."""
    try:
        entity = default_gazetteer().get(match.entity_id)
    except EntitiesError:
        entity = None
    label = f"{entity.label} ({entity.type})" if entity else match.entity_id
    return f"{label}: {', '.join(match.names)}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _member_rows(members: Iterable[Any]) -> list[dict[str, Any]]:
    """A story's or a copy cluster's items as table rows (times in the page's zone)."""
    return [
        {
            "published": zoned(m.published_at),
            "title": m.title,
            "source": m.feed_name,
            "language": language_name(m.language),
            "country": COUNTRY_LABELS.get(getattr(m, "country", "other"), "Other"),
            "linked by": link_reason(getattr(m, "linked_by", ())),
            "link": safe_link(m.url),
        }
        for m in members
    ]


def story_panel(hit: Any, labels: dict[str, str]) -> None:
    """The story the item belongs to (``db.stories``): its figures and every member, oldest
    first; the item's near-duplicate copies when it is not clustered into a story yet."""
    url = data.database_url()
    st.markdown("**Story**")
    story_id = data.story_of_item(url, int(hit.id))
    detail = data.story(url, story_id) if story_id is not None else None
    if detail is not None:
        summary = detail.summary
        rows = _member_rows(detail.members)
        st.text(summary.title)
        st.caption(
            escape_markdown(
                f"Story {summary.story_id}: {_count(len(detail.members), 'item')} from "
                f"{_count(summary.outlets, 'outlet')} "
                f"({country_outlets(summary, str) or ', '.join(summary.outlet_names)}); "
                f"{', '.join(language_name(lang) for lang in summary.languages)}; "
                f"themes {', '.join(labels.get(t, t) for t in summary.themes) or 'none'}; "
                f"first seen {zoned(summary.first_seen):%Y-%m-%d %H:%M}, last seen "
                f"{zoned(summary.last_seen):%Y-%m-%d %H:%M} ({viewer_timezone()})."
            )
        )
    else:
        if hit.story_id is None:
            st.text("Not part of a story.")
            return
        members = data.cluster(url, int(hit.story_id))
        outlets = sorted({m.feed_name for m in members})
        st.caption(
            f"Not clustered into a story yet; its copies: {len(members)} items from "
            f"{len(outlets)} outlet(s): {', '.join(outlets)}"
        )
        rows = _member_rows(members)
    if len(rows) <= 1:
        st.text("Only this item reports it so far.")
        return
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "published": st.column_config.DatetimeColumn(
                f"Published ({viewer_timezone()})", format="YYYY-MM-DD HH:mm"
            ),
            "title": st.column_config.TextColumn("Title"),
            "source": st.column_config.TextColumn("Source"),
            "language": st.column_config.TextColumn("Language"),
            "country": st.column_config.TextColumn("Outlet's country"),
            "linked by": st.column_config.TextColumn("Linked by"),
            "link": st.column_config.LinkColumn("Link", display_text="open ↗"),
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


SEAM_NOTICE = (
    "This range holds {n:,} backfilled items (collected afterwards from news search by "
    "`jkwatch backfill`). Backfilled history is a sample of past coverage, not everything "
    "that was published: search services return a capped selection per query and window, "
    "so volumes before and after the seam are not comparable. Shares are the honest measure "
    "across the seam: a theme's share of the coverage of its period holds up when the sample "
    "is thinner. {start}Switch backfill off in the sidebar to count live feeds only."
)


def backfill_seam(view: ViewFilters, measure: str | None = None) -> date | None:
    """Say plainly when the view's range holds backfilled items, and return the day live
    collection began when it lies inside the range (the time charts draw it as a rule).

    ``measure`` is the chart's measure: on counts, the notice offers to switch to shares.
    """
    url = data.database_url()
    started = data.live_start(url)
    day = started.date() if started is not None else None
    inside = (
        day
        if day is not None
        and (view.start is None or view.start <= day)
        and (view.end is None or day <= view.end)
        else None
    )
    held = data.backfilled_in_view(url, db_filters(view, with_themes=False)) if view.backfill else 0
    if held:
        start = (
            f"Live collection began on {day} (the green rule). "
            if inside
            else f"Live collection began on {day}. "
            if day
            else "Live collection has not stored anything yet. "
        )
        st.info(SEAM_NOTICE.format(n=held, start=start), icon=":material/history:")
        if measure == "count":
            st.button(
                "Show shares of relevant coverage",
                key="seam_to_share",
                on_click=_to_share,
                icon=":material/percent:",
            )
    elif not view.backfill:
        st.caption("Backfilled history is left out (sidebar): live feeds and imports only.")
    return inside


def _to_share() -> None:
    st.session_state["f_measure"] = "share_relevant"


def period_end(start: date, grain: str) -> date:
    return charts.period_end(start, grain)
