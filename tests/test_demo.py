"""The offline demo (synthetic corpus, local feed server, real pipeline) and the bench loader."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import feedparser
import pytest
from sqlalchemy import func, select

from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.models import DailyThemeCount, DailyTotal, Feed, Item, ItemTheme
from jkwatch.db.search import search_text
from jkwatch.db.themes import get_meta
from jkwatch.demo.corpus import OUTLETS, generate
from jkwatch.demo.server import render_corpus
from tests.processes import invoke

END = date(2025, 6, 30)
REPO = Path(__file__).resolve().parents[1]


def test_the_same_seed_gives_the_same_corpus_and_another_seed_a_different_one() -> None:
    first = generate(seed=3, items=800, end=END)
    again = generate(seed=3, items=800, end=END)
    other = generate(seed=4, items=800, end=END)
    assert first.items == again.items
    assert first.items != other.items
    assert len(first.items) == 800


def test_the_corpus_spans_two_years_in_three_languages_with_irrelevant_and_syndicated_items() -> (
    None
):
    corpus = generate(seed=1, items=3000, end=END)
    days = {item.published_at.date() for item in corpus.items}
    assert min(days) >= corpus.start and max(days) <= END
    assert (max(days) - min(days)).days > 600
    assert {item.lang for item in corpus.items} == {"en", "ja", "ko"}
    assert any(not item.themes for item in corpus.items)  # markets, sport, K-pop, weather
    stories: dict[str, set[str]] = {}
    for item in corpus.items:
        stories.setdefault(item.story, set()).add(item.outlet)
    assert any(len(outlets) > 1 for outlets in stories.values())  # wire copies


def test_every_outlet_and_every_feed_document_says_the_data_are_synthetic() -> None:
    assert all("(synthetic)" in outlet.name for outlet in OUTLETS)
    for path, doc in render_corpus(generate(seed=2, items=300, end=END)).items():
        parsed = feedparser.parse(doc.body)
        assert "(synthetic)" in parsed.feed.title, path
        assert "synthetic" in (parsed.feed.get("subtitle") or parsed.feed.get("description"))


def test_feed_documents_hold_each_outlets_whole_history_and_escape_the_text() -> None:
    corpus = generate(seed=5, items=600, end=END)
    total = 0
    for outlet in corpus.outlets:
        doc = render_corpus(corpus)[outlet.path]
        parsed = feedparser.parse(doc.body)
        assert not parsed.bozo, outlet.slug
        assert len(parsed.entries) == len(corpus.items_of(outlet.slug))
        total += len(parsed.entries)
    assert total == 600


@pytest.mark.slow  # about 2-4 s: a whole run
def test_a_small_demo_run_stores_tagged_items_in_its_own_database_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_db = tmp_path / "user" / "jkwatch.db"
    monkeypatch.setenv("JKWATCH_DATABASE_URL", f"sqlite:///{user_db}")
    monkeypatch.chdir(tmp_path)
    result = invoke(None, "demo", "--items", "200", "--no-dashboard")
    assert result.exit_code == 0, result.output
    assert "synthetic" in result.output.lower()
    demo_db = tmp_path / "demo-data" / "demo.db"
    assert str(demo_db) in result.output
    assert not user_db.exists()
    engine = make_engine(f"sqlite:///{demo_db}")
    try:
        with make_sessionmaker(engine)() as session:
            assert session.scalar(select(func.count()).select_from(Item)) == 200
            assert session.scalar(select(func.count()).select_from(ItemTheme)) > 0
            assert get_meta(session, "synthetic") == "true"
            # Both presses are there for the Compare page, English outlets of Tokyo and Seoul
            # counted for their country.
            countries = dict(session.execute(select(Feed.name, Feed.country)).all())
            assert {"jp", "kr", "other"} == set(countries.values())
            assert countries["Eastern Seaboard Times (synthetic)"] == "jp"
            assert countries["한빛일보 (synthetic)"] == "kr"
    finally:
        engine.dispose()


def test_the_demo_refuses_to_run_on_the_users_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_url = f"sqlite:///{tmp_path / 'jkwatch.db'}"
    monkeypatch.setenv("JKWATCH_DATABASE_URL", user_url)
    result = invoke(None, "demo", "--items", "60", "--no-dashboard", "--db", user_url)
    assert result.exit_code == 2
    assert "database of its own" in result.output


def test_the_bench_loader_writes_rollups_equal_to_its_items_and_themes(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(REPO))  # bench/ is not an installed package
    from bench.load import load

    result = load(db_url, items=500, feeds=6, seed=3)
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            items = session.scalar(select(func.count()).select_from(Item))
            themed = session.scalar(select(func.count()).select_from(ItemTheme))
            assert items == 500 and themed == result.item_themes > 0
            assert session.scalar(select(func.sum(DailyTotal.items))) == items
            assert session.scalar(select(func.sum(DailyThemeCount.items))) == themed
            leads = session.scalar(select(func.count()).where(Item.story_id == Item.id))
            assert session.scalar(select(func.sum(DailyTotal.stories))) == leads
            for title, summary, text in session.execute(
                select(Item.title, Item.summary, Item.search_text).limit(50)
            ):
                assert text == search_text(title, summary)
    finally:
        engine.dispose()


def test_the_demo_database_default_lives_under_demo_data(tmp_path: Path) -> None:
    from jkwatch.demo.runner import default_demo_url

    assert default_demo_url(tmp_path) == f"sqlite:///{tmp_path / 'demo-data' / 'demo.db'}"
    assert os.path.basename(default_demo_url(tmp_path)) == "demo.db"
