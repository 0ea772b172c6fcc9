"""The dashboard's Brief page (the landing page) run server-side with AppTest on a SQLite
database holding the brief corpus (``tests.brief_corpus``: known stories and movers)."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from tests.brief_corpus import LABELS, SINCE, UNTIL, XSS_TITLE, seed_brief

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")


@pytest.fixture(scope="module")
def brief_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("brief-page") / "brief.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    seed_brief(make_sessionmaker(engine))
    engine.dispose()
    return url


@pytest.fixture
def app(brief_db, monkeypatch):
    monkeypatch.setenv("JKWATCH_DATABASE_URL", brief_db)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["from"] = SINCE.isoformat()
    at.query_params["to"] = UNTIL.isoformat()
    return at


def _text(at: AppTest) -> str:
    kinds = ("markdown", "caption", "text", "info", "title", "header")
    return "\n".join(str(el.value) for kind in kinds for el in getattr(at, kind))


def test_the_brief_is_the_landing_page_and_shows_the_event_first(app):
    at = app.run()
    assert not at.exception and not at.error, [e.value for e in at.exception]
    assert at.title[0].value == "Brief"
    stories = [m.value for m in at.markdown if m.value.startswith("**")]
    assert stories[0].startswith("**1. Missile salvo over the sea")
    text = _text(at)
    assert "Harbour Post" in text and "Minato Shimbun" in text
    assert "English, Japanese" in text  # languages by name
    assert LABELS["nk_weapons"] in text  # themes by label
    assert "https://outlet0.example/event-0" in text  # a link to each item
    assert "2026\\-11\\-09" not in at.title[0].value


def test_movers_list_the_rise_with_the_stories_behind_it(app):
    at = app.run()
    movers = next(d.value for d in at.dataframe if "Direction" in d.value.columns)
    first = movers.iloc[0]
    assert first["Theme"] == LABELS["nk_weapons"] and first["Direction"] == "rise"
    assert "Missile salvo over the sea" in first["Stories behind it"]
    assert "theme_id" not in movers.columns and "baseline_std" not in movers.columns


def test_the_spike_timeline_is_drawn(app):
    at = app.run()
    charts = at.get("vega_lite_chart") or at.get("arrow_vega_lite_chart")
    assert charts, "no chart on the Brief page"


def test_feed_text_is_escaped_never_html(app):
    at = app.run()
    markdown = "\n".join(m.value for m in at.markdown)
    assert XSS_TITLE not in markdown
    assert "\\<script\\>" in markdown
    assert "](javascript" not in markdown
    assert all(not getattr(m.proto, "allow_html", False) for m in at.markdown)


def test_the_brief_covers_the_last_week_of_the_range_unless_the_whole_range_is_asked(app):
    app.query_params["from"] = "2026-10-01"
    at = app.run()
    assert any("2026-11-09 to 2026-11-15" in c.value for c in at.caption)
    at.radio(key="brief_span").set_value("range").run()
    assert not at.exception
    assert any("2026-10-01 to 2026-11-15" in c.value for c in at.caption)
