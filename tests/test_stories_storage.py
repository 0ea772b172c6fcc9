"""Story storage on SQLite and PostgreSQL: assignments stored, range reads, detail, item lookup.

The tests compute every expected figure from the members they placed themselves.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from jkwatch.db import feeds as feed_store
from jkwatch.db import items as item_store
from jkwatch.db.models import Story
from jkwatch.db.stories import stories_in_range, story_detail, story_id_of_item
from jkwatch.db.stories.ranking import Coverage, story_score
from jkwatch.db.stories.writes import copy_item_columns, save_assignments
from jkwatch.db.themes import ThemeInfo, sync_themes
from jkwatch.model import StoryAssignment
from tests.factories import entry, feed_spec

THEMES = [ThemeInfo("nk_weapons", "NK weapons", "", 0), ThemeInfo("jk_cooperation", "JK", "", 1)]


def _at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def _corpus(sessions) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Three outlets; story X (3 outlets, 2 languages), story Y (one outlet, began before the
    range), story Z (one item below the relevance threshold). Returns item ids by key."""
    plan = {
        "a": [
            ("x1", "Missile launch draws condemnation", _at(2, 9), 0.9, ("nk_weapons",), "en"),
            ("y1", "Defence talks open in Tokyo", _at(1, 9), 0.9, ("jk_cooperation",), "en"),
            ("y2", "Defence talks end with a pledge", _at(4, 9), 0.6, ("jk_cooperation",), "en"),
        ],
        "b": [
            ("x2", "Pyongyang fires missile, Seoul says", _at(2, 12), 0.8, ("nk_weapons",), "en"),
            ("z1", "Ferry schedule changes", _at(3, 9), 0.2, (), "en"),
        ],
        "c": [
            ("x3", "北朝鮮がミサイル発射", _at(3, 1), 0.7, ("nk_weapons", "jk_cooperation"), "ja"),
        ],
    }
    ids: dict[str, int] = {}
    with sessions.begin() as s:
        sync_themes(s, THEMES)
        for n, (outlet, entries) in enumerate(plan.items(), start=1):
            feed = feed_store.upsert_feed(s, feed_spec(n, name=f"Outlet {outlet.upper()}"))[0]
            batch = [
                entry(
                    key,
                    title=title,
                    published=at,
                    relevance=rel,
                    themes=themes,
                    language=lang,
                    url=f"https://{outlet}.example/{key}",
                )
                for key, title, at, rel, themes, lang in entries
            ]
            new = item_store.store_entries(s, feed, batch).new_ids
            ids.update(zip([e[0] for e in entries], new, strict=True))
        x = min(ids["x1"], ids["x2"], ids["x3"])
        y = min(ids["y1"], ids["y2"])
        save_assignments(
            s,
            [
                StoryAssignment(ids["x1"], x, 1.0, ("missile",), title_item_id=ids["x2"]),
                StoryAssignment(ids["x2"], x, 0.6, ("missile", "launch")),
                StoryAssignment(ids["x3"], x, 1.0, ("analyst",)),
                StoryAssignment(ids["y1"], y),
                StoryAssignment(ids["y2"], y, 0.5, ("defence", "talks")),
                StoryAssignment(ids["z1"], ids["z1"]),
            ],
        )
    return ids


def test_a_range_lists_its_stories_ranked_by_coverage_with_figures_inside_the_range(sessions):
    ids = _corpus(sessions)
    with sessions() as s:
        found = stories_in_range(s, date(2026, 11, 2), date(2026, 11, 4))
    x = min(ids["x1"], ids["x2"], ids["x3"])
    y = min(ids["y1"], ids["y2"])
    assert [story.story_id for story in found] == [x, y]  # z is below the relevance threshold
    top, second = found
    assert top.items == 3 and top.outlets == 3
    assert top.outlet_names == ("Outlet A", "Outlet B", "Outlet C")
    assert top.languages == ("en", "ja")
    assert top.themes == ("nk_weapons", "jk_cooperation")
    assert top.item_ids == (ids["x1"], ids["x2"], ids["x3"])
    assert top.urls == ("https://a.example/x1", "https://b.example/x2", "https://c.example/x3")
    assert top.title == "Pyongyang fires missile, Seoul says"
    assert top.first_seen == _at(2, 9) and top.last_seen == _at(3, 1)
    expected = story_score(Coverage(items=3, outlets=3, languages=2, relevance_sum=2.4))
    assert top.score == expected
    assert "3 outlets" in top.why and "3 items" in top.why and "2 languages" in top.why
    # Y began before the range: only its item inside counts, first_seen stays the story's own.
    assert second.items == 1 and second.item_ids == (ids["y2"],)
    assert second.first_seen == _at(1, 9) and second.last_seen == _at(4, 9)
    assert second.title == "Defence talks open in Tokyo"  # no title chosen: the earliest


