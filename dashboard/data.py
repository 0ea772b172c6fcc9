"""The dashboard's only door to the database: a cached read-only engine and cached queries,
plus ``label``, the one write (an analyst's correction, behind the password).

The URL comes from the script argument ``--db URL`` (what ``jkwatch dashboard`` passes),
else ``$JKWATCH_DATABASE_URL``, else the default SQLite file. Query results are cached for
``TTL_S`` seconds, short enough that newly ingested items show within a minute. Cached
functions take plain hashable values and return plain values; no widgets in here.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from typing import Concatenate, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from jkwatch.alerts.config import load_alerts_config
from jkwatch.alerts.message import AlertsConfigError
from jkwatch.corrections import LabelChange
from jkwatch.csv_safe import LINE_TERMINATOR, escape_cell
from jkwatch.db import backfill_progress as backfills
from jkwatch.db import compare as comparison
from jkwatch.db import deliveries, item_lists, labels, trends
from jkwatch.db import overview as frame
from jkwatch.db import search as text_search
from jkwatch.db import theme_detail as theme_reads
from jkwatch.db.brief import build_brief
from jkwatch.db.engine import make_engine, make_sessionmaker, resolve_database_url
from jkwatch.db.entities import entities_of_items
from jkwatch.db.entity_search import Expansion, expand
from jkwatch.db.errors import DatabaseError
from jkwatch.db.feed_health import FeedHealth, feed_health
from jkwatch.db.query_filters import Filters
from jkwatch.db.stories import story_detail, story_id_of_item
from jkwatch.entities import default_gazetteer
from jkwatch.entities import entity_labels as gazetteer_labels
from jkwatch.model import (
    Brief,
    Comparison,
    EntityCount,
    EntityMatch,
    SpikeEpisode,
    StoryDetail,
    origin_label,
)

TTL_S = 30

P = ParamSpec("P")
T = TypeVar("T")


class Unavailable(Exception):
    """The database cannot be read (missing file, not migrated, server down)."""


def database_url(argv: list[str] | None = None) -> str:
    args = list(sys.argv[1:] if argv is None else argv)
    for n, arg in enumerate(args):
        if arg == "--db" and n + 1 < len(args):
            return args[n + 1]
        if arg.startswith("--db="):
            return arg.split("=", 1)[1]
    return resolve_database_url()


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return make_engine(url, read_only=True)


@st.cache_resource(show_spinner=False)
def _writer(url: str) -> Engine:
    """The one writing engine, used only by the label form of a signed-in analyst."""
    return make_engine(url)


def _run(fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call a ``db`` read function in a short read-only session."""
    try:
        with make_sessionmaker(_engine(database_url()))() as session:
            return fn(session, *args, **kwargs)
    except (DatabaseError, SQLAlchemyError) as exc:
        raise Unavailable(str(exc).splitlines()[0]) from exc


def db_filters(
    start: date | None,
    end: date | None,
    themes: tuple[str, ...],
    languages: tuple[str, ...],
    feeds: tuple[int, ...],
    min_relevance: int,
    unit: str,
    backfill: bool = True,
) -> Filters:
    return Filters(
        start=start,
        end=end,
        themes=themes,
        languages=languages,
        feeds=feeds,
        min_bucket=min_relevance,
        stories=unit == "stories",
        backfill=backfill,
    )


@st.cache_data(ttl=TTL_S, show_spinner=False)
def overview(url: str) -> frame.Overview | None:
    """``None`` when the database cannot be read at all."""
    try:
        return _run(frame.overview_counts)
    except Unavailable:
        return None


@st.cache_data(ttl=TTL_S, show_spinner=False)
def synthetic(url: str) -> bool:
    return bool(_run(frame.is_synthetic))


@st.cache_data(ttl=TTL_S, show_spinner=False)
def options(url: str) -> frame.FilterOptions:
    return _run(frame.filter_options)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def series(url: str, filters: Filters, grain: str) -> pd.DataFrame:
    points = _run(trends.theme_series, filters, grain)
    frame = pd.DataFrame(
        [
            {
                "period": p.period,
                "theme_id": p.theme_id,
                "count": p.count,
                "relevant_count": p.relevant_count,
                "total": p.total,
                "relevant_total": p.relevant_total,
                "share_all": p.share_of_all,
                "share_relevant": p.share_of_relevant,
            }
            for p in points
        ],
        columns=[
            "period",
            "theme_id",
            "count",
            "relevant_count",
            "total",
            "relevant_total",
            "share_all",
            "share_relevant",
        ],
    )
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


@st.cache_data(ttl=TTL_S, show_spinner=False)
def spikes(url: str, filters: Filters) -> pd.DataFrame:
    rows = [asdict(s) for s in _run(trends.spikes, filters, include_all=True)]
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["weekly"] = frame["weekly"].map(lambda w: " ".join(str(x) for x in w))
    return frame


