"""A small corpus for the Japan–Korea comparison, stored through the real write path.

Four outlets (a Tokyo daily in Japanese, a Seoul daily in Korean, a Seoul English daily and a
third-country analysis site), items in, before and after the range, relevant and not, with
themes, the entities they name (``EntryIn.entities``, stored by ``db.items.store_entries``)
and stories placed with ``db.stories.writes.save_assignments``. Tests compute every expected
figure from the returned ``Planned`` values. Headlines are written for these tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db import feeds as feed_store
from jkwatch.db import items as item_store
from jkwatch.db.stories.writes import save_assignments
from jkwatch.db.themes import ThemeInfo, sync_themes
from jkwatch.model import EntityMatch, StoryAssignment
from tests.factories import entry, feed_spec

SINCE = date(2026, 11, 2)  # a Monday
UNTIL = date(2026, 11, 15)  # 14 days: the gap is shown per day
# (language, name, country)
OUTLETS = (
    ("ja", "Minato Shimbun", "jp"),
    ("ko", "Hangang Ilbo", "kr"),
    ("en", "Seoul Evening Post", "kr"),
    ("en", "Peninsula Analysis", "other"),
)
THEMES = [
    ThemeInfo("territorial", "Territorial disputes", "", 0),
    ThemeInfo("nk_weapons", "North Korean weapons", "", 1),
    ThemeInfo("history", "History issues", "", 2),
    ThemeInfo("jk_cooperation", "Japan–Korea cooperation", "", 3),
]
LABELS = {theme.id: theme.label for theme in THEMES}
HOSTILE_TITLE = "<img src=x onerror=alert(1)> **Leaked** memo [link](javascript:alert(2)) |"


@dataclass(frozen=True)
class Planned:
    key: str
    outlet: int  # index into OUTLETS
    title: str
    day: date
    themes: tuple[str, ...]
    relevance: float
    story: str
    entities: tuple[str, ...] = ()
    hour: int = 9

    @property
    def country(self) -> str:
        return OUTLETS[self.outlet][2]

    @property
    def language(self) -> str:
        return OUTLETS[self.outlet][0]

    @property
    def relevant(self) -> bool:
        return self.relevance >= 0.5

    @property
    def published_at(self) -> datetime:
        return datetime.combine(self.day, time(self.hour, 0), tzinfo=UTC)


def _story(
    name: str,
    per_outlet: dict[int, int],
    day: date,
    themes: tuple[str, ...],
    title: str,
    entities: tuple[str, ...] = (),
    relevance: float = 0.8,
) -> list[Planned]:
    out = []
    for outlet, n in per_outlet.items():
        for i in range(n):
            out.append(
                Planned(
                    key=f"{name}-{outlet}-{i}",
                    outlet=outlet,
                    title=f"{title} ({OUTLETS[outlet][1]}, part {i + 1})",
                    day=day + timedelta(days=i % 2),
                    themes=themes,
                    relevance=relevance,
                    story=name,
                    entities=entities,
                    hour=6 + 3 * i + outlet,
                )
            )
    return out


def plan() -> list[Planned]:
    items: list[Planned] = []
    # Covered in Korea, not in Japan: 2 Korean-language and 2 English reports from Seoul.
    items += _story(
        "islets",
        {1: 2, 2: 2},
        SINCE + timedelta(days=2),
        ("territorial",),
        "Coast guard ships circle the disputed islets",
        ("dokdo", "japan"),
    )
    # Covered in Japan, barely in Korea: 5 Japanese reports, 1 Korean (at most a quarter).
    items += _story(
        "launch",
        {0: 5, 1: 1},
        SINCE + timedelta(days=5),
        ("nk_weapons",),
        "Ballistic missile falls inside the economic zone",
        ("north_korea",),
    )
    # Two-sided: both presses in force.
    items += _story(
        "summit",
        {0: 3, 1: 2, 2: 1, 3: 1},
        SINCE + timedelta(days=7),
        ("jk_cooperation", "nk_weapons"),
        "Leaders agree to restart shuttle diplomacy",
        ("japan", "south_korea", "north_korea"),
    )
    # More than a quarter on the other side: not one-sided (4 Korean, 2 Japanese).
    items += _story(
        "shrine",
        {1: 4, 0: 2},
        SINCE + timedelta(days=9),
        ("history",),
        "Ministers send offerings to the war shrine",
        ("japan",),
    )
    # A small Korean-only story whose headline is hostile markup (escaped everywhere).
    items += _story("memo", {2: 2}, SINCE + timedelta(days=11), ("history",), HOSTILE_TITLE)
    # One lone Korean report: too small to be "heavy" coverage.
    items += _story(
        "lone", {2: 1}, SINCE + timedelta(days=3), ("history",), "Museum reopens wartime exhibit"
    )
    # Irrelevant Korean reports: not counted anywhere.
    items += _story(
        "festival",
        {1: 3},
        SINCE + timedelta(days=4),
        ("territorial",),
        "Island festival draws record crowds",
        ("dokdo",),
        relevance=0.3,
    )
    # Outside the range, before and after: not counted.
    items += _story(
        "before",
        {1: 3},
        SINCE - timedelta(days=3),
        ("territorial",),
        "Fishing boats turned back near the islets",
        ("dokdo",),
    )
    items += _story(
        "after",
        {0: 3},
        UNTIL + timedelta(days=1),
        ("nk_weapons",),
        "Satellite launch window announced",
        ("north_korea",),
    )
    # Single relevant reports with no theme (they count in each country's denominator).
    for outlet in range(4):
        items.append(
            Planned(
                key=f"plain-{outlet}",
                outlet=outlet,
                title=f"Defence ministry briefing notes {outlet}",
                day=UNTIL,
                themes=(),
                relevance=0.6,
                story=f"plain-{outlet}",
            )
        )
    return items


def seed_compare(sessions: sessionmaker[Session]) -> tuple[list[Planned], dict[str, int]]:
    """Store ``plan()``, its entities and its stories; returns the plan and item ids by key."""
    items = plan()
    ids: dict[str, int] = {}
    with sessions.begin() as s:
        sync_themes(s, THEMES)
        for n, (language, name, country) in enumerate(OUTLETS):
            spec = feed_spec(n + 1, name=name, language=language, country=country)
            feed = feed_store.upsert_feed(s, spec)[0]
            own = [it for it in items if it.outlet == n]
            batch = [
                entry(
                    it.key,
                    title=it.title,
                    summary=f"Summary of {it.key}",
                    published=it.published_at,
                    themes=it.themes,
                    relevance=it.relevance,
                    url=f"https://outlet{n}.example/{it.key}",
                    language=it.language,
                    entities=tuple(EntityMatch(e, (e,)) for e in it.entities),
                )
                for it in own
            ]
            new = item_store.store_entries(s, feed, batch).new_ids
            ids.update(zip([it.key for it in own], new, strict=True))
        story_ids = story_id_by_key(items, ids)
        save_assignments(s, [StoryAssignment(ids[it.key], story_ids[it.story]) for it in items])
    return items, ids


def story_id_by_key(items: list[Planned], ids: dict[str, int]) -> dict[str, int]:
    """Each story's id: the smallest item id among its members (the clustering's rule)."""
    out: dict[str, int] = {}
    for it in items:
        out[it.story] = min(out.get(it.story, ids[it.key]), ids[it.key])
    return out


def relevant_in(items: list[Planned], first: date, last: date) -> list[Planned]:
    return [it for it in items if it.relevant and first <= it.day <= last]
