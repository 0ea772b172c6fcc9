"""``db.brief.build_brief`` and its renderers on SQLite and PostgreSQL, against figures this
test computes from the corpus it stored (``tests.brief_corpus``)."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import pytest

from jkwatch.brief_render import brief_json, render_html, render_markdown
from jkwatch.db import trends
from jkwatch.db.brief import build_brief
from jkwatch.db.query_filters import Filters
from jkwatch.db.stories import stories_in_range
from tests.brief_corpus import (
    LABELS,
    SINCE,
    UNTIL,
    XSS_TITLE,
    Planned,
    count,
    seed_brief,
    story_id_by_key,
)


def _expected_mover(items: list[Planned], theme: str, since: date, until: date, keep) -> tuple:
    length = (until - since).days + 1
    now = count(items, theme, since, until, keep)
    before = [
        count(
            items,
            theme,
            since - timedelta(days=length * k),
            until - timedelta(days=length * k),
            keep,
        )
        for k in range(1, 9)
    ]
    mean = sum(before) / 8
    std = math.sqrt(sum((x - mean) ** 2 for x in before) / 8)
    return now, round(mean, 2), round((now - mean) / max(std, 1), 2)


def _relevant(it: Planned) -> bool:
    return it.relevance >= 0.5


def test_movers_count_relevant_items_against_eight_weeks_and_sort_by_size_of_move(sessions):
    items, ids = seed_brief(sessions)
    with sessions() as s:
        brief = build_brief(s, SINCE, UNTIL)
    expected = {theme: _expected_mover(items, theme, SINCE, UNTIL, _relevant) for theme in LABELS}
    got = {m.theme: (m.count, m.baseline, m.z) for m in brief.movers}
    assert got == {theme: e for theme, e in expected.items() if e[2] != 0}
    assert [abs(m.z) for m in brief.movers] == sorted(
        (abs(m.z) for m in brief.movers), reverse=True
    )
    by_theme = {m.theme: m for m in brief.movers}
    assert by_theme["nk_weapons"].direction == "rise" and by_theme["nk_weapons"].z > 2
    assert by_theme["jk_cooperation"].direction == "fall"
    assert by_theme["nk_weapons"].label == LABELS["nk_weapons"]
    assert "8 periods of 7 days" in brief.baseline and "2026-09-14" in brief.baseline


def test_the_event_is_the_top_story_and_the_story_behind_the_rise(sessions):
    items, ids = seed_brief(sessions)
    stories = story_id_by_key(items, ids)
    with sessions() as s:
        brief = build_brief(s, SINCE, UNTIL, top=3)
    top = brief.stories[0]
    event = [it for it in items if it.story == "event"]
    assert top.story_id == stories["event"]
    assert top.items == 6 and top.outlets == 3 and top.languages == ("en", "ja")
    assert top.item_ids == tuple(
        ids[it.key] for it in sorted(event, key=lambda it: it.published_at)
    )
    assert sorted(top.urls) == sorted(it.url for it in event)
    assert top.themes == ("nk_weapons", "us_alliance")
    assert len(brief.stories) == 3
    rise = next(m for m in brief.movers if m.theme == "nk_weapons")
    assert rise.story_ids[0] == stories["event"] and len(rise.story_ids) == 3
    assert stories["follow"] in rise.story_ids
    # Irrelevant items are in no story of the brief.
    noise = {ids[it.key] for it in items if it.relevance < 0.5}
    assert not noise & {i for story in brief.stories for i in story.item_ids}


def test_language_and_theme_filters_apply_to_stories_movers_and_spikes(sessions):
    items, ids = seed_brief(sessions)
    with sessions() as s:
        english = build_brief(s, SINCE, UNTIL, languages=("en",))
        one_theme = build_brief(s, SINCE, UNTIL, themes=("jk_cooperation",))

    def keep(it: Planned) -> bool:
        return _relevant(it) and it.language == "en"

    got = {m.theme: (m.count, m.baseline, m.z) for m in english.movers}
    assert got["nk_weapons"] == _expected_mover(items, "nk_weapons", SINCE, UNTIL, keep)
    assert all(story.languages == ("en",) for story in english.stories)
    assert english.stories[0].items == 4 and english.stories[0].outlets == 2
    assert [m.theme for m in one_theme.movers] == ["jk_cooperation"]
    assert all("jk_cooperation" in story.themes for story in one_theme.stories)
    assert all(spike.theme_id == "jk_cooperation" for spike in one_theme.spikes)


def test_spikes_are_every_episode_of_the_range(sessions):
    seed_brief(sessions)
    long_since = SINCE - timedelta(days=20)
    with sessions() as s:
        brief = build_brief(s, long_since, UNTIL)
        expected = trends.spikes_in_range(s, Filters(min_bucket=5), long_since, UNTIL)
    assert brief.spikes == tuple(expected)
    rise = [e for e in brief.spikes if e.theme_id == "nk_weapons" and e.direction == "rise"]
    assert rise and rise[-1].end == UNTIL


def test_a_range_of_other_length_uses_periods_of_that_length(sessions):
    items, _ = seed_brief(sessions)
    since, until = SINCE + timedelta(days=3), SINCE + timedelta(days=4)
    with sessions() as s:
        brief = build_brief(s, since, until)
    nk = next(m for m in brief.movers if m.theme == "nk_weapons")
    assert (nk.count, nk.baseline, nk.z) == _expected_mover(
        items, "nk_weapons", since, until, _relevant
    )
    assert "8 periods of 2 days" in brief.baseline


def test_a_reversed_range_or_no_top_is_refused(sessions):
    with sessions() as s, pytest.raises(ValueError, match="after"):
        build_brief(s, UNTIL, SINCE)
    with sessions() as s, pytest.raises(ValueError, match="top"):
        build_brief(s, SINCE, UNTIL, top=0)


def test_the_json_holds_exactly_the_contract_keys(sessions):
    seed_brief(sessions)
    with sessions() as s:
        brief = build_brief(s, SINCE, UNTIL)
    doc = json.loads(json.dumps(brief_json(brief)))
    assert set(doc) == {"since", "until", "baseline", "stories", "movers", "spikes"}
    assert doc["since"] == "2026-11-09" and doc["until"] == "2026-11-15"
    assert set(doc["stories"][0]) == {
        "story_id", "title", "items", "outlets", "languages", "themes",
        "first_seen", "last_seen", "item_ids", "urls",
        "outlets_by_country",  # added by the Japan–Korea lens (issue 16): keys are only added
    }  # fmt: skip
    assert set(doc["stories"][0]["outlets_by_country"]) <= {"jp", "kr", "other"}
    assert set(doc["movers"][0]) == {
        "theme", "label", "count", "baseline", "z", "direction", "story_ids",
    }  # fmt: skip
    assert doc["spikes"] and set(doc["spikes"][0]) == {
        "theme", "start", "end", "count", "baseline", "z",
    }  # fmt: skip
    assert doc["stories"][0]["first_seen"].endswith("+00:00")


def test_markdown_and_html_escape_feed_text_and_name_themes_and_languages(sessions):
    seed_brief(sessions)
    with sessions() as s:
        brief = build_brief(s, SINCE, UNTIL)
    assert any(story.title == XSS_TITLE for story in brief.stories)
    page = render_html(brief, LABELS)
    assert (
        "<script" not in page
        and "<b>" not in page
        and "javascript:alert" not in page.replace("javascript:alert(1))", "")
    )
    assert "&lt;script&gt;" in page and "North Korean weapons" in page and "Japanese" in page
    assert "http" not in page.replace("https://outlet", "")  # no external request, no other link
    text = render_markdown(brief, LABELS)
    assert "<script" not in text and "\\[link\\]" in text
    assert "North Korean weapons" in text and "English" in text


def test_the_stories_behind_each_mover_are_those_stories_in_range_ranks_for_that_theme(sessions):
    seed_brief(sessions)
    with sessions() as s:
        brief = build_brief(s, SINCE, UNTIL, languages=("en", "ja"))
        for mover in brief.movers:
            expected = stories_in_range(
                s, SINCE, UNTIL, themes=(mover.theme,), languages=("en", "ja"), limit=3
            )
            assert mover.story_ids == tuple(story.story_id for story in expected)
