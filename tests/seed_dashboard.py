"""A known corpus for the dashboard's query and page tests, stored through the real write path.

``seed(sessions)`` stores it with ``db.feeds.upsert_feed``, ``db.themes.sync_themes`` and
``db.items.store_entries`` (so the rollups are filled exactly as in production) and returns
the plain description of every item, from which tests compute expected numbers on their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db import feeds as feed_store
from jkwatch.db import items as item_store
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from jkwatch.db.themes import ThemeInfo, set_meta, sync_themes
from jkwatch.ingest.tagging import THEME_IDS as TAXONOMY_THEME_IDS
from jkwatch.model import EntityMatch, FeedUpdate, FetchOutcome
from tests.databases import postgres_schema
from tests.factories import entry, feed_spec

THEME_IDS = TAXONOMY_THEME_IDS  # the fixed ids the dashboard relies on
THEMES = [
    ThemeInfo(t, t.replace("_", " ").title(), f"About {t.replace('_', ' ')}.", n)
    for n, t in enumerate(THEME_IDS)
]
FIRST_DAY = date(2026, 9, 7)  # a Monday
DAYS = 70  # ten weeks
LAST_DAY = FIRST_DAY + timedelta(days=DAYS - 1)
FEEDS = (("en", "Tokyo Wire"), ("ja", "Asahi Test"), ("ko", "Seoul Daily"))
FEED_COUNTRIES = ("jp", "jp", "kr")
THEME_CYCLE = (("nk_weapons",), ("jk_cooperation",), ("nk_weapons", "jk_cooperation"), ())
RELEVANCE_CYCLE = (0.9, 0.7, 0.5, 0.3, 0.1)
XSS_TITLE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
SEARCH_TITLES = {
    "en": "Allied navies hold trilateral drill near Jeju",
    "ja": "北朝鮮が弾道ミサイルを発射",
    "ko": "북한이 탄도미사일을 발사했다",
}


@dataclass(frozen=True)
class Seeded:
    key: str
    feed: int  # 1-based index into FEEDS
    language: str
    day: date
    relevance: float
    themes: tuple[str, ...]
    lead: bool
    title: str
    entities: tuple[str, ...] = ()
    """Gazetteer entity ids stored for the item (every 4th names Dokdo, the next North Korea)."""

    @property
    def bucket(self) -> int:
        return int(self.relevance * 10 + 1e-9)


ENTITY_CYCLE: tuple[tuple[str, ...], ...] = (("dokdo",), ("north_korea",), (), ())
ENTITY_NAMES = {"dokdo": ("Dokdo",), "north_korea": ("North Korea",)}


def corpus(n: int = 240) -> list[Seeded]:
    """``n`` items spread over ten weeks; every 6th item is a near-duplicate copy (not a lead)."""
    out = []
    for i in range(n):
        feed = i % 3 + 1
        language = FEEDS[feed - 1][0]
        day = FIRST_DAY + timedelta(days=(i * 11) % DAYS)
        title = f"Security report {i}"
        if i == 3:
            title = XSS_TITLE
        elif i in (4, 5, 6):
            title = SEARCH_TITLES[language]
        out.append(
            Seeded(
                key=f"item-{i}",
                feed=feed,
                language=language,
                day=day,
                relevance=RELEVANCE_CYCLE[i % 5],
                themes=THEME_CYCLE[i % 4],
                lead=i % 6 != 5,
                title=title,
                entities=ENTITY_CYCLE[i % 4],
            )
        )
    # A burst so that the spike method finds a rise: 12 more nk_weapons items in the last week.
    for j in range(12):
        out.append(
            Seeded(
                key=f"burst-{j}",
                feed=1,
                language="en",
                day=LAST_DAY - timedelta(days=j % 6),
                relevance=0.9,
                themes=("nk_weapons",),
                lead=True,
                title=f"Missile launch burst {j}",
            )
        )
    return out


def seed(sessions: sessionmaker[Session], synthetic: bool = False) -> list[Seeded]:
    items = corpus()
    with sessions.begin() as s:
        sync_themes(s, THEMES)
        feeds = [
            feed_store.upsert_feed(
                s, feed_spec(n + 1, name=name, language=lang, country=FEED_COUNTRIES[n])
            )[0]
            for n, (lang, name) in enumerate(FEEDS)
        ]
        if synthetic:
            set_meta(s, "synthetic", "true")
    for n, feed in enumerate(feeds, start=1):
        batch = []
        previous = None
        for it in items:
            if it.feed != n:
                continue
            batch.append(
                entry(
                    it.key,
                    title=it.title,
                    summary=f"Summary of {it.key}",
                    published=datetime.combine(it.day, time(9, 0), tzinfo=UTC),
                    themes=it.themes,
                    relevance=it.relevance,
                    url=f"https://news.example/{it.key}",
                    language=it.language,
                    story_of_entry=None if it.lead else previous,
                    entities=tuple(EntityMatch(e, ENTITY_NAMES[e]) for e in it.entities),
                )
            )
            if it.lead:
                previous = batch[-1].entry_key
        with sessions.begin() as s:
            item_store.store_entries(s, feed, batch)
    with sessions.begin() as s:
        started = datetime.combine(LAST_DAY, time(12, 0), tzinfo=UTC)
        feed_store.record_attempt(
            s,
            feeds[2].id,
            FetchOutcome(started_at=started, duration_ms=50, outcome="error", error="HTTP 503"),
            FeedUpdate(next_fetch_at=started + timedelta(hours=1), keep_validators=True),
        )
    return items


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@contextmanager
def seeded_database(backend: str, directory: Path, synthetic: bool = False) -> Iterator[str]:
    """A migrated database holding ``corpus()``, for read-only tests to share.

    The per-test ``db_url`` fixture would re-seed for every test; the queries never write, so
    one copy per backend is enough (``conftest.seeded_url`` keeps one per test process).
    """
    with ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{directory / 'seeded.db'}"
        else:
            url = stack.enter_context(postgres_schema())
        engine = make_engine(url)
        stack.callback(engine.dispose)
        upgrade(engine)
        seed(make_sessionmaker(engine), synthetic=synthetic)
        yield url