def test_filters_count_only_the_matching_items_of_each_story(sessions):
    ids = _corpus(sessions)
    x = min(ids["x1"], ids["x2"], ids["x3"])
    with sessions() as s:
        by_lang = stories_in_range(s, date(2026, 11, 1), date(2026, 11, 4), languages=["ja"])
        by_theme = stories_in_range(
            s, date(2026, 11, 1), date(2026, 11, 4), themes=["jk_cooperation"]
        )
        everything = stories_in_range(
            s, date(2026, 11, 1), date(2026, 11, 4), relevant_only=False, limit=None
        )
        top_one = stories_in_range(s, date(2026, 11, 1), date(2026, 11, 4), limit=1)
        empty = stories_in_range(s, date(2026, 12, 1), date(2026, 12, 7))
    assert [(st.story_id, st.item_ids) for st in by_lang] == [(x, (ids["x3"],))]
    assert {st.story_id: st.items for st in by_theme} == {x: 1, min(ids["y1"], ids["y2"]): 2}
    assert len(everything) == 3 and ids["z1"] in {st.story_id for st in everything}
    assert [st.story_id for st in top_one] == [x]
    assert empty == []


def test_a_story_detail_lists_every_member_oldest_first(sessions):
    ids = _corpus(sessions)
    x = min(ids["x1"], ids["x2"], ids["x3"])
    with sessions() as s:
        detail = story_detail(s, x)
        missing = story_detail(s, 10**9)
    assert detail is not None and missing is None
    assert [m.item_id for m in detail.members] == [ids["x1"], ids["x2"], ids["x3"]]
    assert detail.members[2].feed_name == "Outlet C" and detail.members[2].language == "ja"
    assert detail.members[0].url == "https://a.example/x1"
    assert detail.summary.items == 3 and detail.summary.story_id == x


def test_an_item_knows_its_story_and_reassigning_it_updates_both_stories(sessions):
    ids = _corpus(sessions)
    x = min(ids["x1"], ids["x2"], ids["x3"])
    with sessions() as s:
        assert story_id_of_item(s, ids["x3"]) == x
        assert story_id_of_item(s, 10**9) is None
    with sessions.begin() as s:
        save_assignments(s, [StoryAssignment(ids["x3"], ids["x3"])])
    with sessions() as s:
        assert story_id_of_item(s, ids["x3"]) == ids["x3"]
        stories = {row.id: row for row in s.scalars(select(Story))}
    assert stories[x].items == 2 and stories[x].last_seen == _at(2, 12)
    assert stories[ids["x3"]].items == 1 and stories[ids["x3"]].title == "北朝鮮がミサイル発射"


def test_a_story_left_without_members_disappears(sessions):
    ids = _corpus(sessions)
    with sessions.begin() as s:
        save_assignments(s, [StoryAssignment(ids["z1"], ids["y1"])])
    with sessions() as s:
        assert s.get(Story, ids["z1"]) is None
        assert s.get(Story, min(ids["y1"], ids["y2"])).items == 3  # type: ignore[union-attr]


def test_a_retag_refreshes_the_copied_relevance(sessions):
    ids = _corpus(sessions)
    with sessions.begin() as s:
        from jkwatch.db.models import Item

        s.get(Item, ids["z1"]).relevant = True  # type: ignore[union-attr]
        s.get(Item, ids["z1"]).relevance = 0.95  # type: ignore[union-attr]
        s.flush()
        copy_item_columns(s, [ids["z1"]])
    with sessions() as s:
        found = stories_in_range(s, date(2026, 11, 3), date(2026, 11, 3), limit=None)
    assert ids["z1"] in {st.story_id for st in found}


def test_an_item_whose_date_moves_is_counted_on_its_new_day_and_its_story_follows(sessions):
    ids = _corpus(sessions)
    y = min(ids["y1"], ids["y2"])
    with sessions.begin() as s:
        from jkwatch.db.models import Item

        moved = s.get(Item, ids["y2"])
        assert moved is not None
        moved.published_at, moved.day = _at(10, 9), date(2026, 11, 10)
        s.flush()
        copy_item_columns(s, [ids["y2"]])
    with sessions() as s:
        on_new_day = stories_in_range(s, date(2026, 11, 10), date(2026, 11, 10), limit=None)
        on_old_day = stories_in_range(s, date(2026, 11, 4), date(2026, 11, 4), limit=None)
        story = s.get(Story, y)
    assert [st.item_ids for st in on_new_day if st.story_id == y] == [(ids["y2"],)]
    assert y not in {st.story_id for st in on_old_day}
    assert story is not None and story.last_seen == _at(10, 9)
