"""Backfilled history in the reads: origin in the export, the "include backfilled history"
filter on every count (trends, spikes, theme detail, items, compare, brief), the live-start seam
and the backfill's progress. Expected figures come from the planted corpus
(``tests.backfill_corpus``), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jkwatch.db import compare as comparison
from jkwatch.db import item_lists, search, trends
from jkwatch.db.backfill_progress import (
    backfill_items,
    backfill_progress,
    backfill_stored,
    live_collection_start,
)
from jkwatch.db.brief import build_brief
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.feed_health import feed_health
from jkwatch.db.migrate import upgrade
from jkwatch.db.models import Item
from jkwatch.db.query_filters import Filters
from jkwatch.db.theme_detail import theme_detail
from tests.backfill_corpus import (
    FAILED_ERROR,
    FIRST_DAY,
    LAST_DAY,
    LIVE_DAY,
    LIVE_FETCH,
    OUTLETS,
    Planned,
    seed,
    week_of,
)
from tests.databases import postgres_schema
from tests.processes import invoke as run


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[Planned]]]:
    """A database holding the backfill corpus, per backend (the tests here only read)."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('backfill') / 'jkwatch.db'}"
        else:
            url = stack.enter_context(postgres_schema())
        engine = make_engine(url)
        stack.callback(engine.dispose)
        upgrade(engine)
        planned = seed(make_sessionmaker(engine))
        yield url, planned


@pytest.fixture
def session(seeded: tuple[str, list[Planned]]) -> Iterator[Session]:
    engine = make_engine(seeded[0], read_only=True)
    try:
        with make_sessionmaker(engine)() as s:
            yield s
    finally:
        engine.dispose()


def _ids(session: Session) -> dict[str, int]:
    return {
        str(guid): int(item_id) for guid, item_id in session.execute(select(Item.guid, Item.id))
    }


def _kept(planned: list[Planned], backfill: bool) -> list[Planned]:
    return [p for p in planned if backfill or not p.backfilled]


# -- export ---------------------------------------------------------------------------------


def test_every_export_row_carries_its_feeds_origin_in_jsonl_and_csv(seeded):
    url, planned = seeded
    result = run(url, "export")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    by_key = {p.key: p for p in planned}
    assert len(rows) == len(planned)
    for row in rows:
        key = row["url"].rsplit("/", 1)[1]
        assert row["origin"] == by_key[key].origin
    table = list(csv.DictReader(io.StringIO(run(url, "export", "--format", "csv").stdout)))
    assert Counter(r["origin"] for r in table) == Counter(p.origin for p in planned)


@pytest.mark.parametrize(
    ("choice", "wanted"),
    [
        ("feed", {"feed"}),
        ("backfill", {"backfill:google-news", "backfill:gdelt"}),
        ("import", set()),
        ("all", {"feed", "backfill:google-news", "backfill:gdelt"}),
    ],
)
def test_export_origin_keeps_only_the_items_of_that_origin(seeded, choice, wanted):
    url, planned = seeded
    result = run(url, "export", "--origin", choice)
    assert result.exit_code == 0, result.output
    origins = [json.loads(line)["origin"] for line in result.stdout.splitlines()]
    assert Counter(origins) == Counter(p.origin for p in planned if p.origin in wanted)


def test_export_with_an_unknown_origin_is_a_usage_error(seeded):
    result = run(seeded[0], "export", "--origin", "rss")
    assert result.exit_code == 2


# -- the filter on every count --------------------------------------------------------------


