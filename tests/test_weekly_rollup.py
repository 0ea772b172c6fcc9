"""The weekly rollups stay the daily ones summed per week, and trends read them exactly.

Every write path (ingest, re-ingest, retag, an analyst's label, feed removal, repair) goes
through ``db.rollups``; after each, the weekly tables must equal the items counted per week.
Trends by week must give the same numbers whether whole weeks come from the weekly cells or
every day from the daily ones, for ranges that start and end on any weekday.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from jkwatch.corrections import LabelChange
from jkwatch.db import feeds as feed_store
from jkwatch.db import items as item_store
from jkwatch.db import labels, rollups
from jkwatch.db import retag as retag_store
from jkwatch.db.migrate import upgrade
from jkwatch.db.models import Item, ItemTheme, WeeklySum
from jkwatch.db.query_filters import Filters
from jkwatch.db.trend_sums import whole_weeks
from jkwatch.db.trends import theme_series
from jkwatch.ingest.tag_values import sync_taxonomy
from jkwatch.ingest.tagging import load_taxonomy
from jkwatch.model import EntryIn, ThemeIn
from tests.factories import entry, feed_spec
from tests.test_rollups import _assert_exact, _recounted, _stored

START = datetime(2026, 9, 2, 8, 0, tzinfo=UTC)  # a Wednesday
THEMES = (("nk_weapons",), ("nk_weapons", "jk_cooperation"), (), ("us_alliance",))


def _spread(prefix: str, n: int, step_hours: int = 29) -> list[EntryIn]:
    """``n`` entries every ``step_hours`` hours from START: many weeks, both languages, every
    relevance class, zero to two themes, some copies of the entry before them."""
    return [
        entry(
            f"{prefix}-{i}",
            title=f"Seoul and Tokyo weigh patrol plan, report {prefix} {i}",
            published=START + timedelta(hours=step_hours * i),
            themes=THEMES[i % 4],
            relevance=(0.9, 0.62, 0.2, 0.75, 0.55)[i % 5],
            language=("en", "ja", "ko")[i % 3],
            story_of_entry=f"{prefix}-{i - 1}" if i % 6 == 1 else None,
        )
        for i in range(n)
    ]


@pytest.fixture
def loaded(sessions):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        sync_taxonomy(s, load_taxonomy())
        one, two = (feed_store.upsert_feed(s, feed_spec(i))[0] for i in (1, 2))
        ids = list(item_store.store_entries(s, one, _spread("a", 40)).new_ids)
        ids += item_store.store_entries(s, two, _spread("b", 25, step_hours=41)).new_ids
    return one, two, ids


def test_weekly_sums_equal_the_items_per_week_after_every_kind_of_write(sessions, loaded):
    one, _two, ids = loaded
    _assert_exact(sessions)
    with sessions.begin() as s:
        assert len(_stored(s)["weekly_theme_sums"]) > 10

    # Re-ingest: an item moves to another week, bucket and theme set.
    moved = entry(
        "a-3",
        title="Patrol plan shelved after talks stall",
        published=START + timedelta(days=30),
        themes=("jk_cooperation",),
        relevance=0.3,
    )
    with sessions.begin() as s:
        assert item_store.store_entries(s, one, [moved]).updated_ids
    _assert_exact(sessions)

    # Retag: gained, lost and rescored themes, bucket moves.
    kinds = [
        (0.95, (ThemeIn("taiwan_strait", 0.6),)),
        (0.1, ()),
        (0.7, (ThemeIn("nk_weapons", 0.9),)),
    ]
    updates = [
        retag_store.RetagUpdate(item_id, rel, rel >= 0.5, themes, "v2")
        for item_id, (rel, themes) in zip(ids[::2], kinds * len(ids), strict=False)
    ]
    with sessions.begin() as s:
        assert retag_store.apply_retag(s, updates) > 0
    _assert_exact(sessions)

    # An analyst's label: not relevant, one theme swapped for another.
    with sessions.begin() as s:
        labels.label_item(
            s,
            ids[5],
            LabelChange(
                analyst="mina", relevant=False, add=("taiwan_strait",), remove=("nk_weapons",)
            ),
        )
        labels.label_item(s, ids[8], LabelChange(analyst="mina", relevant=True))
    _assert_exact(sessions)

    # Feed removal.
    with sessions.begin() as s:
        feed_store.remove_feed(s, one.url)
    _assert_exact(sessions)
    with sessions.begin() as s:
        assert s.scalar(select(Item.id).where(Item.feed_id == one.id)) is None
        assert _stored(s)["weekly_sums"]


def test_the_migration_fills_the_weekly_sums_from_the_daily_ones(engine, sessions, loaded):
    upgrade(engine, "0007")  # drops the weekly tables
    upgrade(engine)
    with sessions.begin() as s:
        stored, recounted = _stored(s), _recounted(s)
    assert stored["weekly_sums"] == recounted["weekly_sums"]
    assert stored["weekly_theme_sums"] == recounted["weekly_theme_sums"]


def test_a_repair_rebuilds_weekly_cells_that_drifted(sessions, loaded):
    with sessions.begin() as s:
        s.execute(WeeklySum.__table__.delete().where(WeeklySum.language == "ko"))
    with sessions.begin() as s:
        rollups.rebuild_all(s)
    _assert_exact(sessions)


def _every_day(filters: Filters) -> Filters:
    """The same view forced onto the daily rollups (a language filter naming every language)."""
    return Filters(**{**filters.__dict__, "languages": ("en", "ja", "ko")})


RANGES = [
    (None, None),
    (date(2026, 9, 2), date(2026, 10, 20)),  # Wednesday to Tuesday
    (date(2026, 9, 7), date(2026, 10, 18)),  # Monday to Sunday: whole weeks only
    (date(2026, 9, 8), date(2026, 9, 13)),  # inside one week: no whole week
    (date(2026, 9, 6), date(2026, 9, 14)),  # Sunday to Monday: one whole week, two edges
    (None, date(2026, 10, 1)),
    (date(2026, 9, 17), None),
]


def test_trends_by_week_from_weekly_cells_equal_trends_from_every_day(sessions, loaded):
    # One stored corpus for every range and unit (a database per case cost 0.7 s each).
    with sessions() as s:
        for (start, end), stories in itertools.product(RANGES, (False, True)):
            for view in (
                Filters(start=start, end=end, stories=stories),
                Filters(start=start, end=end, stories=stories, min_bucket=5),
                Filters(
                    start=start, end=end, stories=stories, themes=("nk_weapons", "us_alliance")
                ),
            ):
                weekly = theme_series(s, view, "week")
                assert weekly == theme_series(s, _every_day(view), "week"), view
                assert weekly, view


def test_trends_by_week_count_the_items_of_each_week_themselves(sessions, loaded):
    view = Filters(start=date(2026, 9, 3), end=date(2026, 10, 14))
    expected: dict[tuple[date, str], int] = {}
    with sessions() as s:
        rows = s.execute(select(Item.id, Item.day)).all()
        themes = s.execute(select(ItemTheme.item_id, ItemTheme.theme_id)).all()
        points = theme_series(s, view, "week")
    day_of = {item_id: day for item_id, day in rows}
    for item_id, theme_id in themes:
        day = day_of[item_id]
        if view.start <= day <= view.end:  # type: ignore[operator]
            week = day - timedelta(days=day.weekday())
            expected[(week, theme_id)] = expected.get((week, theme_id), 0) + 1
    got = {(p.period, p.theme_id): p.count for p in points if p.count}
    assert got == expected


@pytest.mark.parametrize(
    ("start", "end", "weeks"),
    [
        (date(2026, 9, 7), date(2026, 9, 13), (date(2026, 9, 7), date(2026, 9, 7))),
        (date(2026, 9, 8), date(2026, 9, 20), (date(2026, 9, 14), date(2026, 9, 14))),
        (date(2026, 9, 8), date(2026, 9, 19), None),
        (None, date(2026, 9, 19), (None, date(2026, 9, 7))),
        (date(2026, 9, 13), None, (date(2026, 9, 14), None)),
        (None, None, (None, None)),
    ],
)
def test_whole_weeks_are_the_mondays_of_the_weeks_inside_the_range(start, end, weeks):
    assert whole_weeks(start, end) == weeks
