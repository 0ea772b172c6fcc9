"""Feed discovery: turn what a user pastes (a feed URL or a web page URL) into a feed URL.

If the address serves a feed (feedparser recognises a format) it is used as is; if it serves
HTML, the page's ``<link rel="alternate">`` tags for RSS, Atom or JSON Feed are the
candidates, resolved against the page (and its ``<base href>``), in page order. The page is
only read by ``html.parser``: nothing is rendered or executed.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

import feedparser

from jkwatch.ingest.fetch import FetchRequest, FetchSettings, check_url, fetch_one

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
    "application/json",
)
MAX_CANDIDATES = 3
"""Page feed links tried in turn before giving up (pages rarely list more that differ)."""


class DiscoveryError(Exception):
    """No feed could be found at the address (the message says why, in user words)."""


@dataclass(frozen=True)
class FeedLink:
    """One ``<link rel="alternate">`` feed advertised by a page."""

    url: str
    type: str
    title: str | None = None


@dataclass(frozen=True)
class DiscoveryResult:
    """The feed to subscribe to (``url``) and how it was found."""

    url: str
    """The feed address: the given URL, its permanent new address, or the first candidate."""
    title: str | None = None
    language: str | None = None
    via_page: str | None = None
    """The web page the feed was discovered from (None when the URL itself is a feed)."""
    candidates: tuple[FeedLink, ...] = ()


class _LinkFinder(HTMLParser):
    """Collect ``<base href>`` and feed ``<link rel="alternate">`` tags, stop at ``<body>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "").strip() for name, value in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            kind = values.get("type", "").lower().split(";")[0].strip()
            if "alternate" in rels and kind in FEED_TYPES and values.get("href"):
                self.links.append((values["href"], kind, values.get("title") or None))


def find_feed_links(html: str, page_url: str) -> list[FeedLink]:
    """The feed links a page advertises, as absolute URLs, in page order, without repeats.

    Links that are not http(s) after resolution (``javascript:``, ``file:``) are dropped.
    """
    finder = _LinkFinder()
    finder.feed(html)
    finder.close()
    base = urljoin(page_url, finder.base) if finder.base else page_url
    found: list[FeedLink] = []
    seen: set[str] = set()
    for href, kind, title in finder.links:
        try:
            url = check_url(urljoin(base, href))
        except ValueError:
            continue
        if url not in seen:
            seen.add(url)
            found.append(FeedLink(url=url, type=kind, title=title))
    return found


def _decode(body: bytes, content_type: str) -> str:
    charset = None
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _as_feed(body: bytes, headers: dict[str, str]) -> feedparser.FeedParserDict | None:
    parsed = feedparser.parse(body, response_headers=headers)
    if parsed.get("version"):
        return parsed
    return None


def _read_feed(
    url: str, settings: FetchSettings
) -> tuple[DiscoveryResult | None, str, bytes, dict[str, str]]:
    """Fetch ``url``; a result when it is a feed, else the page address, body and headers."""
    result = fetch_one(FetchRequest(feed_id=0, url=url), settings)
    if result.kind != "ok" or result.body is None:
        raise DiscoveryError(f"could not fetch {url}: {result.error or result.kind}")
    headers = dict(result.headers)
    parsed = _as_feed(result.body, headers)
    if parsed is not None:
        feed = parsed.get("feed", {})
        found = DiscoveryResult(
            url=result.permanent_redirect or url,
            title=feed.get("title") or None,
            language=feed.get("language") or None,
        )
        return found, url, result.body, headers
    return None, result.final_url or url, result.body, headers


def discover_feed(url: str, settings: FetchSettings = FetchSettings()) -> DiscoveryResult:
    """Find the feed behind ``url``; raises ``DiscoveryError`` (or ``InvalidURL``).

    Page candidates are checked in order: the first one that really serves a feed wins, so
    a stale link in a page template does not end up as the subscription.
    """
    url = check_url(url)
    found, page_url, body, headers = _read_feed(url, settings)
    if found is not None:
        return found
    links = find_feed_links(_decode(body, headers.get("content-type", "")), page_url)
    if not links:
        raise DiscoveryError(
            f'no feed found at {url}: the page has no <link rel="alternate"> feed links'
        )
    problems: list[str] = []
    for link in links[:MAX_CANDIDATES]:
        try:
            feed, _, _, _ = _read_feed(link.url, settings)
        except DiscoveryError as exc:
            problems.append(str(exc))
            continue
        if feed is None:
            problems.append(f"{link.url} is not a feed")
            continue
        return DiscoveryResult(
            url=feed.url,
            title=feed.title or link.title,
            language=feed.language,
            via_page=page_url,
            candidates=tuple(links),
        )
    raise DiscoveryError(
        f"no usable feed found at {url}: the page links to feeds but none could be read "
        f"({'; '.join(problems)})"
    )