@st.cache_data(ttl=TTL_S, show_spinner=False)
def spike_episodes(url: str, filters: Filters, since: date, until: date) -> list[SpikeEpisode]:
    """Every spike inside ``[since, until]`` (UTC days), ordered by start."""
    return _run(trends.spikes_in_range, filters, since, until)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def brief(
    url: str,
    since: date,
    until: date,
    themes: tuple[str, ...],
    languages: tuple[str, ...],
    top: int,
    backfill: bool = True,
) -> Brief:
    """The brief of ``[since, until]`` (relevant items; ``db.brief.build_brief``)."""
    return _run(
        build_brief,
        since,
        until,
        themes=themes,
        languages=languages,
        top=top,
        include_backfill=backfill,
    )


@st.cache_data(ttl=TTL_S, show_spinner=False)
def compare(url: str, since: date, until: date, backfill: bool = True) -> Comparison:
    """The Japan–Korea comparison of a range (the same as ``jkwatch compare``), without the
    entities: the page reads those for one theme at a time (``compare_entities``)."""
    return _run(comparison.compare, since, until, with_entities=False, include_backfill=backfill)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def compare_entities(
    url: str, since: date, until: date, theme: str, backfill: bool = True
) -> tuple[EntityCount, ...]:
    """The entities each side names most for one theme ("" for all themes)."""
    return tuple(
        _run(comparison.top_entities_by_side, since, until, theme=theme, include_backfill=backfill)
    )


@st.cache_data(ttl=TTL_S, show_spinner=False)
def compare_cell(
    url: str, since: date, until: date, theme: str, country: str, backfill: bool = True
) -> tuple[int, ...]:
    """The items behind one theme x country cell of the comparison, newest first."""
    return _run(comparison.cell_item_ids, since, until, theme, country, backfill)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def compare_entity(
    url: str,
    since: date,
    until: date,
    entity_id: str,
    country: str,
    theme: str | None,
    backfill: bool = True,
) -> tuple[int, ...]:
    """The items behind one entity count of the comparison, newest first."""
    return _run(comparison.entity_item_ids, since, until, entity_id, country, theme, backfill)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def hits(url: str, item_ids: tuple[int, ...]) -> tuple[item_lists.ItemHit, ...]:
    """The items with these ids (at most one page), newest first."""
    return _run(item_lists.item_hits, item_ids)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def entity_labels(url: str) -> dict[str, str]:
    """Entity id -> label from the gazetteer (ids stand in when it cannot be read)."""
    return gazetteer_labels()


@st.cache_data(ttl=TTL_S, show_spinner=False)
def story_of_item(url: str, item_id: int) -> int | None:
    """The story an item belongs to (None: not clustered yet)."""
    return _run(story_id_of_item, item_id)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def story(url: str, story_id: int) -> StoryDetail | None:
    """A whole story with its members, oldest first."""
    return _run(story_detail, story_id)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def search(
    url: str,
    query: str,
    filters: Filters,
    page: int,
    page_size: int,
    expansion: Expansion | None = None,
) -> item_lists.ItemPage:
    return _run(text_search.search_items, query, filters, page, page_size, expansion)


def entity_expansion(query: str) -> Expansion | None:
    """The gazetteer entity ``query`` names (``db.entity_search.expand``), or None.

    ``EntitiesError`` when the configured entities file is broken (the page says so and
    searches the words as typed).
    """
    return expand(query, default_gazetteer())


@st.cache_data(ttl=TTL_S, show_spinner=False)
def behind(
    url: str, theme_id: str, start: date, end: date, filters: Filters, page_size: int = 50
) -> item_lists.ItemPage:
    return _run(item_lists.items_behind, theme_id, start, end, filters, 1, page_size)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def evidence(url: str, item_ids: tuple[int, ...]) -> dict[int, list[item_lists.EvidenceRow]]:
    return _run(item_lists.item_themes_with_evidence, item_ids)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def named_entities(url: str, item_id: int) -> tuple[EntityMatch, ...]:
    """The gazetteer entities an item names, with the names that matched."""
    return _run(entities_of_items, (item_id,)).get(item_id, ())


@st.cache_data(ttl=TTL_S, show_spinner=False)
def cluster(url: str, story_id: int) -> tuple[item_lists.ItemHit, ...]:
    """The items of one near-duplicate cluster (the item's copies), oldest first."""
    return _run(item_lists.cluster_items, story_id)


CSV_COLUMNS = (
    "published",
    "title",
    "url",
    "source",
    "origin",
    "language",
    "relevance",
    "themes",
    "corrected",
    "id",
)