@pytest.mark.parametrize("backfill", [True, False])
@pytest.mark.parametrize(
    ("grain", "start", "end"),
    [
        ("week", None, None),
        ("week", date(2026, 9, 3), date(2026, 11, 11)),  # partial weeks at both edges
        ("day", LIVE_DAY - timedelta(days=3), LIVE_DAY + timedelta(days=3)),
        ("month", None, None),
    ],
)
def test_trends_count_exactly_the_planted_items_with_and_without_backfill(
    session, seeded, backfill, grain, start, end
):
    planned = [
        p
        for p in _kept(seeded[1], backfill)
        if (start is None or p.day >= start) and (end is None or p.day <= end)
    ]

    def period(day: date) -> date:
        return {"day": day, "week": week_of(day), "month": day.replace(day=1)}[grain]

    points = trends.theme_series(session, Filters(start=start, end=end, backfill=backfill), grain)
    counts = {(p.period, p.theme_id): (p.count, p.relevant_count) for p in points}
    totals = {p.period: (p.total, p.relevant_total) for p in points}
    want_counts = Counter((period(p.day), t) for p in planned for t in p.themes)
    want_relevant = Counter((period(p.day), t) for p in planned if p.relevant for t in p.themes)
    assert {k: v[0] for k, v in counts.items() if v[0]} == dict(want_counts)
    assert {k: v[1] for k, v in counts.items() if v[1]} == dict(want_relevant)
    assert {k: v[0] for k, v in totals.items()} == dict(Counter(period(p.day) for p in planned))
    assert {k: v[1] for k, v in totals.items() if v[1]} == dict(
        Counter(period(p.day) for p in planned if p.relevant)
    )


@pytest.mark.parametrize("backfill", [True, False])
def test_spike_windows_count_exactly_the_planted_items_with_and_without_backfill(
    session, seeded, backfill
):
    planned = _kept(seeded[1], backfill)
    found = {
        s.theme_id: s
        for s in trends.spikes(session, Filters(end=LAST_DAY, backfill=backfill), include_all=True)
    }

    def in_window(theme: str, k: int) -> int:  # k weeks back from the last 7 days
        last = LAST_DAY - timedelta(days=7 * k)
        return sum(theme in p.themes and last - timedelta(days=6) <= p.day <= last for p in planned)

    for theme in ("nk_weapons", "jk_cooperation", "territorial"):
        assert found[theme].recent == in_window(theme, 0)
        assert found[theme].weekly == tuple(in_window(theme, k) for k in range(8, 0, -1))
    # The backfilled burst of missile coverage is a rise only while backfill counts.
    assert (found["nk_weapons"].direction == "rise") is backfill


def test_spikes_in_a_range_leave_the_backfilled_burst_out_when_backfill_is_off(session):
    since = LAST_DAY - timedelta(days=6)
    with_backfill = trends.spikes_in_range(session, Filters(), since, LAST_DAY)
    live_only = trends.spikes_in_range(session, Filters(backfill=False), since, LAST_DAY)
    assert any(e.theme_id == "nk_weapons" and e.direction == "rise" for e in with_backfill)
    assert not any(e.theme_id == "nk_weapons" and e.direction == "rise" for e in live_only)


@pytest.mark.parametrize("backfill", [True, False])
def test_the_items_behind_a_number_and_search_use_the_same_filter(session, seeded, backfill):
    planned = _kept(seeded[1], backfill)
    ids = _ids(session)
    week = week_of(LIVE_DAY)
    view = Filters(backfill=backfill)
    behind = item_lists.items_behind(
        session, "nk_weapons", week, week + timedelta(days=6), view, page_size=200
    )
    want = {
        ids[p.key]
        for p in planned
        if "nk_weapons" in p.themes and week <= p.day <= week + timedelta(days=6)
    }
    assert behind.total == len(want)
    assert {hit.id for hit in behind.items} == want
    found = search.search_items(session, "", view, page=1, page_size=200)
    assert found.total == len(planned)
    origins = {hit.origin for hit in found.items}
    assert ("backfill:gdelt" in origins) is backfill and "feed" in origins
    assert item_lists.rollup_total(session, view) == len(planned)


@pytest.mark.parametrize("backfill", [True, False])
def test_theme_detail_counts_and_sources_follow_the_filter(session, seeded, backfill):
    planned = [p for p in _kept(seeded[1], backfill) if "territorial" in p.themes]
    detail = theme_detail(session, "territorial", Filters(backfill=backfill), "week")
    assert sum(v.count for v in detail.volume) == len(planned)
    assert {s.name for s in detail.sources} == {OUTLETS[p.outlet][0] for p in planned}
    assert ("Harbour Times" in {s.name for s in detail.sources}) is backfill


