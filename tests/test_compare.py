"""``db.compare`` on SQLite and PostgreSQL against figures this test computes from the corpus
it stored (``tests.compare_corpus``): shares per country, the gap and its change over time,
one-sided stories, entities per side, and the items behind every number."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from jkwatch.db import compare as cmp
from jkwatch.db.compare import compare
from tests.compare_corpus import (
    LABELS,
    SINCE,
    UNTIL,
    Planned,
    relevant_in,
    seed_compare,
    story_id_by_key,
)


@pytest.fixture
def seeded(sessions):
    items, ids = seed_compare(sessions)
    return sessions, items, ids


def _expected_cells(items: list[Planned], first: date, last: date) -> dict[str, dict]:
    rel = relevant_in(items, first, last)
    totals = Counter(it.country for it in rel)
    out = {}
    for theme in LABELS:
        sides = {}
        for country in ("jp", "kr", "other"):
            n = sum(theme in it.themes and it.country == country for it in rel)
            sides[country] = (n, n / totals[country] if totals[country] else 0.0)
        out[theme] = sides
    return out


def test_theme_shares_per_country_equal_the_counts_of_the_planted_items(seeded):
    sessions, items, _ = seeded
    with sessions() as s:
        result = compare(s, SINCE, UNTIL)
    rel = relevant_in(items, SINCE, UNTIL)
    assert result.totals == {c: sum(it.country == c for it in rel) for c in ("jp", "kr", "other")}
    expected = _expected_cells(items, SINCE, UNTIL)
    assert {t.theme for t in result.themes} == set(LABELS)
    for t in result.themes:
        for country in ("jp", "kr", "other"):
            side = getattr(t, country)
            assert (side.items, side.share) == pytest.approx(expected[t.theme][country]), (
                t.theme,
                country,
            )
        assert t.gap == pytest.approx(expected[t.theme]["jp"][1] - expected[t.theme]["kr"][1])
        assert t.label == LABELS[t.theme]
    gaps = [abs(t.gap) for t in result.themes]
    assert gaps == sorted(gaps, reverse=True), "largest divergence first"
    # English-language reports from Seoul count for Korea.
    territorial = next(t for t in result.themes if t.theme == "territorial")
    assert territorial.kr.items == 4 and territorial.jp.items == 0 and territorial.gap < 0


def test_every_cell_lists_exactly_the_items_it_counts(seeded):
    sessions, items, ids = seeded
    with sessions() as s:
        result = compare(s, SINCE, UNTIL)
        for t in result.themes:
            for country in ("jp", "kr", "other"):
                behind = cmp.cell_item_ids(s, SINCE, UNTIL, t.theme, country)
                planted = [
                    it
                    for it in relevant_in(items, SINCE, UNTIL)
                    if t.theme in it.themes and it.country == country
                ]
                assert sorted(behind) == sorted(ids[it.key] for it in planted)
                assert len(behind) == getattr(t, country).items
        for country, total in result.totals.items():
            assert len(cmp.country_item_ids(s, SINCE, UNTIL, country)) == total


def test_a_country_without_relevant_items_has_share_zero(seeded):
    sessions, _, _ = seeded
    late = UNTIL + timedelta(days=1)  # only the Japanese "after" story (over two days)
    with sessions() as s:
        result = compare(s, late, late + timedelta(days=1))
    assert result.totals["kr"] == 0 and result.totals["jp"] == 3
    weapons = next(t for t in result.themes if t.theme == "nk_weapons")
    assert weapons.kr.share == 0.0 and weapons.jp.share == 1.0 and weapons.gap == 1.0


def test_the_gap_over_a_short_range_is_per_day_and_adds_up(seeded):
    sessions, items, _ = seeded
    with sessions() as s:
        result = compare(s, SINCE, UNTIL)
    assert result.grain == "day"
    days = {p.start for p in result.gap_over_time}
    assert days == {SINCE + timedelta(days=n) for n in range(14)}
    for p in result.gap_over_time:
        rel = relevant_in(items, p.start, p.end)
        for country, n, share in (("jp", p.jp_items, p.jp_share), ("kr", p.kr_items, p.kr_share)):
            total = sum(it.country == country for it in rel)
            expected = sum(p.theme in it.themes and it.country == country for it in rel)
            assert n == expected
            assert share == pytest.approx(expected / total if total else 0.0)
        assert p.gap == pytest.approx(p.jp_share - p.kr_share)


def test_a_long_range_gives_the_gap_per_week_with_edge_weeks_cut(seeded):
    sessions, items, _ = seeded
    first, last = SINCE - timedelta(days=4), UNTIL + timedelta(days=3)  # Thu .. Wed
    with sessions() as s:
        result = compare(s, first, last)
    assert result.grain == "week"
    periods = sorted({(p.start, p.end) for p in result.gap_over_time})
    assert periods[0] == (first, SINCE - timedelta(days=1))
    assert periods[-1] == (UNTIL + timedelta(days=1), last)
    assert all(start.weekday() == 0 for start, _ in periods[1:])
    for p in result.gap_over_time:
        expected = sum(
            p.theme in it.themes and it.country == "kr" for it in relevant_in(items, p.start, p.end)
        )
        assert p.kr_items == expected


def test_one_sided_stories_are_found_and_two_sided_ones_are_not(seeded):
    sessions, items, ids = seeded
    stories = story_id_by_key(items, ids)
    with sessions() as s:
        result = compare(s, SINCE, UNTIL)
    found = {o.story_id: o for o in result.one_sided_stories}
    assert set(found) == {stories["islets"], stories["memo"], stories["launch"]}
    islets, launch = found[stories["islets"]], found[stories["launch"]]
    assert (islets.side, islets.items_kr, islets.items_jp) == ("kr", 4, 0)
    assert (launch.side, launch.items_jp, launch.items_kr) == ("jp", 5, 1)
    assert islets.title.startswith("Coast guard ships circle")
    planted = sorted(
        (it for it in items if it.story == "launch"), key=lambda it: (it.published_at, ids[it.key])
    )
    assert launch.item_ids == tuple(ids[it.key] for it in planted)
    assert [o.story_id for o in result.one_sided_stories] == [
        stories["islets"],  # Korea: 4 items
        stories["memo"],  # Korea: 2 items
        stories["launch"],  # Japan
    ]
    # The rule, as stated: at least 2 on the covering side, the other at most a quarter.
    assert cmp.side_of(0, 2) == "kr" and cmp.side_of(1, 4) == "kr" and cmp.side_of(2, 4) is None
    assert cmp.side_of(0, 1) is None and cmp.side_of(5, 1) == "jp"


def test_irrelevant_and_out_of_range_stories_are_never_one_sided(seeded):
    sessions, items, ids = seeded
    stories = story_id_by_key(items, ids)
    with sessions() as s:
        wide = compare(s, SINCE - timedelta(days=7), UNTIL + timedelta(days=7))
    found = {o.story_id for o in wide.one_sided_stories}
    assert stories["festival"] not in found  # irrelevant
    assert {stories["before"], stories["after"]} <= found  # in this wider range they count
    with sessions() as s:
        top = cmp.one_sided_stories(s, SINCE - timedelta(days=7), UNTIL + timedelta(days=7), 1)
    assert [o.side for o in top] == ["kr", "jp"]
    assert top[1].story_id == stories["launch"], "largest first: 5 Japanese reports beat 3"


def test_entities_each_side_names_most_per_theme_and_overall(seeded):
    sessions, items, ids = seeded
    with sessions() as s:
        result = compare(s, SINCE, UNTIL)
        expected: Counter[tuple[str, str, str]] = Counter()
        for it in relevant_in(items, SINCE, UNTIL):
            if it.country not in ("jp", "kr"):
                continue
            for entity in it.entities:
                expected[("", it.country, entity)] += 1
                for theme in it.themes:
                    expected[(theme, it.country, entity)] += 1
        got = {(e.theme, e.side, e.entity_id): e.items for e in result.entities}
        assert got == dict(expected)
        kr_all = [e for e in result.entities if e.theme == "" and e.side == "kr"]
        assert [e.items for e in kr_all] == sorted((e.items for e in kr_all), reverse=True)
        for e in result.entities:
            behind = cmp.entity_item_ids(s, SINCE, UNTIL, e.entity_id, e.side, e.theme or None)
            assert len(behind) == e.items
        only = cmp.top_entities_by_side(s, SINCE, UNTIL, theme="territorial", top=1)
    assert [(e.side, e.entity_id, e.items) for e in only] == [("kr", "dokdo", 4)]
    islets = {ids[it.key] for it in items if it.story == "islets"}
    with sessions() as s:
        assert set(cmp.entity_item_ids(s, SINCE, UNTIL, "dokdo", "kr")) == islets


def test_a_reversed_range_is_an_error(sessions):
    with sessions() as s, pytest.raises(ValueError, match="after"):
        compare(s, UNTIL, SINCE)
