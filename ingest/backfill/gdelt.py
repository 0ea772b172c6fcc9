"""The GDELT DOC 2.0 API as a backfill source (pure: URLs in, entries out).

``/api/v2/doc/doc?query=QUERY sourcelang:LANG&mode=artlist&format=json&maxrecords=250&
startdatetime=FIRST000000&enddatetime=LAST235959``: a window's days in UTC, both inclusive; at
most 250 articles per response. Articles carry ``url``, ``title``, ``seendate``
(``20250101T120000Z``, when GDELT first saw it), ``domain``, ``language`` and
``sourcecountry``, and no summary. The outlet is the domain; its country is the source country
(Japan -> jp, South Korea -> kr, any other -> other), else guessed from the domain.

GDELT searches the English machine translation of every article, so queries are English and
``sourcelang:`` picks the articles' language. The public API only searches a rolling window of
about the last three months; windows that end earlier are skipped for the default endpoint
(a mirror given with ``--endpoint`` may hold more). GDELT answers errors (a bad query, a rate
limit) as plain text or HTML with status 200: a body that is not JSON fails the window.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from jkwatch.ingest.backfill.source import Found, Page, SourceError
from jkwatch.ingest.parse import RawEntry

BASE_URL = "https://api.gdeltproject.org"
PATH = "/api/v2/doc/doc"
CAP = 250
COVERAGE_DAYS = 90
SOURCE_LANGUAGES = {"en": "english", "ja": "japanese", "ko": "korean"}
_COUNTRIES = {"japan": "jp", "south korea": "kr", "korea, south": "kr", "korea": "kr"}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _article(item: Any) -> Found | None:
    if not isinstance(item, dict):
        return None
    url = _text(item.get("url"))
    title = _text(item.get("title"))
    if not url or not title:
        return None
    try:
        seen = time.strptime(_text(item.get("seendate")), "%Y%m%dT%H%M%SZ")
    except ValueError:
        seen = None
    domain = _text(item.get("domain")).lower() or None
    country_name = _text(item.get("sourcecountry")).lower()
    country = _COUNTRIES.get(country_name, "other" if country_name else None)
    raw = RawEntry(
        guid=None,
        link=url,
        title=title,
        title_type="text/plain",
        summary="",
        summary_type="text/plain",
        content="",
        author=None,
        published=seen,
        updated=None,
    )
    outlet = domain or "GDELT"
    return Found(raw, outlet, f"https://{domain}/" if domain else None, country)


def read_articles(body: bytes) -> Page:
    """The articles of one ``artlist`` JSON response; ``SourceError`` for anything else."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        raise SourceError("GDELT answered with an empty body")
    try:
        document = json.loads(text)
    except ValueError:
        if text[:100].lower().lstrip().startswith(("<!doctype", "<html")):
            raise SourceError("not JSON: got an HTML page") from None
        first = text.splitlines()[0][:200]
        raise SourceError(f"not JSON: GDELT answered {first!r}") from None
    if not isinstance(document, dict):
        raise SourceError("malformed response: expected a JSON object")
    articles = document.get("articles", [])
    if not isinstance(articles, list):
        raise SourceError("malformed response: 'articles' is not a list")
    found = tuple(f for f in (_article(item) for item in articles) if f is not None)
    return Page(found, len(articles))


@dataclass(frozen=True)
class Gdelt:
    """GDELT's DOC 2.0 API at ``base_url``; ``custom`` when ``--endpoint`` replaced it."""

    base_url: str = BASE_URL
    custom: bool = False
    name: str = "gdelt"
    cap: int = CAP
    default_delay_s: float = 5.0
    country: str | None = None
    """An optional ``sourcecountry:`` filter (GDELT's country name or FIPS code)."""

    def request_url(self, query: str, language: str, first_day: date, last_day: date) -> str:
        full = f"{query} sourcelang:{SOURCE_LANGUAGES[language]}"
        if self.country:
            full += f" sourcecountry:{self.country}"
        params = {
            "query": full,
            "mode": "artlist",
            "format": "json",
            "maxrecords": str(self.cap),
            "startdatetime": f"{first_day:%Y%m%d}000000",
            "enddatetime": f"{last_day:%Y%m%d}235959",
        }
        return f"{self.base_url.rstrip('/')}{PATH}?{urlencode(params, quote_via=quote)}"

    def read(self, body: bytes, headers: Mapping[str, str]) -> Page:
        return read_articles(body)

    def covers(self, last_day: date, today: date) -> bool:
        return self.custom or last_day >= today - timedelta(days=COVERAGE_DAYS)
