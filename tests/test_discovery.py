"""Feed discovery from a feed URL or a web page's <link rel="alternate"> tags, over real HTTP."""

from __future__ import annotations

import pytest

from jkwatch.ingest.discovery import DiscoveryError, discover_feed, find_feed_links
from jkwatch.ingest.fetch import FetchSettings, InvalidURL
from tests.feedserver import FeedServer, Response

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>연합뉴스 북한</title><language>ko</language>
<item><title>북한, 탄도미사일 발사</title><guid>1</guid></item></channel></rss>""".encode()
RSS_HEADERS = {"Content-Type": "application/rss+xml; charset=utf-8"}
FAST = FetchSettings(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=5)


def page(head: str) -> Response:
    html = f"<!doctype html><html><head><title>News</title>{head}</head><body>hi</body></html>"
    return Response(body=html.encode(), headers={"Content-Type": "text/html; charset=utf-8"})


@pytest.fixture
def server(feed_server: FeedServer) -> FeedServer:
    return feed_server


def test_a_feed_url_is_used_as_is_with_its_title_and_language(server: FeedServer) -> None:
    url = server.route("/rss/nk.xml", Response(body=RSS, headers=RSS_HEADERS))
    found = discover_feed(url, FAST)
    assert found.url == url and found.via_page is None
    assert found.title == "연합뉴스 북한" and found.language == "ko"


def test_a_page_with_a_relative_autodiscovery_link_leads_to_the_feed(server: FeedServer) -> None:
    feed = server.route("/rss/nk.xml", Response(body=RSS, headers=RSS_HEADERS))
    head = (
        '<link rel="stylesheet" href="/style.css">'
        '<link rel="alternate" type="application/rss+xml" title="North Korea" href="../rss/nk.xml">'
        '<link rel="alternate" type="application/atom+xml" href="/atom.xml">'
    )
    url = server.route("/nk/index.html", page(head))
    found = discover_feed(url, FAST)
    assert found.url == feed and found.via_page == url
    assert found.title == "연합뉴스 북한" and found.language == "ko"  # read from the feed itself
    assert [c.url for c in found.candidates] == [feed, server.url("/atom.xml")]


def test_a_broken_first_candidate_falls_through_to_the_next(server: FeedServer) -> None:
    head = (
        '<link rel="alternate" type="application/rss+xml" href="/gone.xml">'
        '<link rel="alternate" type="application/atom+xml" title="Atom" href="/index.html">'
        '<link rel="alternate" type="application/rss+xml" title="Real" href="/real.xml">'
    )
    url = server.route("/index.html", page(head))
    real = server.route("/real.xml", Response(body=RSS, headers=RSS_HEADERS))
    found = discover_feed(url, FAST)
    assert found.url == real


def test_a_page_whose_feed_links_are_all_broken_says_so(server: FeedServer) -> None:
    url = server.route("/", page('<link rel="alternate" type="application/rss+xml" href="/x">'))
    with pytest.raises(DiscoveryError, match="none could be read .*HTTP 404 Not Found"):
        discover_feed(url, FAST)


def test_a_permanently_moved_feed_is_reported_at_its_new_address(server: FeedServer) -> None:
    server.route("/old.xml", Response(301, headers={"Location": "/new.xml"}))
    new = server.route("/new.xml", Response(body=RSS, headers=RSS_HEADERS))
    assert discover_feed(server.url("/old.xml"), FAST).url == new


def test_a_page_without_feed_links_is_a_clear_error(server: FeedServer) -> None:
    url = server.route("/", page('<link rel="icon" href="/favicon.ico">'))
    with pytest.raises(DiscoveryError) as caught:
        discover_feed(url, FAST)
    assert str(caught.value) == (
        f'no feed found at {url}: the page has no <link rel="alternate"> feed links'
    )


def test_an_unreachable_address_is_a_discovery_error_in_words(server: FeedServer) -> None:
    with pytest.raises(DiscoveryError, match="HTTP 404 Not Found"):
        discover_feed(server.url("/missing"), FAST)


def test_a_non_http_address_is_refused_before_fetching() -> None:
    with pytest.raises(InvalidURL, match="not 'file:'"):
        discover_feed("file:///etc/passwd")


def test_link_parsing_honours_base_and_drops_non_http_targets() -> None:
    html = """<html><head><base href="https://cdn.example.org/en/">
    <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    <LINK REL="Alternate Feed" TYPE="application/feed+json" HREF="feed.json">
    <link rel="alternate" type="text/html" hreflang="ja" href="/ja/">
    <link rel="alternate" type="application/rss+xml; charset=utf-8" href="//other.example/rss">
    <link rel="alternate" type="application/rss+xml" href="feed.json">
    </head></html>"""
    links = find_feed_links(html, "https://www.example.org/page")
    assert [(link.url, link.type) for link in links] == [
        ("https://cdn.example.org/en/feed.json", "application/feed+json"),
        ("https://other.example/rss", "application/rss+xml"),
    ]
