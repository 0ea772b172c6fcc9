"""Factory helpers for tests: entries and feeds with sensible defaults, named variants."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from jkwatch.model import EntryIn, FeedSpec, ThemeIn


def entry(
    key: str,
    title: str = "North Korea fires ballistic missile",
    summary: str = "Seoul and Tokyo said the missile fell outside Japan's EEZ.",
    published: datetime | None = None,
    themes: tuple[str, ...] = ("nk_weapons",),
    relevance: float = 0.9,
    url: str | None = None,
    language: str = "en",
    **extra: object,
) -> EntryIn:
    published = published or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    content_hash = hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()
    return EntryIn(
        entry_key=hashlib.sha256(key.encode()).hexdigest(),
        guid=key,
        title=title,
        summary=summary,
        published_at=published,
        content_hash=content_hash,
        url=url,
        canonical_url=url,
        language=language,
        relevance=relevance,
        relevant=relevance >= 0.5,
        themes=tuple(
            ThemeIn(
                theme_id=t, score=0.8, evidence=({"term": "missile", "field": "title", "count": 1},)
            )
            for t in themes
        ),
        **extra,  # type: ignore[arg-type]
    )


def feed_spec(n: int = 1, **overrides: object) -> FeedSpec:
    values: dict[str, object] = {
        "url": f"http://127.0.0.1:9/feed{n}.xml",
        "name": f"Feed {n}",
        "language": "en",
    }
    values.update(overrides)
    return FeedSpec(**values)  # type: ignore[arg-type]
