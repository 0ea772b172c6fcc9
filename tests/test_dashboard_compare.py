"""The dashboard's Japan vs Korea page run server-side with AppTest on a SQLite database holding
the comparison corpus (``tests.compare_corpus``): the figures of ``db.compare`` on the page,
and the items behind a selected theme, story and entity."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from jkwatch.dashboard.safe import escape_markdown
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from tests.apptest_select import select_row
from tests.compare_corpus import LABELS, SINCE, UNTIL, relevant_in, seed_compare

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PAGE = "app_pages/compare.py"


@pytest.fixture(scope="module")
def compare_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("compare-page") / "compare.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    items, ids = seed_compare(make_sessionmaker(engine))
    engine.dispose()
    return url, items, ids


@pytest.fixture
def page(compare_db, monkeypatch):
    url, _, _ = compare_db
    monkeypatch.setenv("JKWATCH_DATABASE_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["from"] = SINCE.isoformat()
    at.query_params["to"] = UNTIL.isoformat()
    at.run()
    return at.switch_page(PAGE).run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _table(at: AppTest, column: str, n: int = 0):
    return [d for d in at.dataframe if column in d.value.columns][n]


def test_the_page_shows_each_sides_totals_and_theme_shares(page, compare_db):
    _, items, _ = compare_db
    _ok(page)
    assert page.title[0].value == "Japan vs Korea"
    rel = relevant_in(items, SINCE, UNTIL)
    metrics = {m.label: m.value for m in page.metric}
    assert metrics["Japan's press: relevant items"] == str(sum(it.country == "jp" for it in rel))
    assert metrics["Korea's press: relevant items"] == str(sum(it.country == "kr" for it in rel))
    themes = _table(page, "Gap (points)").value.set_index("Theme")
    kr_total = sum(it.country == "kr" for it in rel)
    territorial = themes.loc[LABELS["territorial"]]
    assert territorial["Korea items"] == 4 and territorial["Japan items"] == 0
    assert territorial["Korea share"] == pytest.approx(100 * 4 / kr_total)
    assert len(page.get("vega_lite_chart")) >= 3  # shares, gap, gap over time


def test_the_items_behind_the_largest_gap_are_listed_and_a_row_picks_another(page, compare_db):
    _, items, ids = compare_db
    listed = _table(page, "title", 0).value
    first = page.subheader[0].value
    theme_table = _table(page, "Gap (points)")
    label = theme_table.value.iloc[0]["Theme"]
    theme = next(t for t, name in LABELS.items() if name == label)
    expected = {
        ids[it.key]
        for it in relevant_in(items, SINCE, UNTIL)
        if theme in it.themes and it.country == "jp"
    }
    assert first.startswith(label) and set(listed["id"]) == expected
    territorial = list(theme_table.value["Theme"]).index(LABELS["territorial"])
    at = select_row(page, theme_table, territorial)
    at.radio(key="compare_side").set_value("kr").run()
    _ok(at)
    listed = _table(at, "title", 0).value
    islets = {ids[it.key] for it in items if it.story == "islets"}
    assert set(listed["id"]) == islets


def test_one_sided_stories_are_listed_per_side_with_their_items(page, compare_db):
    _, items, ids = compare_db
    korea = _table(page, "Story", 0).value
    japan = _table(page, "Story", 1).value
    assert list(korea["Korea items"]) == [4, 2] and list(korea["Japan items"]) == [0, 0]
    assert list(japan["Japan items"]) == [5] and list(japan["Korea items"]) == [1]
    assert korea.iloc[0]["Story"].startswith("Coast guard ships circle")
    text = "\n".join(m.value for m in page.markdown)
    assert "Coast guard ships circle" in text
    assert "<img" not in text.replace("\\<img", ""), "feed text reaches the page escaped"
    tables = [d.value for d in page.dataframe if "title" in d.value.columns]
    launch = {ids[it.key] for it in items if it.story == "launch"}
    assert any(set(t["id"]) == launch for t in tables)
    at = select_row(page, _table(page, "Story", 0), 1)  # the memo with a hostile headline
    _ok(at)
    memo_title = next(it.title for it in items if it.key == "memo-2-0")
    shown = [m.value for m in at.markdown if "Leaked" in m.value]
    assert shown == [f"**{escape_markdown(memo_title)}**"]
    assert "<img" not in shown[0].replace("\\<img", "")
    memo = {ids[it.key] for it in items if it.story == "memo"}
    assert any(set(d.value["id"]) == memo for d in at.dataframe if "title" in d.value.columns)


def test_entities_each_side_names_most_with_their_items(page, compare_db):
    _, items, ids = compare_db
    _ok(page)
    rel = relevant_in(items, SINCE, UNTIL)
    # The default theme is the one with the largest gap (the first of the themes table).
    first = _table(page, "Gap (points)").value.iloc[0]["Theme"]
    theme = next(t for t, name in LABELS.items() if name == first)
    kr_rows = _table(page, "Entity", 1).value
    expected = {
        e: sum(e in it.entities and theme in it.themes and it.country == "kr" for it in rel)
        for e in set(kr_rows["Id"])
    }
    assert dict(zip(kr_rows["Id"], kr_rows["Items"], strict=True)) == expected
    at = page.selectbox(key="compare_entity_theme").set_value("").run()
    _ok(at)
    korea = _table(at, "Entity", 1).value
    top = korea.iloc[0]
    assert (top["Id"], top["Items"]) == ("japan", 4 + 3 + 4)  # islets, summit, shrine
    japan_side = _table(at, "Entity", 0)
    north = list(japan_side.value["Id"]).index("north_korea")
    at = select_row(at, japan_side, north)
    _ok(at)
    expected_ids = {
        ids[it.key] for it in rel if "north_korea" in it.entities and it.country == "jp"
    }
    assert set(_table(at, "title", -1).value["id"]) == expected_ids
