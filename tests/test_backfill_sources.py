"""The pure parts of the backfill: windows, default queries, and reading both services."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from jkwatch.ingest.backfill.gdelt import Gdelt, read_articles
from jkwatch.ingest.backfill.google_news import GoogleNews, strip_publisher
from jkwatch.ingest.backfill.queries import (
    GDELT_MAX_CHARS,
    GOOGLE_MAX_WORDS,
    default_query,
    queries_for,
)
from jkwatch.ingest.backfill.source import SourceError
from jkwatch.ingest.backfill.windows import Window, initial_windows, is_full
from jkwatch.ingest.normalize import FeedContext, normalize_entry
from tests.factories import shared_tagger

# -- windows ---------------------------------------------------------------------------------


def test_a_range_becomes_weeks_with_a_shorter_last_window() -> None:
    windows = initial_windows(date(2026, 1, 1), date(2026, 1, 20))
    assert windows == [
        Window(date(2026, 1, 1), date(2026, 1, 7)),
        Window(date(2026, 1, 8), date(2026, 1, 14)),
        Window(date(2026, 1, 15), date(2026, 1, 20)),
    ]


def test_halving_a_week_down_to_days_covers_every_day_once() -> None:
    todo = [Window(date(2026, 3, 2), date(2026, 3, 8))]
    days = []
    while todo:
        window = todo.pop()
        if window.days == 1:
            days.append(window.first)
        else:
            todo.extend(window.halves())
    assert sorted(days) == [date(2026, 3, d) for d in range(2, 9)]


def test_a_one_day_window_cannot_be_split_and_a_full_response_is_one_at_the_cap() -> None:
    with pytest.raises(ValueError):
        Window(date(2026, 1, 1), date(2026, 1, 1)).halves()
    assert is_full(100, 100) and not is_full(99, 100)


def test_a_window_is_final_only_once_its_last_day_is_over() -> None:
    window = Window(date(2026, 1, 1), date(2026, 1, 7))
    assert not window.is_final(date(2026, 1, 7))
    assert window.is_final(date(2026, 1, 8))


# -- queries ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja", "ko"])
def test_default_queries_name_both_countries_and_stay_within_each_services_limit(
    lang: str,
) -> None:
    taxonomy = shared_tagger().taxonomy
    google = default_query(taxonomy, "google-news", lang)
    gdelt = default_query(taxonomy, "gdelt", lang)
    assert len(google.split()) <= GOOGLE_MAX_WORDS
    assert len(gdelt) <= GDELT_MAX_CHARS
    names = {"en": ("Japan", "South Korea"), "ja": ("日本", "韓国"), "ko": ("일본", "한국")}[lang]
    assert all(name in google for name in names)
    assert "Japan" in gdelt and "South Korea" in gdelt  # GDELT searches English translations
    assert " OR " in google.split(") (")[1]  # a group of security terms follows the names


def test_given_queries_replace_the_defaults_for_every_language() -> None:
    taxonomy = shared_tagger().taxonomy
    queries = queries_for(taxonomy, "google-news", ("en", "ko"), ("GSOMIA", "Dokdo patrol"))
    assert [(q.language, q.text) for q in queries] == [
        ("en", "GSOMIA"),
        ("en", "Dokdo patrol"),
        ("ko", "GSOMIA"),
        ("ko", "Dokdo patrol"),
    ]
    assert len({q.key for q in queries}) == 4


# -- Google News -----------------------------------------------------------------------------


def test_google_asks_after_the_first_day_and_before_the_day_after_the_last() -> None:
    url = GoogleNews("http://127.0.0.1:9").request_url(
        "missile", "ja", date(2026, 2, 1), date(2026, 2, 7)
    )
    parts = urlsplit(url)
    params = parse_qs(parts.query)
    assert parts.path == "/rss/search"
    assert params["q"] == ["missile after:2026-02-01 before:2026-02-08"]
    assert (params["hl"], params["gl"], params["ceid"]) == (["ja"], ["JP"], ["JP:ja"])


_ITEM = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Seoul and Tokyo agree on radar data - Harbor Wire</title>
<link>https://news.google.com/rss/articles/CBMiXYZ?oc=5</link>
<guid isPermaLink="false">CBMiXYZ</guid><pubDate>Tue, 03 Feb 2026 04:00:00 GMT</pubDate>
<description>{description}</description>
<source url="https://harborwire.example.com">Harbor Wire</source></item>
</channel></rss>"""


def _google_entry(description: str) -> tuple[object, object]:
    body = _ITEM.format(description=description).encode()
    page = GoogleNews().read(body, {"content-type": "application/rss+xml"})
    (found,) = page.entries
    return found, normalize_entry(found.raw, FeedContext())


