"""Google News search RSS as a backfill source (pure: URLs in, entries out).

``/rss/search?q=QUERY after:FIRST before:NEXT&hl=..&gl=..&ceid=..``: ``after:`` is the window's
first day and ``before:`` the day after its last, so a window covers its days inclusively (the
operators take dates, which Google reads loosely at the edges; the runner drops items dated
outside the requested range). One response holds at most about 100 items.

Items are aggregator items: the title ends in " - Publisher" (stripped, so the same story from a
live feed clusters with it), the publisher is the ``<source url="...">Name</source>`` element
(the outlet), and the link points at news.google.com. The link is kept unless the item itself
carries the publisher's address (a ``url=`` parameter of the link, or a publisher link in the
description); the aggregator is never fetched to find it. The description only repeats the
title and the publisher, so it is dropped rather than counted twice by the tagger.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

from jkwatch.ingest.backfill.source import Found, Page, SourceError
from jkwatch.ingest.normalize import html_to_text
from jkwatch.ingest.parse import ParseError, RawEntry, parse_feed

BASE_URL = "https://news.google.com"
PATH = "/rss/search"
CAP = 100
LOCALES = {
    "en": ("en-US", "US", "US:en"),
    "ja": ("ja", "JP", "JP:ja"),
    "ko": ("ko", "KR", "KR:ko"),
}
_HREF = re.compile(r"""<a\s[^>]*?href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_AGGREGATOR_HOSTS = ("news.google.com", "google.com", "www.google.com")


def _publisher_url(raw: RawEntry) -> str | None:
    """The publisher's article URL when the item itself carries one, else None."""
    if raw.link:
        params = dict(parse_qsl(urlsplit(raw.link).query))
        target = params.get("url", "")
        if target.startswith(("http://", "https://")):
            return target
    for href in _HREF.findall(raw.summary or ""):
        host = (urlsplit(href).hostname or "").lower()
        if href.startswith(("http://", "https://")) and host and host not in _AGGREGATOR_HOSTS:
            return href
    return None


def strip_publisher(title: str, publisher: str | None) -> str:
    """``title`` without the " - Publisher" Google appends."""
    if publisher:
        for dash in (" - ", " – ", " — "):
            suffix = f"{dash}{publisher}"
            if title.endswith(suffix) and len(title) > len(suffix):
                return title[: -len(suffix)].rstrip()
    return title


def _outlet(raw: RawEntry) -> tuple[str, str | None]:
    if raw.source_name:
        return raw.source_name[:200], raw.source_url
    host = urlsplit(raw.source_url or raw.link or "").hostname
    return (host or "Google News"), raw.source_url


def reshape(raw: RawEntry) -> Found:
    """One aggregator item as the publisher's entry."""
    title = strip_publisher(raw.title.strip(), raw.source_name)
    summary = raw.summary
    plain = html_to_text(summary) if summary else ""
    if not plain or plain.startswith(title[:40]) or (raw.source_name and plain == raw.source_name):
        summary = ""
    link = _publisher_url(raw) or raw.link
    outlet, site = _outlet(raw)
    return Found(replace(raw, title=title, summary=summary, link=link), outlet, site)


@dataclass(frozen=True)
class GoogleNews:
    """The Google News search RSS, at ``base_url`` (a mirror or test server with ``--endpoint``)."""

    base_url: str = BASE_URL
    name: str = "google-news"
    cap: int = CAP
    default_delay_s: float = 1.0

    def request_url(self, query: str, language: str, first_day: date, last_day: date) -> str:
        hl, gl, ceid = LOCALES[language]
        before = last_day + timedelta(days=1)
        q = f"{query} after:{first_day.isoformat()} before:{before.isoformat()}"
        params = urlencode({"q": q, "hl": hl, "gl": gl, "ceid": ceid}, quote_via=quote_plus)
        return f"{self.base_url.rstrip('/')}{PATH}?{params}"

    def read(self, body: bytes, headers: Mapping[str, str]) -> Page:
        try:
            parsed = parse_feed(body, headers)
        except ParseError as exc:
            raise SourceError(str(exc)) from None
        entries = tuple(reshape(raw) for raw in parsed.entries)
        return Page(entries, len(parsed.entries))

    def covers(self, last_day: date, today: date) -> bool:
        return True
