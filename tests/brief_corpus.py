"""A small corpus for the brief, stored through the real write path, with known stories.

``seed_brief(sessions)`` stores ``plan()`` (three outlets, nine weeks of background plus a
range week with an event) and places every item in the story the plan names with
``db.stories.writes.save_assignments``, so the brief's stories do not depend on the
clustering. Tests compute every expected figure from the returned ``Planned`` values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db import feeds as feed_store
from jkwatch.db import items as item_store
from jkwatch.db.stories.writes import save_assignments
from jkwatch.db.themes import ThemeInfo, sync_themes
from jkwatch.model import StoryAssignment
from tests.factories import entry, feed_spec

SINCE = date(2026, 11, 9)  # a Monday
UNTIL = date(2026, 11, 15)
OUTLETS = (("en", "Harbour Post"), ("en", "Capital Wire"), ("ja", "Minato Shimbun"))
THEMES = [
    ThemeInfo("nk_weapons", "North Korean weapons", "", 0),
    ThemeInfo("jk_cooperation", "Japan–Korea cooperation", "", 1),
    ThemeInfo("us_alliance", "US alliance", "", 2),
]
LABELS = {theme.id: theme.label for theme in THEMES}
XSS_TITLE = '<script>alert("x")</script> Minister <b>resigns</b> & [link](javascript:alert(1))'
# Weekly counts (oldest first) of relevant background items per theme in the 8 weeks before
# the range, then in the range itself.
BACKGROUND = {
    "nk_weapons": ([2, 3, 2, 1, 3, 2, 2, 3], 2),
    "jk_cooperation": ([4, 6, 5, 7, 5, 6, 4, 6], 1),
    "us_alliance": ([1, 1, 1, 1, 1, 1, 1, 1], 1),
}


@dataclass(frozen=True)
class Planned:
    key: str
    outlet: int  # index into OUTLETS
    title: str
    published_at: datetime
    themes: tuple[str, ...]
    relevance: float
    story: str  # items with the same story key form one story

    @property
    def day(self) -> date:
        return self.published_at.date()

    @property
    def language(self) -> str:
        return OUTLETS[self.outlet][0]

    @property
    def url(self) -> str:
        return f"https://outlet{self.outlet}.example/{self.key}"


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour % 24, 0), tzinfo=UTC)


def plan() -> list[Planned]:
    out: list[Planned] = []
    for theme, (weeks, in_range) in BACKGROUND.items():
        for week, n in enumerate([*weeks, in_range]):
            monday = SINCE - timedelta(days=7 * (8 - week))
            for i in range(n):
                key = f"{theme}-w{week}-{i}"
                out.append(
                    Planned(
                        key=key,
                        outlet=i % 3,
                        title=f"Background report {key}",
                        published_at=_at(monday + timedelta(days=i % 7), 8 + i),
                        themes=(theme,),
                        relevance=0.8,
                        story=key,
                    )
                )
    # The event: six reports by all three outlets over two days, one story.
    event_day = SINCE + timedelta(days=3)
    for i in range(6):
        out.append(
            Planned(
                key=f"event-{i}",
                outlet=i % 3,
                title=f"Missile salvo over the sea, report {i}",
                published_at=_at(event_day, 6 + 5 * i),
                themes=("nk_weapons", "us_alliance") if i % 2 else ("nk_weapons",),
                relevance=0.9,
                story="event",
            )
        )
    # A second story (two outlets), follow-ups of the missile theme, one with a hostile title.
    for i in range(2):
        out.append(
            Planned(
                key=f"follow-{i}",
                outlet=i,
                title=XSS_TITLE if i == 0 else "Follow-up on the salvo",
                published_at=_at(UNTIL - timedelta(days=1), 10 + i),
                themes=("nk_weapons",),
                relevance=0.7,
                story="follow",
            )
        )
    # More single reports of the rise, and irrelevant items that must not count.
    for i in range(5):
        out.append(
            Planned(
                key=f"single-{i}",
                outlet=(i + 1) % 3,
                title=f"Missile analysis {i}",
                published_at=_at(SINCE + timedelta(days=i), 12),
                themes=("nk_weapons",),
                relevance=0.6,
                story=f"single-{i}",
            )
        )
        out.append(
            Planned(
                key=f"noise-{i}",
                outlet=i % 3,
                title=f"Sports round-up {i}",
                published_at=_at(SINCE + timedelta(days=i), 15),
                themes=("nk_weapons",),
                relevance=0.2,
                story=f"noise-{i}",
            )
        )
    return out


def seed_brief(sessions: sessionmaker[Session]) -> tuple[list[Planned], dict[str, int]]:
    """Store ``plan()`` and its stories; returns the plan and item ids by key."""
    items = plan()
    ids: dict[str, int] = {}
    with sessions.begin() as s:
        sync_themes(s, THEMES)
        for n, (language, name) in enumerate(OUTLETS):
            feed = feed_store.upsert_feed(s, feed_spec(n + 1, name=name, language=language))[0]
            own = [it for it in items if it.outlet == n]
            batch = [
                entry(
                    it.key,
                    title=it.title,
                    summary=f"Summary of {it.key}",
                    published=it.published_at,
                    themes=it.themes,
                    relevance=it.relevance,
                    url=it.url,
                    language=it.language,
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


def count(
    items: list[Planned], theme: str, first: date, last: date, keep: Callable[[Planned], bool]
) -> int:
    return sum(theme in it.themes and first <= it.day <= last and keep(it) for it in items)