@pytest.mark.parametrize("backfill", [True, False])
def test_compare_counts_and_the_items_behind_them_follow_the_filter(session, seeded, backfill):
    planned = [p for p in _kept(seeded[1], backfill) if p.relevant]
    ids = _ids(session)
    result = comparison.compare(
        session, FIRST_DAY, LAST_DAY, with_entities=False, include_backfill=backfill
    )
    for side in ("jp", "kr"):
        mine = [p for p in planned if p.country == side]
        assert result.totals[side] == len(mine)
        for theme in result.themes:
            want = {ids[p.key] for p in mine if theme.theme in p.themes}
            assert getattr(theme, side).items == len(want)
            cell = comparison.cell_item_ids(
                session, FIRST_DAY, LAST_DAY, theme.theme, side, include_backfill=backfill
            )
            assert set(cell) == want
        every = comparison.country_item_ids(
            session, FIRST_DAY, LAST_DAY, side, include_backfill=backfill
        )
        assert set(every) == {ids[p.key] for p in mine}


@pytest.mark.parametrize("backfill", [True, False])
def test_brief_movers_count_the_planted_items_with_and_without_backfill(session, seeded, backfill):
    since = LAST_DAY - timedelta(days=6)
    planned = [p for p in _kept(seeded[1], backfill) if p.relevant and since <= p.day]
    brief = build_brief(session, since, LAST_DAY, include_backfill=backfill)
    want = Counter(t for p in planned for t in p.themes)
    assert brief.movers
    for mover in brief.movers:
        assert mover.count == want[mover.theme]


# -- the seam and the progress --------------------------------------------------------------


def test_live_collection_began_with_the_first_live_item_not_the_backfill(session):
    started = live_collection_start(session)
    assert started is not None
    assert started.replace(tzinfo=None) == LIVE_FETCH.replace(tzinfo=None)


def test_live_collection_has_not_begun_on_a_database_without_live_items(sessions):
    with sessions() as s:
        assert live_collection_start(s) is None


def test_backfilled_items_in_a_view_are_counted_from_the_rollups(session, seeded):
    planned = seeded[1]
    assert backfill_items(session, Filters()) == sum(p.backfilled for p in planned)
    after = Filters(start=LIVE_DAY, languages=("en",), min_bucket=5)  # relevance aside
    assert backfill_items(session, after) == sum(
        p.backfilled and p.day >= LIVE_DAY for p in planned
    )
    assert backfill_items(session, Filters(backfill=False)) == backfill_items(session, Filters())


def test_backfill_progress_sums_each_sources_windows_and_lists_the_failed_ones(session, seeded):
    progress = {p.source: p for p in backfill_progress(session)}
    google, gdelt = progress["google-news"], progress["gdelt"]
    assert (google.done, google.split, google.failed, google.items_stored) == (2, 1, 1, 55)
    assert (google.first_day, google.last_day) == (date(2026, 8, 31), date(2026, 9, 27))
    assert [(f.first_day, f.last_error, f.attempts) for f in google.failures] == [
        (date(2026, 9, 28), FAILED_ERROR, 3)
    ]
    assert (gdelt.done, gdelt.failed, gdelt.items_stored, gdelt.failures) == (1, 0, 60, ())
    held = backfill_stored(session)
    planned = seeded[1]
    assert held == {
        "backfill:google-news": (1, sum(p.origin == "backfill:google-news" for p in planned)),
        "backfill:gdelt": (1, sum(p.origin == "backfill:gdelt" for p in planned)),
    }


def test_feed_health_never_lists_backfill_outlets_even_with_imports(session):
    names = {h.name for h in feed_health(session, include_imports=True)}
    assert names == {"Minato Daily", "Hangang Herald"}
