"""The brief on the demo corpus (real feeds served locally, the real pipeline, the real
clustering), on SQLite and PostgreSQL: the October event week puts the event's story first
and names its themes as risers, with counts this test reads back on its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from jkwatch.db.brief import build_brief
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.models import Item, ItemTheme
from jkwatch.demo.corpus import Corpus, generate
from jkwatch.demo.runner import DemoSettings, run_demo
from tests.databases import postgres_schema

SEED, ITEMS = 7, 2500
END = date(2026, 12, 5)  # the corpus's last day: its October event is the armament debate
EVENT = "Nuclear armament debate"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return generate(SEED, ITEMS, END)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
        run_demo(DemoSettings(seed=SEED, items=ITEMS, db_url=url, end=END), say=lambda _: None)
        yield url
        return
    with postgres_schema() as url:
        run_demo(DemoSettings(seed=SEED, items=ITEMS, db_url=url, end=END), say=lambda _: None)
        yield url


def _event(corpus: Corpus) -> tuple[date, tuple[str, ...]]:
    day = dict(corpus.event_dates())[EVENT]
    themes = next(e.themes for e in corpus.events if e.name == EVENT)
    return day, themes


def test_the_october_event_week_puts_the_event_first_and_its_themes_as_risers(
    corpus: Corpus, demo_url: str
) -> None:
    day, themes = _event(corpus)
    assert day.month == 10
    engine = make_engine(demo_url, read_only=True)
    try:
        with make_sessionmaker(engine)() as session:
            brief = build_brief(session, day, day + timedelta(days=6))
            counts = {
                theme: session.scalar(
                    select(func.count())
                    .select_from(ItemTheme)
                    .join(Item, Item.id == ItemTheme.item_id)
                    .where(
                        ItemTheme.theme_id == theme,
                        Item.relevant.is_(True),
                        Item.day >= day,
                        Item.day <= day + timedelta(days=6),
                    )
                )
                for theme in themes
            }
    finally:
        engine.dispose()
    event_urls = {item.url for item in corpus.items if item.event == EVENT}
    top = brief.stories[0]
    assert set(top.urls) <= event_urls and top.outlets >= 3
    assert set(themes) <= set(top.themes)
    risers = [m for m in brief.movers if m.direction == "rise"]
    assert {m.theme for m in risers[: len(themes)]} == set(themes)
    for mover in risers[: len(themes)]:
        assert mover.count == counts[mover.theme]
        assert mover.z > 5 and top.story_id in mover.story_ids
    assert {s.theme_id for s in brief.spikes if s.direction == "rise"} >= set(themes)


def test_the_event_has_its_own_words_in_every_language(corpus: Corpus) -> None:
    event_items = [item for item in corpus.items if item.event == EVENT]
    assert {item.lang for item in event_items} == {"en", "ja", "ko"}
    assert len({item.outlet for item in event_items}) >= 6
    _, themes = _event(corpus)
    assert all(item.themes == themes for item in event_items)
