"""The items page's "Match entity names in every language" toggle (AppTest, SQLite): on by
default, in the URL when off, a caption naming the entity's other names, and a CSV download
that follows the same search."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from jkwatch.dashboard import data
from jkwatch.db.query_filters import Filters
from tests.search_corpus import DOKDO, PLAN, newest_first, seeded_database

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
TITLES = {p.key: p.title for p in PLAN}


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Iterator[tuple[str, dict[str, int], Path]]:
    with seeded_database("sqlite", tmp_path_factory.mktemp("search-page")) as built:
        yield built


@pytest.fixture
def app(database, monkeypatch) -> AppTest:
    url, _, gazetteer = database
    monkeypatch.setenv("JKWATCH_DATABASE_URL", url)
    monkeypatch.setenv("JKWATCH_ENTITIES", str(gazetteer))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["rel"] = "0"  # the essay on the islets is below the relevance floor
    return at


def _search(at: AppTest, query: str) -> AppTest:
    at.run()
    at.switch_page("app_pages/items.py").run()
    at.text_input(key="items_q").input(query).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _titles(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["title"]) if at.dataframe else []


def test_a_korean_name_lists_the_items_in_every_language(app):
    at = _search(app, "독도")
    assert _titles(at) == [TITLES[k] for k in newest_first(DOKDO)]
    assert at.toggle(key="items_entities").value is True
    caption = next(c.value for c in at.caption if "Dokdo / Takeshima" in c.value)
    assert "also Dokdo, Takeshima, Liancourt Rocks, 竹島" in caption
    assert "exact" not in at.query_params


def test_turning_the_toggle_off_searches_the_words_as_typed(app):
    at = _search(app, "독도")
    at.toggle(key="items_entities").set_value(False).run()
    assert _titles(at) == [TITLES["ko-dokdo-drill"]]
    assert not any("Dokdo / Takeshima" in c.value for c in at.caption)
    assert at.query_params.get("exact") in ("1", ["1"])


def test_the_url_can_turn_the_expansion_off(app):
    app.query_params["exact"] = "1"
    app.query_params["q"] = "竹島"
    at = app.run()
    at.switch_page("app_pages/items.py").run()
    assert at.toggle(key="items_entities").value is False
    assert _titles(at) == [TITLES["ja-takeshima-protest"]]


def test_the_csv_follows_the_expanded_search(database, monkeypatch):
    url, _, gazetteer = database
    monkeypatch.setenv("JKWATCH_ENTITIES", str(gazetteer))
    expansion = data.entity_expansion("독도")
    rows = list(
        csv.DictReader(
            io.StringIO(
                data.items_csv(url, "독도", Filters(), {}, "UTC", expansion).decode("utf-8-sig")
            )
        )
    )
    assert [row["title"] for row in rows] == [TITLES[k] for k in newest_first(DOKDO)]
    exact = data.items_csv(url, "독도", Filters(), {}, "UTC", None).decode("utf-8-sig")
    assert [row["title"] for row in csv.DictReader(io.StringIO(exact))] == [
        TITLES["ko-dokdo-drill"]
    ]
