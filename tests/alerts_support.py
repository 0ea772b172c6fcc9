"""Helpers for the alerts engine's unit tests: a recording channel double, a settable clock,
rule builders, and a small corpus with a story in both countries' press.

The double stands in for ``jkwatch.alerts.channels.deliver`` in the engine's unit tests only;
the end-to-end tests (``test_alerts_end_to_end``) deliver through the real channels.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from jkwatch.alerts.config import AlertsConfig, BriefSpec, Rule
from jkwatch.alerts.message import DeliveryError, Message
from jkwatch.db import feeds as feed_store
from jkwatch.db import items as item_store
from jkwatch.db.stories.writes import save_assignments
from jkwatch.db.themes import sync_themes
from jkwatch.model import EntityMatch, StoryAssignment
from tests.brief_corpus import THEMES
from tests.factories import entry, feed_spec


@dataclass(frozen=True)
class FakeSpec:
    """A channel as the engine sees it: a name and a type."""

    name: str
    type: str = "webhook"


@dataclass
class Recorder:
    """A channel double: records every message, and fails on the channels told to."""

    failing: dict[str, DeliveryError] = field(default_factory=dict)
    sent: list[tuple[str, Message]] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)
    pause_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, spec: Any, message: Message) -> None:
        with self.lock:
            self.attempts.append(spec.name)
        if self.pause_s:
            threading.Event().wait(self.pause_s)  # widen the race window between workers
        if spec.name in self.failing:
            raise self.failing[spec.name]
        with self.lock:
            self.sent.append((spec.name, message))

    def delivered(self) -> list[tuple[str, str]]:
        return sorted((name, m.event_key) for name, m in self.sent)


class Clock:
    """A settable clock (aware UTC)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def config(*rules: Rule, briefs: tuple[BriefSpec, ...] = (), channels=("desk", "team")):
    return AlertsConfig(
        channels={name: FakeSpec(name) for name in channels},  # type: ignore[misc]
        rules=tuple(rules),
        briefs=briefs,
        source="test",
    )


def spike_rule(**overrides: Any) -> Rule:
    values: dict[str, Any] = {
        "name": "nk-spike",
        "type": "spike",
        "channels": ("desk", "team"),
        "theme": "nk_weapons",
        "min_z": 2.5,
        "min_count": 5,
    }
    values.update(overrides)
    return Rule(**values)


def watch_rule(**overrides: Any) -> Rule:
    values: dict[str, Any] = {
        "name": "salvo-watch",
        "type": "watch",
        "channels": ("desk",),
        "query": "salvo",
        "lookback": timedelta(days=30),
    }
    values.update(overrides)
    return Rule(**values)


STORY_DAY = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
COUNTRY_FEEDS = (
    ("jp", "Kaigan Times", "en"),
    ("kr", "Hanbando Daily", "en"),
    ("other", "Wire", "en"),
)


def seed_two_country_story(sessions: sessionmaker[Session]) -> dict[str, int]:
    """A story told by a Japanese, a Korean and a third outlet, a one-outlet story, and an item
    naming Dokdo; returns item ids by key."""
    ids: dict[str, int] = {}
    plan = {
        0: [("shared-jp", "Island talks stall again", ("dokdo",)), ("lone", "Local note", ())],
        1: [("shared-kr", "Island talks stall, Seoul says", ("dokdo",))],
        2: [("shared-wire", "Talks on the islands stall", ())],
    }
    with sessions.begin() as s:
        sync_themes(s, THEMES)
        for n, (country, name, language) in enumerate(COUNTRY_FEEDS):
            feed = feed_store.upsert_feed(
                s, feed_spec(n + 11, name=name, language=language, country=country)
            )[0]
            batch = [
                entry(
                    key,
                    title=title,
                    summary=f"Summary of {key}",
                    published=STORY_DAY + timedelta(hours=i + n),
                    themes=("jk_cooperation",),
                    relevance=0.8,
                    url=f"https://outlet{n}.example/{key}",
                    entities=tuple(EntityMatch(e, ("Dokdo",)) for e in entities),
                )
                for i, (key, title, entities) in enumerate(plan[n])
            ]
            new = item_store.store_entries(s, feed, batch).new_ids
            ids.update(zip([key for key, _, _ in plan[n]], new, strict=True))
        story = min(ids["shared-jp"], ids["shared-kr"], ids["shared-wire"])
        save_assignments(
            s,
            [
                StoryAssignment(ids["shared-jp"], story),
                StoryAssignment(ids["shared-kr"], story),
                StoryAssignment(ids["shared-wire"], story),
                StoryAssignment(ids["lone"], ids["lone"]),
            ],
        )
    return ids
