"""Local imitations of Google News search RSS and GDELT's DOC 2.0 API for backfill tests.

Both answer on a ``FeedServer`` at the services' real paths, with their URL shapes, caps and
date semantics: Google's ``after:`` is the first day, ``before:`` the day after the last (and,
like the real service, it is loose by a day at the start); GDELT's ``startdatetime`` and
``enddatetime`` are inclusive. Each holds a planted corpus (written here, invented headlines)
and records every query it was asked. ``fail`` plants a failing answer for a window.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

from tests.feedserver import FeedServer, Request, Response

GOOGLE_CAP = 100
GDELT_CAP = 250

_TOPICS = {
    "en": [
        "Japan and South Korea hold missile defence talks",
        "Seoul and Tokyo share early warning data on launches",
        "Defense ministers of Japan and Korea meet over deterrence",
        "South Korean navy and Japanese destroyers drill together",
    ],
    "ja": [
        "日韓の防衛相が会談、ミサイル警戒で協力",
        "韓国と日本が安全保障対話を開催",
        "北朝鮮の弾道ミサイルに日韓が連携して対応",
        "日韓の海上部隊が共同訓練を実施",
    ],
    "ko": [
        "한일 국방장관 회담, 미사일 경보 정보 공유",
        "한국과 일본 안보 대화 개최",
        "북한 탄도미사일 대응 한일 공조 강화",
        "한일 해상 부대 공동 훈련 실시",
    ],
}
_OUTLETS = {
    "en": [
        ("Harbor Wire", "https://harborwire.example.com"),
        ("Asia Desk", "https://asiadesk.example.org"),
    ],
    "ja": [
        ("東方新報", "https://toho-shimpo.example.jp"),
        ("列島通信", "https://retto.example.jp"),
    ],
    "ko": [("한빛일보", "https://hanbit.example.kr"), ("동해신문", "https://donghae.example.kr")],
}
_GDELT_LANG = {"english": "en", "japanese": "ja", "korean": "ko"}
_GDELT_COUNTRY = {"en": "United States", "ja": "Japan", "ko": "South Korea"}


@dataclass(frozen=True)
class Planted:
    """One planted article."""

    key: str
    language: str
    at: datetime
    title: str
    outlet: str
    site: str

    @property
    def url(self) -> str:
        return f"{self.site}/news/{self.key}"

    @property
    def domain(self) -> str:
        return urlsplit(self.site).hostname or ""


def plant(
    since: date,
    until: date,
    per_day: int = 1,
    dense: dict[tuple[str, date], int] | None = None,
    languages: tuple[str, ...] = ("en", "ja", "ko"),
    prefix: str = "a",
    every: int = 1,
) -> list[Planted]:
    """``per_day`` articles a day per language over ``since..until`` (on every ``every``-th
    day), ``dense`` days holding as many as they say."""
    dense = dense or {}
    out = []
    day = since
    while day <= until:
        for lang in languages:
            usual = per_day if (day - since).days % every == 0 else 0
            count = dense.get((lang, day), usual)
            for n in range(count):
                outlet, site = _OUTLETS[lang][n % 2]
                topic = _TOPICS[lang][n % 4]
                at = datetime(day.year, day.month, day.day, 0, 0, tzinfo=UTC) + timedelta(
                    minutes=(n * 7) % 1440
                )
                key = f"{prefix}-{lang}-{day:%Y%m%d}-{n}"
                out.append(Planted(key, lang, at, f"{topic} ({key})", outlet, site))
        day += timedelta(days=1)
    return out


@dataclass
class Service:
    """One imitated service's corpus, the queries it saw and its planted failures."""

    items: list[Planted]
    queries: list[str] = field(default_factory=list)
    failures: dict[date, Callable[[], Response]] = field(default_factory=dict)
    """A window starting on this day gets this answer instead of its items."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay_s: float = 0.0

    def select(self, language: str, first: date, last: date, cap: int) -> list[Planted]:
        found = [i for i in self.items if i.language == language and first <= i.at.date() <= last]
        found.sort(key=lambda i: (i.at, i.key), reverse=True)  # newest first, like the services
        return found[:cap]


def _rss(items: list[Planted], with_publisher_link: bool) -> bytes:
    parts = []
    for item in items:
        aggregator = f"https://news.google.com/rss/articles/{item.key}?oc=5"
        if with_publisher_link:
            description = f'<a href="{item.url}">{escape(item.title)}</a>&nbsp;&nbsp;'
        else:
            description = f'<a href="{aggregator}">{escape(item.title)}</a>&nbsp;&nbsp;'
        description += f'<font color="#6f6f6f">{escape(item.outlet)}</font>'
        parts.append(
            "<item>"
            f"<title>{escape(item.title)} - {escape(item.outlet)}</title>"
            f"<link>{escape(aggregator)}</link>"
            f'<guid isPermaLink="false">{escape(item.key)}</guid>'
            f"<pubDate>{format_datetime(item.at, usegmt=True)}</pubDate>"
            f"<description>{escape(description)}</description>"
            f"<source url={quoteattr(item.site)}>{escape(item.outlet)}</source>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>search - Google News</title><link>https://news.google.com/</link>"
        + "".join(parts)
        + "</channel></rss>"
    ).encode()


_AFTER = re.compile(r"\bafter:(\d{4}-\d{2}-\d{2})")
_BEFORE = re.compile(r"\bbefore:(\d{4}-\d{2}-\d{2})")


def google_handler(
    service: Service, publisher_links: bool = False
) -> Callable[[Request], Response]:
    """``/rss/search``: ``after:`` inclusive (and one day looser), ``before:`` exclusive."""

    def handle(request: Request) -> Response:
        params = parse_qs(urlsplit(request.path).query)
        q = params.get("q", [""])[0]
        lang = params.get("hl", ["en"])[0][:2]
        after, before = _AFTER.search(q), _BEFORE.search(q)
        if not after or not before:
            return Response(400, b"bad query", {"Content-Type": "text/plain"})
        first = date.fromisoformat(after.group(1))
        last = date.fromisoformat(before.group(1)) - timedelta(days=1)
        with service.lock:
            service.queries.append(q)
            failure = service.failures.get(first)
        if failure is not None:
            return failure()
        # Loose at the edges like the real service: the day before `after:` shows up too.
        items = service.select(lang, first - timedelta(days=1), last, GOOGLE_CAP)
        body = _rss(items, publisher_links)
        return Response(
            body=body,
            headers={"Content-Type": "application/rss+xml; charset=utf-8"},
            delay_s=service.delay_s,
        )

    return handle


def gdelt_handler(service: Service) -> Callable[[Request], Response]:
    """``/api/v2/doc/doc``: inclusive start and end times, ``maxrecords`` at most 250."""

    def handle(request: Request) -> Response:
        params = parse_qs(urlsplit(request.path).query)
        query = params.get("query", [""])[0]
        match = re.search(r"sourcelang:(\w+)", query)
        start = params.get("startdatetime", [""])[0]
        end = params.get("enddatetime", [""])[0]
        if not match or len(start) != 14 or len(end) != 14 or params.get("format") != ["json"]:
            return Response(200, b"Invalid query.", {"Content-Type": "text/plain"})
        lang = _GDELT_LANG[match.group(1)]
        first = datetime.strptime(start, "%Y%m%d%H%M%S").date()
        last = datetime.strptime(end, "%Y%m%d%H%M%S").date()
        cap = min(GDELT_CAP, int(params.get("maxrecords", ["75"])[0]))
        with service.lock:
            service.queries.append(query)
            failure = service.failures.get(first)
        if failure is not None:
            return failure()
        items = service.select(lang, first, last, cap)
        articles = [
            {
                "url": item.url,
                "url_mobile": "",
                "title": item.title,
                "seendate": item.at.strftime("%Y%m%dT%H%M%SZ"),
                "socialimage": "",
                "domain": item.domain,
                "language": match.group(1).capitalize(),
                "sourcecountry": _GDELT_COUNTRY[lang],
            }
            for item in items
        ]
        body = json.dumps({"articles": articles} if articles else {}).encode()
        return Response(
            body=body, headers={"Content-Type": "application/json"}, delay_s=service.delay_s
        )

    return handle


def serve(server: FeedServer, google: Service | None = None, gdelt: Service | None = None) -> str:
    """Route the imitated services on ``server``; returns its base URL (for ``--endpoint``)."""
    if google is not None:
        server.route("/rss/search", google_handler(google))
    if gdelt is not None:
        server.route("/api/v2/doc/doc", gdelt_handler(gdelt))
    return server.url("").rstrip("/")


def html_page() -> Response:
    return Response(
        200, b"<!DOCTYPE html><html><body>Sorry...</body></html>", {"Content-Type": "text/html"}
    )


def malformed_json() -> Response:
    return Response(200, b'{"articles": [{"url": ', {"Content-Type": "application/json"})
