"""Factories for tests: entries, feed specs, feed documents, stored feeds, the shared tagger.

Sensible defaults with named variants (``healthy_feed``, ``news_feed`` are ``rss`` with a
purpose), so a test states only what it is about. The one home for these: test files import
them rather than keeping copies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db.feeds import upsert_feed
from jkwatch.ingest.tagging import Tagger, configured_tagger
from jkwatch.model import EntryIn, FeedRecord, FeedSpec, ThemeIn


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


# -- feed documents ------------------------------------------------------------------------

PUBLISHED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}


@dataclass(frozen=True)
class Story:
    """One ``<item>`` of a generated feed."""

    guid: str
    title: str
    link: str
    published: datetime = PUBLISHED
    description: str | None = None


def rss(
    items: Iterable[Story | tuple[str, str, str]],
    title: str = "Feed",
    link: str = "https://example.com/",
) -> bytes:
    """An RSS 2.0 document; each item a ``Story`` or a ``(guid, title, link)`` triple."""
    body = []
    for item in items:
        story = item if isinstance(item, Story) else Story(*item)
        description = (
            f"<description>{escape(story.description)}</description>" if story.description else ""
        )
        body.append(
            f'<item><guid isPermaLink="false">{escape(story.guid)}</guid>'
            f"<title>{escape(story.title)}</title><link>{escape(story.link)}</link>{description}"
            f"<pubDate>{format_datetime(story.published, usegmt=True)}</pubDate></item>\n"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<description>d</description>\n{''.join(body)}</channel></rss>\n"
    ).encode()


def healthy_feed(tag: str, count: int = 3) -> bytes:
    """Variant: a small valid feed whose links live on their own host (no cross-feed dedupe)."""
    return rss(
        (
            (f"{tag}-{n}", f"{tag} story {n}", f"https://{tag}.example.net/{n}")
            for n in range(count)
        ),
        title=tag,
    )


def news_feed(name: str, count: int = 3, start: datetime | None = None) -> bytes:
    """Variant: ``count`` hourly on-topic items (newest at ``start``) with links unique to ``name``."""
    start = start or PUBLISHED
    return rss(
        (
            Story(
                guid=f"{name}-{i}",
                title=f"{name} report {i}: Seoul and Tokyo discuss missile defence",
                link=f"https://news.example/{name}/{i}",
                published=start - timedelta(hours=i),
                description=f"Story {i} from {name}.",
            )
            for i in range(count)
        ),
        title=name,
        link=f"https://news.example/{name}",
    )


# -- stored rows ---------------------------------------------------------------------------


def add_feeds(sessions: sessionmaker[Session], urls: Iterable[str]) -> list[FeedRecord]:
    """Register one feed per URL (defaults otherwise) in one transaction."""
    with sessions.begin() as session:
        return [upsert_feed(session, FeedSpec(url=url))[0] for url in urls]


# -- the tagger ----------------------------------------------------------------------------


def shared_tagger() -> Tagger:
    """The configured taxonomy's tagger, built once per test process and shared with the
    commands run in-process (tagging never mutates it)."""
    return configured_tagger()


def mixed_entries(
    prefix: str, n: int, start: datetime, second_theme: str = "jk_cooperation"
) -> list[EntryIn]:
    """``n`` entries that exercise every rollup dimension: three days, two languages, a
    relevant/borderline/irrelevant cycle, zero, one or two themes, and every fourth entry a
    copy of the one before it (a story that is not its own lead)."""
    return [
        entry(
            f"{prefix}-{i}",
            title=f"Headline {prefix} {i}",
            published=start + timedelta(days=i % 3, hours=i),
            themes=(("nk_weapons",), ("nk_weapons", second_theme), ())[i % 3],
            relevance=(0.9, 0.62, 0.2)[i % 3],
            language=("en", "ja")[i % 2],
            story_of_entry=f"{prefix}-{i - 1}" if i % 4 == 1 else None,
        )
        for i in range(n)
    ]
