"""Every dashboard page run server-side with Streamlit's AppTest on a seeded SQLite database."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from jkwatch.db.engine import make_engine
from jkwatch.db.migrate import upgrade
from tests.apptest_select import select_row
from tests.seed_dashboard import LAST_DAY, XSS_TITLE, corpus, seeded_database, week_of

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PAGES = [
    "app_pages/brief.py",
    "app_pages/trends.py",
    "app_pages/spikes.py",
    "app_pages/compare.py",
    "app_pages/items.py",
    "app_pages/theme_detail.py",
    "app_pages/sources.py",
    "app_pages/alerts.py",
]


@pytest.fixture
def app(seeded_url, monkeypatch):
    """A fresh AppTest on the shared seeded database, with Streamlit's caches cleared."""
    monkeypatch.setenv("JKWATCH_DATABASE_URL", seeded_url("sqlite"))
    st.cache_data.clear()
    st.cache_resource.clear()
    return AppTest.from_file(APP, default_timeout=30)


def _on_trends(app: AppTest) -> AppTest:
    """The Trends page (the Brief is the landing page)."""
    at = app.run()
    return at.switch_page("app_pages/trends.py").run()


def _no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _metric(at: AppTest, startswith: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(startswith))


def _table(at: AppTest, column: str):
    """The first table on the page that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _all_text(at: AppTest) -> str:
    parts = [
        el.value
        for kind in ("markdown", "caption", "text", "info", "warning", "title")
        for el in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_an_error(app, page):
    at = app.run()
    _no_errors(at)
    at.switch_page(page).run()
    _no_errors(at)
    assert at.title


def test_trends_shows_the_weekly_counts_of_the_seeded_items(app):
    items = corpus()
    at = _on_trends(app)
    _no_errors(at)
    assert _metric(at, "All items") == f"{len(items):,}"
    table = at.dataframe[0].value
    week = week_of(LAST_DAY)
    row = table[table["period"] == week].iloc[0]
    # Trends show relevant items by default (relevance >= 0.5); "all items" counts everything.
    expected = Counter(
        t for it in items if week_of(it.day) == week and it.relevance >= 0.5 for t in it.themes
    )
    assert row["Nk Weapons"] == expected["nk_weapons"]
    assert row["Jk Cooperation"] == expected["jk_cooperation"]
    assert row["all items"] == sum(week_of(it.day) == week for it in items)


def test_a_language_filter_changes_the_numbers_and_the_url(app):
    items = corpus()
    at = _on_trends(app)
    at.sidebar.multiselect(key="f_lang").set_value(["ko"]).run()
    _no_errors(at)
    assert _metric(at, "All items") == f"{sum(it.language == 'ko' for it in items):,}"
    table = at.dataframe[0].value
    week = week_of(LAST_DAY)
    row = table[table["period"] == week].iloc[0]
    ko = [it for it in items if it.language == "ko" and week_of(it.day) == week]
    assert row["Nk Weapons"] == sum("nk_weapons" in it.themes and it.relevance >= 0.5 for it in ko)
    assert at.query_params.get("lang") in ("ko", ["ko"])


def test_filters_are_read_from_the_url_so_views_can_be_shared(app):
    items = corpus()
    app.query_params["lang"] = "ja"
    app.query_params["rel"] = "5"
    app.query_params["unit"] = "stories"
    at = _on_trends(app)
    _no_errors(at)
    relevant = sum(it.language == "ja" and it.relevance >= 0.5 and it.lead for it in items)
    everything = sum(it.language == "ja" and it.lead for it in items)
    assert _metric(at, "Relevant stories") == f"{relevant:,}"
    assert _metric(at, "All stories") == f"{everything:,}"


def test_share_mode_says_which_denominator_it_uses_and_shows_percentages(app):
    items = corpus()
    at = _on_trends(app)
    at.radio(key="f_measure").set_value("share_relevant").run()
    _no_errors(at)
    table = at.dataframe[0].value
    assert table["Nk Weapons"].between(0, 100).all()
    week = week_of(LAST_DAY)
    relevant = [it for it in items if week_of(it.day) == week and it.relevance >= 0.5]
    expected = 100 * sum("nk_weapons" in it.themes for it in relevant) / len(relevant)
    row = table[table["period"] == week].iloc[0]
    assert row["Nk Weapons"] == pytest.approx(expected)
    assert at.query_params.get("measure") in ("share_relevant", ["share_relevant"])


def test_the_items_behind_a_number_are_listed_on_trends(app):
    items = corpus()
    at = _on_trends(app)
    week = week_of(LAST_DAY)
    at.selectbox(key="drill_theme").set_value("nk_weapons")
    at.selectbox(key="drill_period").set_value(week).run()
    _no_errors(at)
    expected = sum(
        week_of(it.day) == week and "nk_weapons" in it.themes and it.relevance >= 0.5
        for it in items
    )
    listed = at.dataframe[1].value
    assert len(listed) == expected
    assert f": {expected} items" in _all_text(at)


def test_spikes_state_the_method_and_list_the_items_of_each_spike(app):
    at = app.run()
    at.switch_page("app_pages/spikes.py").run()
    _no_errors(at)
    assert "8 weeks" in _all_text(at)
    assert int(_metric(at, "Spikes from")) >= 1
    table = at.dataframe[0].value
    assert "baseline_std" not in table.columns and "weekly" not in table.columns
    strongest = table.loc[table["z-score"].abs().idxmax()]
    spike_items = at.dataframe[1].value
    assert len(spike_items) == min(50, strongest["Items"])
    assert spike_items["themes"].str.contains(strongest["Theme"]).all()


def test_items_search_finds_japanese_and_shows_evidence_as_text(app):
    app.query_params["rel"] = "0"
    at = app.run()
    at.switch_page("app_pages/items.py").run()
    at.text_input(key="items_q").input("弾道ミサイル").run()
    _no_errors(at)
    table = at.dataframe[0].value
    assert list(table["title"]) == ["北朝鮮が弾道ミサイルを発射"]
    at = select_row(at, at.dataframe[0], 0)
    _no_errors(at)
    assert any("missile in title" in t.value for t in at.text)
    assert at.query_params.get("q") in ("弾道ミサイル", ["弾道ミサイル"])


def test_an_html_title_is_shown_as_text_never_as_markup(app):
    app.query_params["rel"] = "0"  # the hostile item is off-topic: include everything
    at = app.run()
    at.switch_page("app_pages/items.py").run()
    at.text_input(key="items_q").input("script alert").run()
    _no_errors(at)
    table = at.dataframe[0].value
    assert list(table["title"]) == [XSS_TITLE]
    at = select_row(at, at.dataframe[0], 0)  # its title is shown beside the table
    _no_errors(at)
    assert any("\\<script\\>" in md.value for md in at.markdown)
    assert not at.get("html")
    for md in at.markdown:
        assert not md.proto.allow_html
        if "script" in md.value:
            assert "<script>" not in md.value and "\\<script\\>" in md.value


def test_items_pagination_moves_through_the_results(app):
    at = app.run()
    at.switch_page("app_pages/items.py").run()
    first = list(at.dataframe[0].value["id"])
    at.number_input(key="items_page").set_value(2).run()
    _no_errors(at)
    second = list(at.dataframe[0].value["id"])
    assert len(first) == len(second) == 25 and not set(first) & set(second)


def test_theme_detail_shows_volume_sources_and_terms(app):
    items = corpus()
    at = app.run()
    at.switch_page("app_pages/theme_detail.py").run()
    at.selectbox(key="detail_theme").set_value("jk_cooperation").run()
    _no_errors(at)
    expected = sum("jk_cooperation" in it.themes and it.relevance >= 0.5 for it in items)
    assert _metric(at, "Jk Cooperation") == f"{expected:,}"
    terms = _table(at, "term")
    assert terms.iloc[0]["term"] == "missile" and terms.iloc[0]["items"] == expected
    latest = _table(at, "published")
    newest = sorted(
        (it for it in items if "jk_cooperation" in it.themes and it.relevance >= 0.5),
        key=lambda it: it.day,
    )[-1]
    assert (
        len(latest) == min(20, expected) and latest["themes"].str.contains("Jk Cooperation").all()
    )
    assert latest.iloc[0]["published"].date() == newest.day
    partners = _table(at, "partner")
    both = sum(
        set(it.themes) == {"nk_weapons", "jk_cooperation"} and it.relevance >= 0.5 for it in items
    )
    assert list(partners["partner"]) == ["Nk Weapons"] and list(partners["count"]) == [both]
    assert partners.iloc[0]["share"] == pytest.approx(round(100 * both / expected, 1))
    guide = [e for e in at.expander if "Labelling guide" in e.label]
    assert guide, "the theme's entry of the labelling guide is one click away"
    assert any("Covers:" in m.value for m in guide[0].markdown)


def test_sources_page_shows_the_failing_feed_and_output(app):
    at = app.run()
    at.switch_page("app_pages/sources.py").run()
    _no_errors(at)
    assert _metric(at, "Feeds") == "3" and _metric(at, "Failing feeds") == "1"
    table = at.dataframe[0].value
    seoul = table[table["name"] == "Seoul Daily"].iloc[0]
    assert seoul["last_error"] == "HTTP 503" and seoul["error_streak"] == 1
    assert seoul["country"] == "kr"


@pytest.mark.slow
def test_alerts_page_shows_the_delivery_log_as_text_and_the_next_brief(tmp_path, monkeypatch):
    from datetime import UTC, datetime

    from jkwatch.db import deliveries
    from jkwatch.db.engine import make_sessionmaker

    alerts = tmp_path / "alerts.toml"
    alerts.write_text(
        '[channels.feed]\ntype = "atom"\npath = "alerts.xml"\n'
        '[[briefs]]\nname = "morning"\nschedule = "daily 07:00"\ntimezone = "Asia/Tokyo"\n'
        'channels = ["feed"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("JKWATCH_ALERTS", str(alerts))
    with seeded_database("sqlite", tmp_path) as url:
        engine = make_engine(url)
        now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        with make_sessionmaker(engine).begin() as s:
            sent = deliveries.claim_new(
                s,
                rule="nk-spike",
                event_key="spike:nk_weapons:2026-11-30",
                channel="feed",
                kind="spike",
                subject=XSS_TITLE,
                payload={},
                now=now,
                worker="w",
            )
            assert sent is not None
            deliveries.record_sent(s, sent, "w", now)
            failed = deliveries.claim_new(
                s,
                rule="nk-spike",
                event_key="spike:nk_weapons:2026-11-30",
                channel="team",
                kind="spike",
                subject="Spike",
                payload={},
                now=now,
                worker="w",
            )
            assert failed is not None
            deliveries.record_failure(s, failed, "w", "webhook team: HTTP 500", None)
        engine.dispose()
        monkeypatch.setenv("JKWATCH_DATABASE_URL", url)
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=30).run()
        at.switch_page("app_pages/alerts.py").run()
        _no_errors(at)
        assert _metric(at, "Sent") == "1" and _metric(at, "Failed") == "1"
        log = _table(at, "event_key")
        assert set(log["status"]) == {"sent", "failed"}
        assert XSS_TITLE in set(log["subject"])  # a cell's text, never markup
        assert "webhook team: HTTP 500" in set(log["last_error"])
        assert XSS_TITLE not in _all_text(at)
        briefs = _table(at, "next_at")
        assert list(briefs["name"]) == ["morning"]
        assert briefs.iloc[0]["next_at"].strftime("%H:%M") == "22:00"  # 07:00 Tokyo, in UTC


def test_an_empty_database_shows_what_to_do(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("JKWATCH_DATABASE_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    text = _all_text(at)
    assert "jkwatch ingest" in text and "jkwatch demo" in text
    assert not at.dataframe and not at.get("vega_lite_chart")


def test_a_missing_database_file_is_explained_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("JKWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'nothing.db'}")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "cannot be read" in at.error[0].value


def test_a_synthetic_database_carries_the_sample_data_banner(tmp_path, monkeypatch):
    with seeded_database("sqlite", tmp_path, synthetic=True) as url:
        monkeypatch.setenv("JKWATCH_DATABASE_URL", url)
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=30).run()
        _no_errors(at)
        assert "Synthetic sample data" in at.warning[0].value


def test_a_password_from_secrets_guards_the_dashboard(app):
    app.secrets["password"] = "correct horse"
    at = app.run()
    assert not at.metric and not at.dataframe
    at.text_input[0].input("wrong")
    at.button[0].click().run()
    assert "Wrong password" in at.error[0].value and not at.dataframe
    at.text_input[0].input("correct horse")
    at.button[0].click().run()
    _no_errors(at)
    assert at.dataframe


def test_only_data_py_imports_db_and_the_dashboard_never_imports_ingest():
    import ast

    root = Path(APP).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        }
        assert "ingest" not in names, path
        if path.name != "data.py":
            assert "db" not in names, path
