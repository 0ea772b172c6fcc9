"""``apply_retag``'s fast path on both backends: in-place theme rows, netted rollup deltas,
coarse sums written with the fine ones, and batches that fail leaving nothing behind."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

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
)
from jkwatch.db.themes import ThemeInfo, sync_themes
from jkwatch.model import ThemeIn
from tests.factories import feed_spec, mixed_entries

THEMES = [
    ThemeInfo("nk_weapons", "NK weapons", "", 0),
    ThemeInfo("jk_cooperation", "JK", "", 1),
    ThemeInfo("history", "History", "", 2),
]
START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
EVIDENCE = ({"term": "missile", "field": "title", "count": 1},)


def _store(sessions, n: int = 12) -> list[int]:  # type: ignore[no-untyped-def]
    """Items over two feeds, three days and both languages, some sharing a story."""
    with sessions.begin() as s:
        sync_themes(s, THEMES)
        feeds = [feed_store.upsert_feed(s, feed_spec(i))[0] for i in (1, 2)]
    ids: list[int] = []
    for f, feed in enumerate(feeds):
        batch = mixed_entries(f"f{f}", n // 2, START, second_theme="history")
        with sessions.begin() as s:
            ids.extend(item_store.store_entries(s, feed, batch).new_ids)
    return sorted(ids)


def _rollups(s) -> dict[str, set[tuple]]:  # type: ignore[no-untyped-def]
    tables = {
        "totals": DailyTotal,
        "counts": DailyThemeCount,
        "sums": DailySum,
        "theme_sums": DailyThemeSum,
        "feed_sums": FeedSum,
    }
    return {
        name: {tuple(row) for row in s.execute(select(*model.__table__.columns))}
        for name, model in tables.items()
    }


def _assert_rollups_equal_a_rebuild(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        kept = _rollups(s)
        rollups.rebuild_all(s)
        rebuilt = _rollups(s)
        s.rollback()
    assert kept == rebuilt
    for rows in kept.values():
        assert all(row[-2] > 0 for row in rows)  # items > 0: no rows left at zero


def _themes(s) -> dict[tuple[int, str], tuple]:  # type: ignore[no-untyped-def]
    rows = s.execute(
        select(ItemTheme.item_id, ItemTheme.theme_id, ItemTheme.score, ItemTheme.rel_bucket)
    )
    return {(r.item_id, r.theme_id): (r.score, r.rel_bucket) for r in rows}


def _mixed_updates(ids: list[int]) -> list[retag_store.RetagUpdate]:
    """Every kind of change: rescored, gained, lost, new bucket, same bucket, unchanged."""
    kinds = [
        (0.95, (ThemeIn("nk_weapons", 0.7, EVIDENCE),)),  # rescored in place, same bucket
        (0.3, (ThemeIn("nk_weapons", 0.8, EVIDENCE), ThemeIn("jk_cooperation", 0.5))),
        (0.61, ()),  # loses every theme, same bucket as before for some items
        (0.2, (ThemeIn("history", 0.4, ({"term": "war", "field": "summary", "count": 2},)),)),
    ]
    return [
        retag_store.RetagUpdate(item_id, rel, rel >= 0.5, themes, "v2")
        for item_id, (rel, themes) in zip(ids, kinds * len(ids), strict=False)
    ]


def test_a_mixed_retag_leaves_rollups_equal_to_a_full_rebuild(sessions):
    ids = _store(sessions)
    with sessions.begin() as s:
        changed = retag_store.apply_retag(s, _mixed_updates(ids))
    assert changed > 0
    _assert_rollups_equal_a_rebuild(sessions)
    with sessions.begin() as s:
        themes = _themes(s)
        assert set(s.scalars(select(Item.tagged_with))) == {"v2"}
    assert themes[(ids[0], "nk_weapons")] == (0.7, 9)
    assert themes[(ids[1], "jk_cooperation")] == (0.5, 3)
    assert not any(key[0] == ids[2] for key in themes)
    assert themes[(ids[3], "history")] == (0.4, 2) and (ids[3], "nk_weapons") not in themes


def _as_stored(s) -> list[retag_store.RetagUpdate]:  # type: ignore[no-untyped-def]
    """The stored tags of every item, as the updates that would store them again."""
    themes: dict[int, list[ThemeIn]] = {}
    for row in s.execute(select(ItemTheme).order_by(ItemTheme.theme_id)).scalars():
        themes.setdefault(row.item_id, []).append(
            ThemeIn(row.theme_id, row.score, tuple(row.evidence))
        )
    return [
        retag_store.RetagUpdate(r.id, r.relevance, r.relevant, tuple(themes.get(r.id, ())), "v1")
        for r in s.execute(select(Item).order_by(Item.id)).scalars()
    ]


def test_retagging_back_restores_the_original_themes_and_rollups_exactly(sessions):
    ids = _store(sessions)
    with sessions.begin() as s:
        before = (_themes(s), _rollups(s))
        original = _as_stored(s)
    with sessions.begin() as s:
        changed = retag_store.apply_retag(s, _mixed_updates(ids))
    with sessions.begin() as s:
        assert retag_store.apply_retag(s, original) == changed
    with sessions.begin() as s:
        assert (_themes(s), _rollups(s)) == before


def test_an_item_moving_out_of_and_back_into_a_cell_writes_nothing_there(sessions):
    """Netted deltas: -1 and +1 on a cell that does not exist must not create it."""
    _store(sessions, n=2)
    day = (START + timedelta(days=400)).date()
    with sessions.begin() as s:
        delta = rollups.RollupDelta()
        delta.item((day, 1, "en", 5), True, -1)
        delta.item((day, 1, "en", 5), True, +1)
        delta.theme((day, 1, "en", 5, "nk_weapons"), False, -1)
        delta.theme((day, 1, "en", 5, "nk_weapons"), False, +1)
        delta.apply(s)
    with sessions.begin() as s:
        assert s.scalar(select(DailyTotal.items).where(DailyTotal.day == day)) is None
        assert s.scalar(select(DailyThemeCount.items).where(DailyThemeCount.day == day)) is None
    _assert_rollups_equal_a_rebuild(sessions)


def test_theme_rows_are_updated_in_place_and_equal_evidence_in_another_encoding_is_kept(sessions):
    ids = _store(sessions, n=2)
    with sessions.begin() as s:
        # The same evidence stored with another JSON spacing still counts as unchanged.
        s.execute(
            update(ItemTheme)
            .where(ItemTheme.item_id == ids[0])
            .values(evidence=json.loads(json.dumps(list(EVIDENCE), separators=(",", ":"))))
        )
        row = s.execute(select(Item.relevance, Item.relevant).where(Item.id == ids[0])).one()
        same = retag_store.RetagUpdate(
            ids[0], row.relevance, row.relevant, (ThemeIn("nk_weapons", 0.8, EVIDENCE),), "v1"
        )
        assert retag_store.apply_retag(s, [same]) == 0
        new_evidence = ({"term": "ICBM", "field": "title", "count": 3},)
        rescored = retag_store.RetagUpdate(
            ids[0], row.relevance, row.relevant, (ThemeIn("nk_weapons", 0.8, new_evidence),), "v2"
        )
        assert retag_store.apply_retag(s, [rescored]) == 1
    with sessions.begin() as s:
        stored = s.execute(
            select(ItemTheme.theme_id, ItemTheme.evidence).where(ItemTheme.item_id == ids[0])
        ).all()
        assert stored == [("nk_weapons", list(new_evidence))]
        assert s.scalar(select(Item.tagged_with).where(Item.id == ids[0])) == "v2"
    _assert_rollups_equal_a_rebuild(sessions)


def test_a_batch_that_fails_midway_leaves_old_tags_and_rollups_untouched(sessions):
    ids = _store(sessions)
    with sessions.begin() as s:
        before = (_themes(s), _rollups(s), set(s.execute(select(Item.id, Item.relevance))))
    updates = _mixed_updates(ids)
    # An unknown theme fails on insert, after the item and theme updates of the batch ran.
    updates[-1] = retag_store.RetagUpdate(
        ids[-1], 0.9, True, (ThemeIn("no_such_theme", 1.0),), "v2"
    )
    with pytest.raises(IntegrityError), sessions.begin() as s:
        retag_store.apply_retag(s, updates)
    with sessions.begin() as s:
        after = (_themes(s), _rollups(s), set(s.execute(select(Item.id, Item.relevance))))
        assert set(s.scalars(select(Item.tagged_with))) == {None}
    assert after == before
