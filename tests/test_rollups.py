"""``db.rollups``, the one rollup writer: after every kind of write, on both backends, each
rollup table equals a recount from the items, and a failed transaction leaves the old rollups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import case, event, func, select, update
from sqlalchemy.exc import IntegrityError

from jkwatch.cli.main import cli
from jkwatch.db import feeds as feed_store
from jkwatch.db import items as item_store
from jkwatch.db import retag as retag_store
from jkwatch.db import rollups
from jkwatch.db.models import (
    DailySum,
    DailyThemeCount,
    DailyThemeSum,
    DailyTotal,
    FeedSum,
    Item,
    ItemTheme,
    WeeklySum,
    WeeklyThemeSum,
)
from jkwatch.db.themes import ThemeInfo, sync_themes
from jkwatch.ingest.tag_values import sync_taxonomy
from jkwatch.ingest.tagging import load_taxonomy
from jkwatch.model import EntryIn, ThemeIn
from tests.factories import entry, feed_spec, mixed_entries

START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
TABLES = {
    "daily_totals": DailyTotal,
    "daily_theme_counts": DailyThemeCount,
    "daily_sums": DailySum,
    "daily_theme_sums": DailyThemeSum,
    "feed_sums": FeedSum,
    "weekly_sums": WeeklySum,
    "weekly_theme_sums": WeeklyThemeSum,
}


def _stored(s) -> dict[str, dict[tuple, tuple[int, int]]]:  # type: ignore[no-untyped-def]
    """Every rollup table as {key: (items, stories)}."""
    out = {}
    for name, model in TABLES.items():
        keys = [c for c in model.__table__.primary_key.columns]
        rows = s.execute(select(*keys, model.items, model.stories))
        out[name] = {tuple(r[:-2]): (r[-2], r[-1]) for r in rows}
    return out


def _recounted(s) -> dict[str, dict[tuple, tuple[int, int]]]:  # type: ignore[no-untyped-def]
    """The same tables counted straight from ``items`` and ``item_themes`` (not via db.rollups)."""
    lead = func.sum(case((Item.story_id == Item.id, 1), else_=0))
    theme_lead = func.sum(case((ItemTheme.story_lead.is_(True), 1), else_=0))

    def grouped(*keys, leads) -> dict[tuple, tuple[int, int]]:  # type: ignore[no-untyped-def]
        rows = s.execute(select(*keys, func.count(), leads).group_by(*keys))
        return {tuple(r[:-2]): (int(r[-2]), int(r[-1])) for r in rows}

    return {
        "daily_totals": grouped(Item.day, Item.feed_id, Item.language, Item.rel_bucket, leads=lead),
        "daily_theme_counts": grouped(
            ItemTheme.day,
            ItemTheme.feed_id,
            ItemTheme.language,
            ItemTheme.rel_bucket,
            ItemTheme.theme_id,
            leads=theme_lead,
        ),
        "daily_sums": grouped(Item.day, Item.language, Item.rel_bucket, leads=lead),
        "daily_theme_sums": grouped(
            ItemTheme.day, ItemTheme.theme_id, ItemTheme.rel_bucket, leads=theme_lead
        ),
        "feed_sums": grouped(Item.feed_id, Item.rel_bucket, leads=lead),
        "weekly_sums": _by_week(grouped(Item.day, Item.language, Item.rel_bucket, leads=lead)),
        "weekly_theme_sums": _by_week(
            grouped(ItemTheme.day, ItemTheme.theme_id, ItemTheme.rel_bucket, leads=theme_lead)
        ),
    }


def _by_week(daily: dict[tuple, tuple[int, int]]) -> dict[tuple, tuple[int, int]]:
    """Cells keyed (day, ...) summed into cells keyed (Monday of the day's week, ...)."""
    weekly: dict[tuple, tuple[int, int]] = {}
    for (day, *rest), (items, stories) in daily.items():
        key = (day - timedelta(days=day.weekday()), *rest)
        old = weekly.get(key, (0, 0))
        weekly[key] = (old[0] + items, old[1] + stories)
    return weekly


def _assert_exact(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        stored, recounted = _stored(s), _recounted(s)
    assert stored == recounted
    assert all(cell != (0, 0) for table in stored.values() for cell in table.values())


def _batch(prefix: str, n: int) -> list[EntryIn]:
    return mixed_entries(prefix, n, START)


def test_every_kind_of_write_leaves_each_rollup_equal_to_a_recount(sessions, tmp_path: Path):
    taxonomy = load_taxonomy()
    with sessions.begin() as s:
        sync_taxonomy(s, taxonomy)
        one, two = (feed_store.upsert_feed(s, feed_spec(i))[0] for i in (1, 2))

    # Ingest: new items over two feeds, days, languages and buckets, some story copies.
    with sessions.begin() as s:
        ids = list(item_store.store_entries(s, one, _batch("a", 9)).new_ids)
        ids += item_store.store_entries(s, two, _batch("b", 6)).new_ids
    _assert_exact(sessions)

    # Re-ingest of changed items: new text, another day, bucket and themes.
    changed = [
        entry(
            "a-0",
            title="Changed headline",
            published=START + timedelta(days=5),
            themes=("jk_cooperation",),
            relevance=0.3,
        ),
        entry("a-2", title="Also changed", themes=("nk_weapons", "jk_cooperation")),
    ]
    with sessions.begin() as s:
        assert len(item_store.store_entries(s, one, changed).updated_ids) == 2
    _assert_exact(sessions)

    # A story-lead change: item ids[3] joins the story of ids[4] (it stops being a lead).
    with sessions.begin() as s:
        row = s.execute(
            select(Item.day, Item.feed_id, Item.language, Item.rel_bucket, Item.story_id).where(
                Item.id == ids[3]
            )
        ).one()
        assert row.story_id == ids[3]
        themes = list(s.scalars(select(ItemTheme.theme_id).where(ItemTheme.item_id == ids[3])))
        s.execute(update(Item).where(Item.id == ids[3]).values(story_id=ids[4]))
        s.execute(update(ItemTheme).where(ItemTheme.item_id == ids[3]).values(story_lead=False))
        delta = rollups.RollupDelta()
        delta.story_lead(tuple(row[:4]), themes, gained=False)
        rollups.apply(s, delta)
    _assert_exact(sessions)

    # Retag: gained, lost and rescored themes, bucket moves.
    updates = [
        retag_store.RetagUpdate(item_id, rel, rel >= 0.5, themes_, "v2")
        for item_id, (rel, themes_) in zip(
            ids,
            [
                (0.95, (ThemeIn("nk_weapons", 0.7),)),
                (0.3, (ThemeIn("jk_cooperation", 0.5), ThemeIn("us_alliance", 0.4))),
                (0.61, ()),
            ]
            * len(ids),
            strict=False,
        )
    ]
    with sessions.begin() as s:
        assert retag_store.apply_retag(s, updates) > 0
    _assert_exact(sessions)

    # Document import, through the command and the pipeline.
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    doc = tmp_path / "essay.md"
    doc.write_text(
        "# Japan and South Korea resume defence talks\n\n"
        "Seoul and Tokyo agreed on Tuesday to resume talks on North Korean missiles.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["--db", url, "import", str(doc), "--published", "2026-10-02"])
    assert result.exit_code == 0, result.output
    _assert_exact(sessions)

    # Feed removal.
    with sessions.begin() as s:
        feed_store.remove_feed(s, one.url)
    _assert_exact(sessions)
    with sessions.begin() as s:
        assert two.id in {key[0] for key in _stored(s)["feed_sums"]}
        assert one.id not in {key[0] for key in _stored(s)["feed_sums"]}


def test_rebuild_all_repairs_fine_and_coarse_cells_that_drifted(sessions):
    with sessions.begin() as s:
        sync_themes(
            s, [ThemeInfo("nk_weapons", "NK", "", 0), ThemeInfo("jk_cooperation", "JK", "", 1)]
        )
        feed = feed_store.upsert_feed(s, feed_spec())[0]
        item_store.store_entries(s, feed, _batch("a", 8))
    with sessions.begin() as s:  # damage: a fine cell, a coarse cell, a stray row, a lost row
        s.execute(update(DailyTotal).values(items=DailyTotal.items + 5))
        s.execute(update(DailyThemeSum).values(stories=0))
        s.add(
            DailySum(
                day=START.date() - timedelta(days=400),
                language="ko",
                rel_bucket=3,
                items=2,
                stories=1,
            )
        )
        s.execute(FeedSum.__table__.delete())
        s.execute(update(WeeklySum).values(items=WeeklySum.items * 3))
        s.execute(WeeklyThemeSum.__table__.delete().where(WeeklyThemeSum.theme_id == "nk_weapons"))
    with sessions.begin() as s:
        assert _stored(s) != _recounted(s)
        rollups.rebuild_all(s)
    _assert_exact(sessions)


def test_a_feed_with_a_few_new_items_writes_each_rollup_table_in_one_statement(sessions, engine):
    with sessions.begin() as s:
        sync_themes(
            s, [ThemeInfo("nk_weapons", "NK", "", 0), ThemeInfo("jk_cooperation", "JK", "", 1)]
        )
        feed = feed_store.upsert_feed(s, feed_spec())[0]
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if any(name in statement for name in TABLES):
            statements.append(statement.split(" (")[0])

    event.listen(engine, "before_cursor_execute", record)
    try:
        with sessions.begin() as s:
            item_store.store_entries(s, feed, _batch("a", 4))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements == [
        f"INSERT INTO {name}"
        for name in (
            "daily_totals",
            "daily_theme_counts",
            "daily_sums",
            "feed_sums",
            "daily_theme_sums",
            "weekly_sums",
            "weekly_theme_sums",
        )
    ]
    _assert_exact(sessions)


def test_a_transaction_that_fails_midway_through_the_rollups_leaves_the_old_ones(sessions):
    with sessions.begin() as s:
        sync_themes(
            s, [ThemeInfo("nk_weapons", "NK", "", 0), ThemeInfo("jk_cooperation", "JK", "", 1)]
        )
        one, two = (feed_store.upsert_feed(s, feed_spec(i))[0] for i in (1, 2))
        item_store.store_entries(s, one, _batch("a", 6))
    with sessions.begin() as s:
        before = _stored(s)
    # The fine totals are written, then the theme counts fail (a theme id that cannot be NULL).
    delta = rollups.RollupDelta()
    delta.item((START.date(), one.id, "en", 9), lead=True)
    delta.theme((START.date(), one.id, "en", 9, None), lead=True)  # type: ignore[arg-type]
    with pytest.raises(IntegrityError), sessions.begin() as s:
        item_store.store_entries(s, two, _batch("b", 5))
        rollups.apply(s, delta)
    # A feed stored fine, then another that fails on an unknown theme, in one transaction.
    with pytest.raises(IntegrityError), sessions.begin() as s:
        item_store.store_entries(s, two, _batch("c", 3))
        item_store.store_entries(s, one, [entry("d", themes=("no_such_theme",))])
    with sessions.begin() as s:
        assert _stored(s) == before
    _assert_exact(sessions)


def test_cells_that_lose_and_regain_an_item_in_one_delta_are_not_written(sessions, engine):
    day = START.date() + timedelta(days=400)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    delta = rollups.RollupDelta()
    delta.item((day, 1, "en", 5), True, -1)
    delta.item((day, 1, "en", 5), True, +1)
    delta.theme((day, 1, "en", 5, "nk_weapons"), False, -1)
    delta.theme((day, 1, "en", 5, "nk_weapons"), False, +1)
    event.listen(engine, "before_cursor_execute", record)
    try:
        with sessions.begin() as s:
            rollups.apply(s, delta)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert not any(name in sql for sql in statements for name in TABLES)
    with sessions.begin() as s:
        assert all(table == {} for table in _stored(s).values())


def test_apply_writes_tables_in_one_order_and_each_tables_cells_sorted_by_key(sessions, engine):
    """The lock order that keeps concurrent PostgreSQL workers from deadlocking."""
    writes: list[tuple[str, list]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO"):
            rows = parameters if executemany else [parameters]
            writes.append((statement.split()[2], [tuple(row[:-2]) for row in rows]))

    delta = rollups.RollupDelta()
    for day in (START.date() + timedelta(days=d) for d in (3, 0, 2, 1)):
        for feed_id, language, bucket in ((2, "ko", 9), (1, "en", 3), (2, "en", 9), (1, "ja", 0)):
            delta.item((day, feed_id, language, bucket), lead=feed_id == 1)
            for theme_id in ("b_theme", "a_theme"):
                delta.theme((day, feed_id, language, bucket, theme_id), lead=True)
    event.listen(engine, "before_cursor_execute", record)
    try:
        with sessions.begin() as s:
            rollups.apply(s, delta)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert [table for table, _ in writes] == [
        "daily_totals",
        "daily_theme_counts",
        "daily_sums",
        "feed_sums",
        "daily_theme_sums",
        "weekly_sums",
        "weekly_theme_sums",
    ]
    for _, keys in writes:
        assert len(keys) > 1 and keys == sorted(keys)
    _assert_exact_sums(sessions)


def _assert_exact_sums(sessions) -> None:  # type: ignore[no-untyped-def]
    """The coarse tables equal the fine tables summed (no items behind this delta)."""
    with sessions.begin() as s:
        stored = _stored(s)
    daily: dict[tuple, list[int]] = {}
    for (day, _feed, language, bucket), (items, stories) in stored["daily_totals"].items():
        cell = daily.setdefault((day, language, bucket), [0, 0])
        cell[0] += items
        cell[1] += stories
    assert {k: tuple(v) for k, v in daily.items()} == stored["daily_sums"]
