"""The dashboard's read side on real SQLite and PostgreSQL, against a corpus with known numbers."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from jkwatch.db import item_lists, overview, search, theme_detail, trends
from jkwatch.db.dialect import fts5_expression
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.query_filters import Filters
from tests.seed_dashboard import (
    FIRST_DAY,
    LAST_DAY,
    SEARCH_TITLES,
    XSS_TITLE,
    corpus,
    week_of,
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(request, seeded_url):
    """One seeded database per backend, shared: these queries only read."""
    engine = make_engine(seeded_url(request.param), read_only=True)
    yield make_sessionmaker(engine), corpus()
    engine.dispose()


def _expected_weekly(items, keep) -> Counter:
    return Counter((week_of(it.day), theme) for it in items if keep(it) for theme in it.themes)


def _series_counts(points) -> Counter:
    return Counter({(p.period, p.theme_id): p.count for p in points if p.count})


def test_weekly_counts_per_theme_match_the_seeded_items(seeded):
    sessions, items = seeded
    with sessions() as s:
        points = trends.theme_series(s, Filters(), "week")
    assert _series_counts(points) == _expected_weekly(items, lambda it: True)
    assert {p.period.weekday() for p in points} == {0}  # weeks start on Monday


def test_daily_and_monthly_grains_add_up_to_the_same_totals(seeded):
    sessions, items = seeded
    with sessions() as s:
        by_day = trends.theme_series(s, Filters(themes=("nk_weapons",)), "day")
        by_month = trends.theme_series(s, Filters(themes=("nk_weapons",)), "month")
    expected = sum(1 for it in items if "nk_weapons" in it.themes)
    assert sum(p.count for p in by_day) == expected == sum(p.count for p in by_month)
    assert {p.period.day for p in by_month} == {1}
    assert sum(p.total for p in by_month) == len(items)


def test_filters_on_language_relevance_and_dates_change_the_counts(seeded):
    sessions, items = seeded
    start, end = FIRST_DAY + timedelta(days=14), FIRST_DAY + timedelta(days=41)
    view = Filters(start=start, end=end, languages=("ja", "ko"), min_bucket=5)
    with sessions() as s:
        points = trends.theme_series(s, view, "week")

    def keep(it):
        return start <= it.day <= end and it.language in ("ja", "ko") and it.relevance >= 0.5

    assert _series_counts(points) == _expected_weekly(items, keep)
    assert _series_counts(points) != _expected_weekly(items, lambda it: True)


def test_feed_filter_and_story_mode_count_only_story_leads_of_that_feed(seeded):
    sessions, items = seeded
    with sessions() as s:
        feed_ids = {o.name: o.id for o in overview.filter_options(s).feeds}
        view = Filters(feeds=(feed_ids["Seoul Daily"],), stories=True)
        points = trends.theme_series(s, view, "week")
    expected = _expected_weekly(items, lambda it: it.feed == 3 and it.lead)
    assert _series_counts(points) == expected
    assert sum(expected.values()) < sum(_expected_weekly(items, lambda it: it.feed == 3).values())


def test_shares_use_exact_denominators_of_all_and_of_relevant_items(seeded):
    sessions, items = seeded
    with sessions() as s:
        points = trends.theme_series(s, Filters(themes=("jk_cooperation",)), "week")
    for point in points:
        week = [it for it in items if week_of(it.day) == point.period]
        relevant = [it for it in week if it.relevance >= 0.5]
        assert point.total == len(week)
        assert point.relevant_total == len(relevant)
        assert point.relevant_count == sum("jk_cooperation" in it.themes for it in relevant)
        if relevant:
            assert point.share_of_relevant == point.relevant_count / len(relevant)
        assert 0 <= point.share_of_all <= 1


def test_spikes_state_their_method_and_find_the_burst_in_the_last_week(seeded):
    sessions, _ = seeded
    with sessions() as s:
        found = trends.spikes(s, Filters(end=LAST_DAY))
        everything = trends.spikes(s, Filters(end=LAST_DAY), include_all=True)
    assert "8 weeks" in trends.SPIKE_METHOD and "z" in trends.SPIKE_METHOD
    rises = [spike for spike in found if spike.direction == "rise"]
    assert [spike.theme_id for spike in rises] == ["nk_weapons"]
    assert rises[0].recent >= 12 and rises[0].recent_end == LAST_DAY
    assert {spike.theme_id for spike in everything} >= {"nk_weapons", "jk_cooperation"}


def test_items_behind_a_weekly_number_are_exactly_that_many(seeded):
    sessions, items = seeded
    week = week_of(LAST_DAY)
    with sessions() as s:
        points = trends.theme_series(s, Filters(themes=("nk_weapons",)), "week")
        number = next(p.count for p in points if p.period == week)
        page = item_lists.items_behind(
            s, "nk_weapons", week, week + timedelta(days=6), Filters(), page_size=200
        )
    assert page.total == number == len(page.items)
    assert all("nk_weapons" in hit.themes for hit in page.items)
    assert all(week <= hit.day <= week + timedelta(days=6) for hit in page.items)


def test_blank_search_lists_the_newest_items_with_the_total_for_pagination(seeded):
    sessions, items = seeded
    with sessions() as s:
        first = search.search_items(s, "", Filters(), page=1, page_size=10)
        second = search.search_items(s, "", Filters(), page=2, page_size=10)
        themed = search.search_items(s, "", Filters(themes=("nk_weapons",)), page_size=5)
        both = search.search_items(s, "", Filters(themes=("nk_weapons", "jk_cooperation")))
    assert first.total == len(items) and first.pages == -(-len(items) // 10)
    days = [hit.day for hit in first.items + second.items]
    assert days == sorted(days, reverse=True)
    assert not {h.id for h in first.items} & {h.id for h in second.items}
    assert themed.total == sum("nk_weapons" in it.themes for it in items)
    assert both.total == sum(bool(it.themes) for it in items)


@pytest.mark.parametrize(
    ("query", "language"),
    [
        ("trilateral drill", "en"),
        ("JEJU", "en"),
        ("弾道ミサイル", "ja"),
        ("北朝鮮", "ja"),
        ("탄도미사일", "ko"),
        ("북한", "ko"),
    ],
)
def test_search_finds_english_japanese_and_korean_titles(seeded, query, language):
    sessions, _ = seeded
    with sessions() as s:
        page = search.search_items(s, query, Filters())
    assert page.total == 1 and len(page.items) == 1
    assert page.items[0].title == SEARCH_TITLES[language]


def test_a_single_cjk_character_is_searched_as_a_prefix(seeded):
    sessions, _ = seeded
    with sessions() as s:
        page = search.search_items(s, "北", Filters())
    assert [hit.title for hit in page.items] == [SEARCH_TITLES["ja"]]


def test_search_combines_with_filters(seeded):
    sessions, _ = seeded
    with sessions() as s:
        assert search.search_items(s, "北朝鮮", Filters(languages=("en",))).total == 0
        assert search.search_items(s, "security report", Filters(languages=("en",))).total > 0


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "'",
        "%",
        "_",
        "*",
        "NEAR",
        "NEAR(security report)",
        "security OR missile",
        "-security",
        "(security",
        "security)",
        'report" OR "x',
        "report*",
        "%report%",
        "security AND NOT report",
        "title:security",
        "a & b | !c <-> d",
        "\\",
    ],
)
def test_search_reads_operators_and_wildcards_as_plain_text(seeded, query):
    sessions, items = seeded
    with sessions() as s:
        page = search.search_items(s, query, Filters())
    # Whatever the input, it is matched as words: never an error, never "match everything"
    # unless the query holds no searchable word at all.
    assert page.total <= len(items)
    if query in ("security OR missile", "title:security"):
        assert page.total == 0  # "or" and "title" are words here, not operators or columns
    if query == "NEAR":
        assert [hit.title for hit in page.items] == [SEARCH_TITLES["en"]]  # "... drill near Jeju"
    if query in ("report*", "%report%", "(security", "security)"):
        assert page.total == sum(it.title.startswith("Security report") for it in items)


def test_the_fts5_expression_quotes_every_phrase():
    assert fts5_expression(search.phrases('弾道 "x" OR')) == '"弾道" AND "x" AND "or"'
    assert fts5_expression(search.phrases("北")) == '"北"*'
    assert fts5_expression(search.phrases("%*()")) is None


def test_an_html_title_comes_back_verbatim_as_text(seeded):
    sessions, _ = seeded
    with sessions() as s:
        page = search.search_items(s, "script alert", Filters())
    assert [hit.title for hit in page.items] == [XSS_TITLE]


def test_evidence_lists_terms_and_fields_per_theme(seeded):
    sessions, _ = seeded
    with sessions() as s:
        hit = search.search_items(s, "", Filters(themes=("jk_cooperation",))).items[0]
        evidence = item_lists.item_themes_with_evidence(s, [hit.id])
    rows = evidence[hit.id]
    assert {row.theme_id for row in rows} == set(hit.themes)
    assert rows[0].evidence[0]["term"] == "missile" and rows[0].evidence[0]["field"] == "title"


def test_theme_detail_has_volume_sources_cooccurrence_and_terms(seeded):
    sessions, items = seeded
    with sessions() as s:
        detail = theme_detail.theme_detail(s, "jk_cooperation", Filters(), "week")
    own = [it for it in items if "jk_cooperation" in it.themes]
    assert detail.theme is not None and detail.theme.description
    assert sum(v.count for v in detail.volume) == len(own)
    assert sum(src.count for src in detail.sources) == len(own)
    cells = {(c.theme_a, c.theme_b): c.count for c in detail.cooccurrence}
    both = sum(1 for it in items if set(it.themes) == {"nk_weapons", "jk_cooperation"})
    assert (
        cells[("jk_cooperation", "nk_weapons")] == both == cells[("nk_weapons", "jk_cooperation")]
    )
    assert cells[("jk_cooperation", "jk_cooperation")] == len(own)
    # The pairs are counted over the theme's own items: its partners, not a global heatmap.
    assert cells[("nk_weapons", "nk_weapons")] == both
    assert detail.cooccurrence_scanned == len(own)
    assert detail.terms[0].term == "missile" and detail.terms[0].items == len(own)
    assert detail.terms_scanned == len(own)


def test_overview_and_synthetic_flag_on_an_ordinary_database(seeded):
    sessions, items = seeded
    with sessions() as s:
        counts = overview.overview_counts(s)
        assert not overview.is_synthetic(s)
    assert counts.items == len(items) and counts.feeds == 3
    assert counts.first_day == FIRST_DAY and counts.last_day == LAST_DAY


def test_an_empty_database_gives_empty_results(sessions):
    with sessions() as s:
        assert trends.theme_series(s, Filters(), "week") == []
        assert trends.spikes(s, Filters()) == []
        assert search.search_items(s, "missile", Filters()).total == 0
        assert overview.overview_counts(s).items == 0
