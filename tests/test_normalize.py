"""Normalisation: canonical URLs, plain text, UTC dates with flags, entry identity, golden output."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jkwatch.ingest.normalize import (
    SUMMARY_MAX,
    TITLE_MAX,
    FeedContext,
    canonical_url,
    entry_key,
    html_to_text,
    normalize_entry,
    published_time,
)
from jkwatch.ingest.parse import RawEntry, parse_feed

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
FETCHED = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def raw(**overrides: object) -> RawEntry:
    values: dict[str, object] = {
        "guid": "g1",
        "link": "https://a.example/1",
        "title": "Title",
        "title_type": "text/plain",
        "summary": "Summary",
        "summary_type": "text/html",
        "content": "",
        "author": None,
        "published": time.gmtime(1793000000),
        "updated": None,
    }
    values.update(overrides)
    return RawEntry(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.COM:443/a?b=2&a=1#frag", "https://news.example.com/a?a=1&b=2"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        (
            "https://e.example/p?utm_source=rss&utm_medium=x&fbclid=1&gclid=2&mc_cid=3&id=9",
            "https://e.example/p?id=9",
        ),
        (
            "https://www.google.com/url?q=https://e.example/story%3Fid%3D1&sa=t",
            "https://e.example/story?id=1",
        ),
        (
            "https://news.google.com/articles/x?url=https%3A%2F%2Fe.example%2Fs%3Futm_source%3Dg",
            "https://e.example/s",
        ),
        ("https://t.co/AbC123", "https://t.co/AbC123"),
        ("javascript:alert(1)", None),
        ("mailto:x@example.com", None),
        ("", None),
    ],
)
def test_canonical_url_normalises_and_unwraps(url: str, expected: str | None) -> None:
    assert canonical_url(url) == expected


def test_relative_links_resolve_against_the_feed_link() -> None:
    assert (
        canonical_url("/news/1", base="https://e.example/national/") == "https://e.example/news/1"
    )


def test_html_to_text_drops_tags_scripts_and_decodes_entities() -> None:
    html = "<p>Seoul &amp; Tokyo&nbsp;<b>agree</b></p><script>alert('x')</script><style>p{}</style>\n\n ok"
    assert html_to_text(html) == "Seoul & Tokyo agree ok"


def test_control_characters_are_removed() -> None:
    entry = normalize_entry(raw(title="North\x00 Korea\x07 fires", summary="a\x1fb"), FeedContext())
    assert entry.title == "North Korea fires"
    assert entry.summary == "ab"


def test_missing_date_falls_back_to_fetch_time_with_flag() -> None:
    assert published_time(None, None, FETCHED) == (FETCHED, "missing")


def test_updated_is_used_when_published_is_missing() -> None:
    when, flag = published_time(None, time.gmtime(1793000000), FETCHED)
    assert flag is None and when == datetime.fromtimestamp(1793000000, UTC)


def test_future_date_beyond_a_day_is_clamped_and_flagged() -> None:
    assert published_time(time.gmtime(4102444800), None, FETCHED) == (FETCHED, "future")


def test_pre_1990_date_is_kept_and_flagged_ancient() -> None:
    when, flag = published_time(time.gmtime(0), None, FETCHED)
    assert flag == "ancient" and when.year == 1970


def test_entry_key_prefers_guid_then_guid_and_link_for_bare_numbers_then_link_then_text() -> None:
    assert entry_key("abc", "https://a/1", "t", "c") == entry_key("abc", "https://a/2", "x", "y")
    assert entry_key("42", "https://a/1", "t", "c") != entry_key("42", "https://a/2", "t", "c")
    assert entry_key(None, "https://a/1", "t", "c") == entry_key(None, "https://a/1", "u", "d")
    assert entry_key(None, None, "t", "c") != entry_key(None, None, "t", "d")


def test_title_and_summary_are_capped() -> None:
    entry = normalize_entry(raw(title="t" * 5000, summary="s" * 50_000), FeedContext())
    assert len(entry.title) == TITLE_MAX
    assert len(entry.summary) == SUMMARY_MAX


def test_content_hash_changes_when_the_title_changes() -> None:
    a = normalize_entry(raw(title="A"), FeedContext())
    b = normalize_entry(raw(title="B"), FeedContext())
    assert a.entry_key == b.entry_key and a.content_hash != b.content_hash


def test_untitled_entry_takes_its_title_from_the_summary() -> None:
    entry = normalize_entry(raw(title="", summary="<p>Short text</p>"), FeedContext())
    assert entry.title == "Short text"


def _golden(name: str, context: FeedContext) -> list[dict]:
    feed = parse_feed((FEEDS / name).read_bytes())
    out = []
    for item in feed.entries:
        entry = normalize_entry(item, context)
        out.append(
            {
                "title": entry.title,
                "summary": entry.summary,
                "url": entry.url,
                "canonical_url": entry.canonical_url,
                "published_at": entry.published_at.isoformat(),
                "date_flag": entry.date_flag,
            }
        )
    return out


@pytest.mark.parametrize("name", ["yonhap_like.rss", "missing_dates.rss"])
def test_fixture_feed_normalises_to_its_golden_expectation(name: str) -> None:
    context = FeedContext(link=parse_feed((FEEDS / name).read_bytes()).link, fetched_at=FETCHED)
    expected = json.loads((FEEDS / name).with_suffix(".expected.json").read_text("utf-8"))
    assert _golden(name, context) == expected
