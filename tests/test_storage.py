"""Storage behaviour on real SQLite and PostgreSQL: idempotent upserts, exact rollups."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from jkwatch.db import feeds as feed_store
from jkwatch.db import items as item_store
from jkwatch.db import leases, search
from jkwatch.db import retag as retag_store
from jkwatch.db.dialect import text_match
from jkwatch.db.models import DailyThemeCount, DailyTotal, Item, ItemTheme
from jkwatch.db.themes import ThemeInfo, sync_themes
from jkwatch.model import FeedUpdate, FetchOutcome, ThemeIn
from tests.factories import entry, feed_spec

THEMES = [ThemeInfo("nk_weapons", "NK weapons", "", 0), ThemeInfo("jk_cooperation", "JK", "", 1)]


def _setup(sessions, n_feeds: int = 1):
    with sessions.begin() as s:
        sync_themes(s, THEMES)
        return [feed_store.upsert_feed(s, feed_spec(i))[0] for i in range(1, n_feeds + 1)]


def _rollup_matches_items(s) -> None:
    direct = dict(
        s.execute(select(ItemTheme.theme_id, func.count()).group_by(ItemTheme.theme_id)).all()
    )
    rolled = dict(
        s.execute(
            select(DailyThemeCount.theme_id, func.sum(DailyThemeCount.items)).group_by(
                DailyThemeCount.theme_id
            )
        ).all()
    )
    assert {k: int(v) for k, v in rolled.items()} == direct
    total_items = s.scalar(select(func.count()).select_from(Item))
    assert int(s.scalar(select(func.coalesce(func.sum(DailyTotal.items), 0)))) == total_items


def test_storing_the_same_entries_twice_creates_no_duplicates(sessions):
    (feed,) = _setup(sessions)
    batch = [entry("a"), entry("b", url="https://example.com/b")]
    with sessions.begin() as s:
        first = item_store.store_entries(s, feed, batch)
    with sessions.begin() as s:
        second = item_store.store_entries(s, feed, batch)
    assert first.items_new == 2 and second.items_new == 0 and second.unchanged == 2
    with sessions.begin() as s:
        assert item_store.count_items(s) == 2
        _rollup_matches_items(s)


def test_same_canonical_url_in_another_feed_is_not_stored_again(sessions):
    one, two = _setup(sessions, 2)
    with sessions.begin() as s:
        item_store.store_entries(s, one, [entry("x", url="https://news.example/a")])
    with sessions.begin() as s:
        result = item_store.store_entries(s, two, [entry("y", url="https://news.example/a")])
    assert result.items_new == 0 and result.unchanged == 1


def test_a_changed_entry_is_updated_in_place_with_its_themes(sessions):
    (feed,) = _setup(sessions)
    with sessions.begin() as s:
        item_store.store_entries(s, feed, [entry("a")])
    with sessions.begin() as s:
        result = item_store.store_entries(
            s,
            feed,
            [
                entry(
                    "a",
                    title="Japan and South Korea hold defence talks",
                    themes=("jk_cooperation",),
                )
            ],
        )
    assert result.items_updated == 1
    with sessions.begin() as s:
        assert s.scalar(select(Item.title)) == "Japan and South Korea hold defence talks"
        assert list(s.scalars(select(ItemTheme.theme_id))) == ["jk_cooperation"]
        _rollup_matches_items(s)


def test_duplicate_guids_within_one_feed_document_keep_the_first(sessions):
    (feed,) = _setup(sessions)
    with sessions.begin() as s:
        result = item_store.store_entries(s, feed, [entry("a"), entry("a", title="other")])
    assert result.items_new == 1 and result.unchanged == 1


def test_stories_point_at_their_first_item(sessions):
    (feed,) = _setup(sessions)
    lead = entry("lead")
    copy = entry("copy", story_of_entry=lead.entry_key)
    with sessions.begin() as s:
        result = item_store.store_entries(s, feed, [lead, copy])
    lead_id, copy_id = result.new_ids
    with sessions.begin() as s:
        stories = dict(s.execute(select(Item.id, Item.story_id)).all())
        assert stories == {lead_id: lead_id, copy_id: lead_id}
        assert s.scalar(select(func.sum(DailyTotal.stories))) == 1
        assert s.scalar(select(func.sum(DailyTotal.items))) == 2


def test_rollups_count_per_day_and_relevance_bucket(sessions):
    (feed,) = _setup(sessions)
    day1 = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
    day2 = day1 + timedelta(hours=1)
    with sessions.begin() as s:
        item_store.store_entries(
            s,
            feed,
            [
                entry("a", published=day1),
                entry("b", published=day2),
                entry("c", published=day2, relevance=0.2),
            ],
        )
    with sessions.begin() as s:
        rows = s.execute(
            select(DailyTotal.day, DailyTotal.rel_bucket, DailyTotal.items).order_by(
                DailyTotal.day, DailyTotal.rel_bucket
            )
        ).all()
        assert rows == [
            (date(2026, 11, 2), 9, 1),
            (date(2026, 11, 3), 2, 1),
            (date(2026, 11, 3), 9, 1),
        ]
        _rollup_matches_items(s)


def test_times_come_back_as_aware_utc(sessions):
    (feed,) = _setup(sessions)
    tokyo = datetime(2026, 11, 2, 18, 0, tzinfo=UTC) + timedelta()
    with sessions.begin() as s:
        item_store.store_entries(s, feed, [entry("a", published=tokyo)])
    with sessions.begin() as s:
        stored = s.scalar(select(Item.published_at))
    assert stored == tokyo and stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


def test_retag_replaces_themes_and_keeps_rollups_exact(sessions):
    (feed,) = _setup(sessions)
    with sessions.begin() as s:
        ids = item_store.store_entries(s, feed, [entry("a"), entry("b")]).new_ids
    with sessions.begin() as s:
        retag_store.apply_retag(
            s,
            [
                retag_store.RetagUpdate(
                    ids[0], 0.3, False, (ThemeIn("jk_cooperation", 0.5),), "v2"
                ),
                retag_store.RetagUpdate(ids[1], 0.9, True, (), "v2"),
            ],
        )
    with sessions.begin() as s:
        assert s.execute(
            select(ItemTheme.item_id, ItemTheme.theme_id, ItemTheme.rel_bucket)
        ).all() == [(ids[0], "jk_cooperation", 3)]
        _rollup_matches_items(s)


def test_fetch_attempts_are_logged_and_errors_counted(sessions):
    (feed,) = _setup(sessions)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    error = FetchOutcome(
        started_at=now, duration_ms=20_000, outcome="error", error="timed out after 20 s"
    )
    with sessions.begin() as s:
        feed_store.record_attempt(
            s,
            feed.id,
            error,
            FeedUpdate(next_fetch_at=now + timedelta(minutes=10), keep_validators=True),
        )
        record = feed_store.record_attempt(
            s,
            feed.id,
            error,
            FeedUpdate(next_fetch_at=now + timedelta(minutes=20), keep_validators=True),
        )
    assert record.error_count == 2 and record.last_error == "timed out after 20 s"
    ok = FetchOutcome(
        started_at=now, duration_ms=5, outcome="ok", http_status=200, items_seen=3, items_new=3
    )
    with sessions.begin() as s:
        record = feed_store.record_attempt(
            s, feed.id, ok, FeedUpdate(next_fetch_at=now, etag='"v1"')
        )
        assert len(feed_store.fetch_log(s, feed.id)) == 3
    assert record.error_count == 0 and record.etag == '"v1"' and record.last_new_item_at is not None


def test_a_claimed_feed_is_not_claimed_again_until_its_lease_expires(sessions):
    _setup(sessions, 2)
    # Feeds are due from the moment they are added (the real clock), so claim a day after that.
    now = datetime.now(UTC) + timedelta(days=1)
    with sessions.begin() as s:
        first = leases.claim_due_feeds(s, "w1", now, timedelta(minutes=5), limit=10)
    with sessions.begin() as s:
        second = leases.claim_due_feeds(s, "w2", now, timedelta(minutes=5), limit=10)
    with sessions.begin() as s:
        later = leases.claim_due_feeds(
            s, "w2", now + timedelta(minutes=6), timedelta(minutes=5), limit=10
        )
    assert len(first) == 2 and second == [] and len(later) == 2


def test_removing_a_feed_removes_its_items_and_rollups(sessions):
    (feed,) = _setup(sessions)
    with sessions.begin() as s:
        item_store.store_entries(s, feed, [entry("a")])
    with sessions.begin() as s:
        feed_store.remove_feed(s, feed.url)
    with sessions.begin() as s:
        assert item_store.count_items(s) == 0
        assert s.scalar(select(func.count()).select_from(DailyThemeCount)) == 0
        assert s.scalar(select(func.count()).select_from(DailyTotal)) == 0


def _matching(s, query: str) -> list[int]:
    return list(s.scalars(select(Item.id).where(text_match(Item.id, search.phrases(query)))))


def test_full_text_index_follows_inserts_and_updates(sessions):
    (feed,) = _setup(sessions)
    with sessions.begin() as s:
        item_store.store_entries(
            s, feed, [entry("a", title="北朝鮮が弾道ミサイルを発射", language="ja")]
        )
    with sessions.begin() as s:
        assert len(_matching(s, "弾道ミ")) == 1 and _matching(s, "巡航") == []
        item_store.store_entries(
            s, feed, [entry("a", title="北朝鮮が巡航ミサイルを発射", language="ja")]
        )
    with sessions.begin() as s:
        assert _matching(s, "弾道ミ") == [] and len(_matching(s, "巡航")) == 1


def test_pruning_the_fetch_log_drops_only_attempts_older_than_the_cutoff(sessions):
    (feed,) = _setup(sessions)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    with sessions.begin() as s:
        for age in (40, 31, 29, 0):
            outcome = FetchOutcome(
                started_at=now - timedelta(days=age), duration_ms=5, outcome="ok"
            )
            feed_store.record_attempt(s, feed.id, outcome, FeedUpdate(next_fetch_at=now))
    with sessions.begin() as s:
        assert feed_store.prune_fetch_log(s, keep_days=30, now=now) == 2
    with sessions.begin() as s:
        kept = [run.started_at for run in feed_store.fetch_log(s, feed.id)]
        assert feed_store.prune_fetch_log(s, keep_days=30, now=now) == 0
    assert kept == [now, now - timedelta(days=29)]


def test_items_added_in_separate_runs_accumulate_in_the_same_rollup_cell(sessions):
    (feed,) = _setup(sessions)
    with sessions.begin() as s:
        item_store.store_entries(s, feed, [entry("a")])
    with sessions.begin() as s:
        item_store.store_entries(s, feed, [entry("b"), entry("c", relevance=0.2)])
    with sessions.begin() as s:
        assert s.scalar(select(func.sum(DailyTotal.items))) == 3
        assert (
            s.scalar(select(func.sum(DailyThemeCount.items)).where(DailyThemeCount.rel_bucket == 9))
            == 2
        )
        _rollup_matches_items(s)
