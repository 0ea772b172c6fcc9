"""Backfilled history on the dashboard (AppTest, server-side): the seam notice and the
live-start rule on Trends, the "include backfilled history" switch and its URL, the origin of
items in words, and the read-only Backfill section of the sources page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from jkwatch.dashboard.charts import SEAM_COLOUR, SEAM_LABEL, seam_frame, volume_chart
from jkwatch.dashboard.palette import THEME_COLOURS
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from tests.apptest_select import select_row
from tests.backfill_corpus import FAILED_ERROR, LIVE_DAY, Planned, seed

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
SEAM = f'"color": "{SEAM_COLOUR}"'
"""The live-start rule's mark in a chart's spec (its label travels in the chart's data)."""


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Planned]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('dash-backfill') / 'jkwatch.db'}"
    engine = make_engine(url)
    upgrade(engine)
    planned = seed(make_sessionmaker(engine))
    engine.dispose()
    yield url, planned


@pytest.fixture
def app(backfilled, monkeypatch) -> AppTest:
    monkeypatch.setenv("JKWATCH_DATABASE_URL", backfilled[0])
    st.cache_data.clear()
    st.cache_resource.clear()
    return AppTest.from_file(APP, default_timeout=30)


def _page(app: AppTest, page: str) -> AppTest:
    at = app.run()
    at.switch_page(page).run()
    _no_errors(at)
    return at


def _no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _metric(at: AppTest, startswith: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(startswith))


def _chart_specs(at: AppTest) -> str:
    return "\n".join(c.proto.spec for c in at.get("vega_lite_chart"))


def _notice(at: AppTest) -> str:
    return "\n".join(i.value for i in at.info if "backfilled items" in i.value)


def test_the_live_start_rule_is_drawn_only_when_given_and_never_in_a_themes_colour():
    assert SEAM_COLOUR.lower() not in {c.lower() for c in THEME_COLOURS.values()}
    frame = pd.DataFrame(
        {"period": pd.to_datetime(["2026-10-12", "2026-10-19"]), "count": [3, 4]}
    ).assign(relevant_count=[2, 3])
    with_seam = volume_chart(frame, "items", "week", "nk_weapons", seam=LIVE_DAY).to_dict()
    without = volume_chart(frame, "items", "week", "nk_weapons").to_dict()
    assert SEAM_COLOUR in json.dumps(with_seam) and SEAM_COLOUR not in json.dumps(without)
    assert list(seam_frame(LIVE_DAY)["seam"]) == [SEAM_LABEL]
    assert seam_frame(None).empty


def test_trends_say_backfilled_history_is_a_sample_and_mark_where_live_began(app, backfilled):
    planned = backfilled[1]
    at = _page(app, "app_pages/trends.py")
    notice = _notice(at)
    held = sum(p.backfilled for p in planned)
    assert f"This range holds {held:,} backfilled items" in notice
    assert "sample of past coverage" in notice and "Shares are the honest measure" in notice
    assert f"Live collection began on {LIVE_DAY}" in notice
    assert SEAM in _chart_specs(at)
    assert _metric(at, "All items") == f"{len(planned):,}"


def test_switching_backfill_off_counts_live_items_only_and_goes_into_the_url(app, backfilled):
    planned = backfilled[1]
    at = _page(app, "app_pages/trends.py")
    at.sidebar.toggle(key="f_backfill").set_value(False).run()
    _no_errors(at)
    assert _metric(at, "All items") == f"{sum(not p.backfilled for p in planned):,}"
    assert at.query_params.get("backfill") in ("0", ["0"])
    assert not _notice(at)
    assert any("left out" in c.value for c in at.caption)
    assert SEAM in _chart_specs(at)  # the seam is still where live collection began


def test_a_shared_url_without_backfill_opens_with_live_items_only(app, backfilled):
    planned = backfilled[1]
    app.query_params["backfill"] = "0"
    at = _page(app, "app_pages/trends.py")
    assert at.sidebar.toggle(key="f_backfill").value is False
    assert _metric(at, "All items") == f"{sum(not p.backfilled for p in planned):,}"


def test_the_notice_offers_shares_and_one_click_switches_the_chart_to_them(app):
    at = _page(app, "app_pages/trends.py")
    at.button(key="seam_to_share").click().run()
    _no_errors(at)
    assert at.radio(key="f_measure").value == "share_relevant"
    assert at.query_params.get("measure") in ("share_relevant", ["share_relevant"])


def test_items_tables_and_the_detail_panel_name_each_items_origin_in_words(app):
    app.query_params["rel"] = "0"
    at = _page(app, "app_pages/items.py")
    table = at.dataframe[0].value
    assert set(table["origin"]) == {"live feed", "backfill: Google News", "backfill: GDELT"}
    row = list(table["origin"]).index("backfill: GDELT")
    at = select_row(at, at.dataframe[0], row)
    _no_errors(at)
    assert any("backfill: GDELT" in c.value.replace("\\", "") for c in at.caption)


def test_the_sources_page_shows_the_backfill_apart_from_feed_health(app):
    at = _page(app, "app_pages/sources.py")
    health = next(d.value for d in at.dataframe if "error_streak" in d.value.columns)
    assert set(health["name"]) == {"Minato Daily", "Hangang Herald"}
    progress = next(d.value for d in at.dataframe if "split" in d.value.columns)
    google = progress[progress["source"] == "backfill: Google News"].iloc[0]
    assert (google["done"], google["split"], google["failed"]) == (2, 1, 1)
    assert google["items_stored"] == 55
    failed = next(d.value for d in at.dataframe if "error" in d.value.columns)
    assert list(failed["error"]) == [FAILED_ERROR]  # a plain cell, never markup
    assert not at.get("html")
    for md in at.markdown:
        assert not md.proto.allow_html


PAGES = [
    "app_pages/brief.py",
    "app_pages/trends.py",
    "app_pages/spikes.py",
    "app_pages/compare.py",
    "app_pages/items.py",
    "app_pages/theme_detail.py",
    "app_pages/sources.py",
]
COUNTING = {"app_pages/brief.py", "app_pages/trends.py", "app_pages/compare.py"}
"""Pages that say when the range holds backfilled history (Spikes and Theme detail too, when
their charts are drawn: below they may stop early on a quiet range)."""


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("backfill", ["1", "0"])
def test_every_page_renders_with_backfilled_history_on_and_off(app, page, backfill):
    app.query_params["backfill"] = backfill
    at = _page(app, page)
    assert at.title
    if page in COUNTING:
        assert bool(_notice(at)) is (backfill == "1")


@pytest.mark.parametrize("backfill", [True, False])
def test_japan_vs_korea_counts_follow_the_switch(app, backfilled, backfill):
    planned = [p for p in backfilled[1] if p.relevant and (backfill or not p.backfilled)]
    app.query_params["backfill"] = "1" if backfill else "0"
    at = _page(app, "app_pages/compare.py")
    assert _metric(at, "Japan's press") == f"{sum(p.country == 'jp' for p in planned):,}"
    assert _metric(at, "Korea's press") == f"{sum(p.country == 'kr' for p in planned):,}"


def test_the_sources_filter_tells_backfill_outlets_from_live_feeds(app):
    at = _page(app, "app_pages/trends.py")
    options = set(at.sidebar.multiselect(key="f_feeds").options)
    assert options == {
        "Minato Daily",
        "Hangang Herald",
        "Harbour Times (backfill: Google News)",
        "Peninsula Wire (backfill: GDELT)",
    }
