"""A corpus with backfilled history and live collection, stored through the real write path.

Two live feeds (a Japanese and a Korean daily) and two backfill outlets (one per source, made
with ``db.feeds.ensure_backfill_feed``), items stored with ``db.items.store_entries`` exactly as
the ingest pipeline and the backfill store them, plus ``backfill_windows`` progress rows. The
backfill is stored first (so the first items by id are not live) and covers the whole span;
live collection begins on ``LIVE_DAY`` with a backlog of the days before it, as RSS gives.
Tests compute every expected figure from the returned ``Planned`` values. Headlines are
written for these tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db import feeds as feed_store
from jkwatch.db import items as item_store
from jkwatch.db.models import BackfillWindow
from jkwatch.db.themes import ThemeInfo, sync_themes
from tests.factories import entry, feed_spec

FIRST_DAY = date(2026, 8, 31)  # a Monday
LAST_DAY = date(2026, 11, 15)  # a Sunday: 11 whole weeks
LIVE_DAY = date(2026, 10, 19)
LIVE_FETCH = datetime.combine(LIVE_DAY, time(6, 0), tzinfo=UTC)
"""When live collection stored its first item (the first live feed's first fetch)."""
BACKFILL_RUN = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
THEMES = [
    ThemeInfo("nk_weapons", "North Korean weapons", "", 0),
    ThemeInfo("jk_cooperation", "Japan–Korea cooperation", "", 1),
    ThemeInfo("territorial", "Territorial disputes", "", 2),
]
# (name, language, country, origin); the origin's source for backfill outlets.
OUTLETS = (
    ("Minato Daily", "ja", "jp", "feed"),
    ("Hangang Herald", "ko", "kr", "feed"),
    ("Harbour Times", "en", "jp", "backfill:google-news"),
    ("Peninsula Wire", "en", "kr", "backfill:gdelt"),
)
FAILED_ERROR = "HTTP 503 <b>busy</b> <script>alert(1)</script>"
"""A failed window's error as a remote service might word it: shown as text, never HTML."""


@dataclass(frozen=True)
class Planned:
    key: str
    outlet: int  # index into OUTLETS
    day: date
    themes: tuple[str, ...]
    relevance: float

    @property
    def origin(self) -> str:
        return OUTLETS[self.outlet][3]

    @property
    def backfilled(self) -> bool:
        return self.origin.startswith("backfill:")

    @property
    def country(self) -> str:
        return OUTLETS[self.outlet][2]

    @property
    def language(self) -> str:
        return OUTLETS[self.outlet][1]

    @property
    def relevant(self) -> bool:
        return self.relevance >= 0.5

    @property
    def title(self) -> str:
        return f"Harbour talks note {self.key} on {', '.join(self.themes) or 'nothing'}"


BACKFILL_THEMES = (("nk_weapons",), ("jk_cooperation",), ("territorial", "nk_weapons"), ())
LIVE_THEMES = (("jk_cooperation",), ("nk_weapons",), ("territorial",))


def corpus() -> list[Planned]:
    span = (LAST_DAY - FIRST_DAY).days + 1
    out = [
        Planned(
            key=f"bf{k}",
            outlet=2 + k % 2,
            day=FIRST_DAY + timedelta(days=(k * 5) % span),
            themes=BACKFILL_THEMES[k % 4],
            relevance=0.9 if k % 3 else 0.3,
        )
        for k in range(120)
    ]
    # A burst of backfilled missile coverage in the last week: a spike only with backfill on.
    out += [
        Planned(f"burst{k}", 2, LAST_DAY - timedelta(days=k % 7), ("nk_weapons",), 0.9)
        for k in range(14)
    ]
    backlog = LIVE_DAY - timedelta(days=10)
    live_span = (LAST_DAY - backlog).days + 1
    out += [
        Planned(
            key=f"live{k}",
            outlet=k % 2,
            day=backlog + timedelta(days=(k * 3) % live_span),
            themes=LIVE_THEMES[k % 3],
            relevance=0.8 if k % 4 else 0.2,
        )
        for k in range(90)
    ]
    return out


def seed(sessions: sessionmaker[Session]) -> list[Planned]:
    """Store ``corpus()``: the backfill first, then live collection; and the windows."""
    planned = corpus()
    with sessions.begin() as s:
        sync_themes(s, THEMES)
        feeds = []
        for n, (name, language, country, origin) in enumerate(OUTLETS):
            if origin == "feed":
                spec = feed_spec(n + 1, name=name, language=language, country=country)
                feeds.append(feed_store.upsert_feed(s, spec)[0])
            else:
                source = origin.split(":", 1)[1]
                feeds.append(
                    feed_store.ensure_backfill_feed(
                        s, source, name, country=country, language=language
                    )
                )
    order = [2, 3, 0, 1]  # backfill outlets first: the first items by id are not live
    for n in order:
        now = BACKFILL_RUN if n >= 2 else LIVE_FETCH + timedelta(hours=n)
        batch = [
            entry(
                p.key,
                title=p.title,
                summary=f"Summary of {p.key}",
                published=datetime.combine(p.day, time(9, 0), tzinfo=UTC),
                themes=p.themes,
                relevance=p.relevance,
                url=f"https://news.example/{p.key}",
                language=p.language,
            )
            for p in planned
            if p.outlet == n
        ]
        with sessions.begin() as s:
            item_store.store_entries(s, feeds[n], batch, now=now)
    with sessions.begin() as s:
        s.add_all(windows())
    return planned


def windows() -> list[BackfillWindow]:
    """Google News: two windows done, one split, one failed; GDELT: one window done."""

    def window(
        source: str, first: date, last: date, status: str, stored: int = 0, error: str | None = None
    ) -> BackfillWindow:
        return BackfillWindow(
            source=source,
            query_key=f"{source}-en",
            language="en",
            query="Japan Korea security",
            first_day=first,
            last_day=last,
            status=status,
            items_seen=stored + 2 if status == "done" else 0,
            items_stored=stored,
            attempts=3 if status == "failed" else 1,
            last_error=error,
            updated_at=BACKFILL_RUN,
        )

    return [
        window("google-news", date(2026, 8, 31), date(2026, 9, 13), "done", 30),
        window("google-news", date(2026, 9, 14), date(2026, 10, 25), "split"),
        window("google-news", date(2026, 9, 14), date(2026, 9, 27), "done", 25),
        window("google-news", date(2026, 9, 28), date(2026, 10, 25), "failed", error=FAILED_ERROR),
        window("gdelt", date(2026, 8, 31), date(2026, 11, 15), "done", 60),
    ]


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())