def test_a_google_item_loses_the_publisher_suffix_and_keeps_the_publisher_as_outlet() -> None:
    found, entry = _google_entry(
        "&lt;a href=&quot;https://news.google.com/rss/articles/CBMiXYZ&quot;&gt;Seoul and Tokyo "
        "agree on radar data&lt;/a&gt;&amp;nbsp;&lt;font&gt;Harbor Wire&lt;/font&gt;"
    )
    assert found.outlet == "Harbor Wire"  # type: ignore[attr-defined]
    assert found.site_url == "https://harborwire.example.com"  # type: ignore[attr-defined]
    assert entry.title == "Seoul and Tokyo agree on radar data"  # type: ignore[attr-defined]
    assert entry.summary == ""  # type: ignore[attr-defined]  # it only repeated the title
    # No publisher URL in the item: the aggregator link stays (it is never fetched).
    assert entry.url == "https://news.google.com/rss/articles/CBMiXYZ?oc=5"  # type: ignore[attr-defined]


def test_a_google_item_that_carries_the_publisher_url_is_stored_under_it() -> None:
    _, entry = _google_entry(
        "&lt;a href=&quot;https://harborwire.example.com/2026/radar&quot;&gt;Seoul and Tokyo "
        "agree on radar data&lt;/a&gt;"
    )
    assert entry.url == "https://harborwire.example.com/2026/radar"  # type: ignore[attr-defined]
    assert entry.canonical_url == "https://harborwire.example.com/2026/radar"  # type: ignore[attr-defined]


def test_the_publisher_suffix_is_only_stripped_when_it_names_the_source() -> None:
    assert strip_publisher("Talks resume - a new start - Asia Desk", "Asia Desk") == (
        "Talks resume - a new start"
    )
    assert strip_publisher("Talks resume - a new start", "Asia Desk") == (
        "Talks resume - a new start"
    )


def test_an_html_page_from_google_fails_the_window() -> None:
    with pytest.raises(SourceError, match="HTML"):
        GoogleNews().read(b"<!DOCTYPE html><html><body>unusual traffic</body></html>", {})


# -- GDELT -----------------------------------------------------------------------------------


def test_gdelt_asks_for_whole_utc_days_in_the_language_and_the_cap() -> None:
    url = Gdelt("http://127.0.0.1:9", custom=True).request_url(
        "missile", "ko", date(2026, 2, 1), date(2026, 2, 3)
    )
    params = parse_qs(urlsplit(url).query)
    assert urlsplit(url).path == "/api/v2/doc/doc"
    assert params["query"] == ["missile sourcelang:korean"]
    assert params["startdatetime"] == ["20260201000000"]
    assert params["enddatetime"] == ["20260203235959"]
    assert (params["mode"], params["format"], params["maxrecords"]) == (
        ["artlist"],
        ["json"],
        ["250"],
    )


def test_gdelt_articles_become_entries_from_their_domain_and_country() -> None:
    body = json.dumps(
        {
            "articles": [
                {
                    "url": "https://hanbit.example.kr/news/1",
                    "title": "한일 안보 대화 개최",
                    "seendate": "20260202T093000Z",
                    "domain": "hanbit.example.kr",
                    "language": "Korean",
                    "sourcecountry": "South Korea",
                },
                {"title": "no url: skipped"},
            ]
        }
    ).encode()
    page = read_articles(body)
    assert page.listed == 2
    (found,) = page.entries
    entry = normalize_entry(found.raw, FeedContext())
    assert (found.outlet, found.country) == ("hanbit.example.kr", "kr")
    assert entry.published_at.isoformat() == "2026-02-02T09:30:00+00:00"
    assert entry.canonical_url == "https://hanbit.example.kr/news/1"


def test_gdelt_answering_no_articles_is_an_empty_page() -> None:
    assert read_articles(b"{}").entries == ()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"<html><body>Service busy</body></html>", "HTML"),
        (b"Please limit requests to one every 5 seconds.", "not JSON"),
        (b'{"articles": [', "not JSON"),
        (b'{"articles": 3}', "malformed"),
        (b"", "empty"),
    ],
)
def test_a_gdelt_body_that_is_not_its_json_fails_the_window(body: bytes, words: str) -> None:
    with pytest.raises(SourceError, match=words):
        read_articles(body)


def test_the_public_gdelt_skips_windows_older_than_its_coverage_but_a_mirror_does_not() -> None:
    today = date(2026, 12, 6)
    assert not Gdelt().covers(date(2026, 1, 31), today)
    assert Gdelt().covers(date(2026, 11, 30), today)
    assert Gdelt("http://127.0.0.1:9", custom=True).covers(date(2026, 1, 31), today)