def items_csv(
    url: str,
    query: str,
    filters: Filters,
    labels: dict[str, str],
    zone: str = "UTC",
    expansion: Expansion | None = None,
) -> bytes:
    """Every item matching the search and filters as CSV (not only the page shown).

    Read from the database in chunks (``db.search.iter_matches``, keyset pagination); every
    text cell is formula-escaped (``jkwatch.csv_safe``); times in ``zone``, with their offset.
    Not cached: it is built when the download is asked for.
    """
    tz = ZoneInfo(zone)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=LINE_TERMINATOR)
    writer.writerow(CSV_COLUMNS)
    try:
        with make_sessionmaker(_engine(url))() as session:
            for chunk in text_search.iter_matches(session, query, filters, expansion=expansion):
                for hit in chunk:
                    writer.writerow(
                        [
                            escape_cell(value)
                            for value in (
                                _zoned(hit.published_at, tz),
                                hit.title,
                                hit.url or "",
                                hit.feed_name,
                                origin_label(hit.origin),
                                hit.language,
                                f"{hit.relevance:.2f}",
                                ", ".join(labels.get(t, t) for t in hit.themes),
                                "yes" if hit.corrected else "no",
                                hit.id,
                            )
                        ]
                    )
    except (DatabaseError, SQLAlchemyError) as exc:
        raise Unavailable(str(exc).splitlines()[0]) from exc
    return out.getvalue().encode("utf-8-sig")


def _zoned(when: datetime, tz: ZoneInfo) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo("UTC"))
    return when.astimezone(tz).isoformat(timespec="minutes")


@st.cache_data(ttl=TTL_S, show_spinner=False)
def theme_detail(url: str, theme_id: str, filters: Filters, grain: str) -> theme_reads.ThemeDetail:
    return _run(theme_reads.theme_detail, theme_id, filters, grain)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def health(url: str) -> pd.DataFrame:
    """Every source's ``FeedHealth`` (the values ``jkwatch status`` shows; the columns are its
    JSON keys), failing feeds first."""
    rows = [asdict(h) for h in _run(feed_health, include_imports=True)]
    table = pd.DataFrame(rows, columns=list(FeedHealth.__dataclass_fields__))
    return table.sort_values(["error_streak", "id"], ascending=[False, True], ignore_index=True)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def live_start(url: str) -> datetime | None:
    """When live collection stored its first item (None: not yet)."""
    return _run(backfills.live_collection_start)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def backfilled_in_view(url: str, filters: Filters) -> int:
    """How many backfilled items the view holds with backfill included (exact, rollups)."""
    return _run(backfills.backfill_items, filters)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def backfill_progress(url: str) -> list[backfills.SourceProgress]:
    """Each backfill source's windows (done, split, failed, items, days covered, failures)."""
    return _run(backfills.backfill_progress)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def backfill_stored(url: str) -> dict[str, tuple[int, int]]:
    """Per backfill origin: (outlets, items held now)."""
    return _run(backfills.backfill_stored)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def alert_log(url: str, limit: int = 500) -> pd.DataFrame:
    """The newest ``limit`` deliveries of the alert ledger (``db.deliveries.DeliveryRow``)."""
    rows = [asdict(row) for row in _run(deliveries.delivery_log, limit)]
    return pd.DataFrame(rows, columns=list(deliveries.DeliveryRow.__dataclass_fields__))


@st.cache_data(ttl=TTL_S, show_spinner=False)
def brief_schedule(url: str, now: datetime) -> tuple[pd.DataFrame, str | None]:
    """Each scheduled brief of ``alerts.toml`` with its next send time after ``now`` and its
    last delivery; the configuration's error instead when it cannot be read."""
    columns = ["name", "schedule", "enabled", "days", "channels", "next_at", "last_sent_at"]
    try:
        config = load_alerts_config()
    except AlertsConfigError as exc:
        return pd.DataFrame(columns=columns), str(exc)
    rows = [
        {
            "name": spec.name,
            "schedule": spec.schedule.describe(),
            "enabled": spec.enabled,
            "days": spec.days,
            "channels": ", ".join(spec.channels),
            "next_at": spec.schedule.next_slot(now),
            "last_sent_at": _run(deliveries.last_sent_at, spec.name),
        }
        for spec in config.briefs
    ]
    return pd.DataFrame(rows, columns=columns), None


class LabelFailed(Exception):
    """A correction was refused (unknown id) or could not be written; nothing changed."""


def label(url: str, item_id: int, change: LabelChange, reset: bool = False) -> labels.LabelResult:
    """Write one analyst correction through the same ``db.labels`` action as ``jkwatch label``
    (item, themes, rollups, correction and log in one transaction), then drop cached reads."""
    try:
        with make_sessionmaker(_writer(url)).begin() as session:
            if reset:
                result = labels.reset_item(session, item_id, change.analyst)
            else:
                result = labels.label_item(session, item_id, change)
    except labels.LabelError as exc:
        raise LabelFailed(str(exc)) from exc
    except (DatabaseError, SQLAlchemyError) as exc:
        raise LabelFailed(str(exc).splitlines()[0]) from exc
    st.cache_data.clear()
    return result


SPIKE_METHOD = trends.SPIKE_METHOD
TERMS_SCAN_LIMIT = theme_reads.TERMS_SCAN_LIMIT
COOCCURRENCE_SCAN_LIMIT = theme_reads.COOCCURRENCE_SCAN_LIMIT
SPIKES_IN_RANGE_METHOD = trends.SPIKES_IN_RANGE_METHOD
