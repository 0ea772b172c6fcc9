"""A fake web of feeds for pipeline tests: canned responses through an ``httpx.MockTransport``.

Pipeline tests that are not about HTTP itself need no server, no port and no waiting:

    feeds = FakeFeeds()
    url = feeds.feed("https://wire.example/a.rss").serves(body, etag='"v1"')
    feeds.feed("https://old.example/a.rss").moved_to(url)
    Pipeline(sessions, transport=feeds.transport).refresh(...)

Every response still goes through the real fetcher (redirects, validators, decoding, error
wording), so what the pipeline sees is what a real publisher would give it. A feed that
``serves`` with an ``etag`` or ``last_modified`` answers a matching conditional request with
304, as a well-behaved publisher does. The HTTP behaviour tests (``test_fetch.py``,
``test_faults_network.py``) keep the real local server of ``tests/feedserver.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

RSS_TYPE = "application/rss+xml; charset=utf-8"
Script = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeFeed:
    """One address of the fake web; each builder replaces what it answers and returns the URL."""

    url: str
    script: Script = field(default=lambda request: response(404, b"no such feed"))

    def serves(
        self,
        body: bytes,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        content_type: str | None = RSS_TYPE,
        headers: dict[str, str] | None = None,
    ) -> str:
        """Answer with ``body``, or 304 to a request whose validators match."""
        sent = dict(headers or {})
        if content_type:
            sent.setdefault("Content-Type", content_type)
        if etag:
            sent["ETag"] = etag
        if last_modified:
            sent["Last-Modified"] = last_modified

        def answer(request: httpx.Request) -> httpx.Response:
            matches = (etag and request.headers.get("if-none-match") == etag) or (
                last_modified and request.headers.get("if-modified-since") == last_modified
            )
            if matches:
                return httpx.Response(
                    304, headers={k: v for k, v in sent.items() if k != "Content-Type"}
                )
            return response(200, body, sent)

        self.script = answer
        return self.url

    def fails(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> str:
        """Answer every request with ``status`` (a 404, a 500, a 429 with Retry-After...)."""
        self.script = lambda request: response(status, body, headers)
        return self.url

    def gone(self) -> str:
        """The publisher removed the feed: HTTP 410."""
        return self.fails(410, b"gone")

    def moved_to(self, target: str, status: int = 301) -> str:
        """Redirect to ``target`` (301/308 are permanent moves, 302/307 are not)."""
        self.script = lambda request: httpx.Response(status, headers={"Location": target})
        return self.url

    def times_out(self) -> str:
        """The publisher never finishes answering (what httpx reports after its read timeout)."""

        def answer(request: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("timed out", request=request)

        self.script = answer
        return self.url

    def answers(self, script: Script) -> str:
        """Any scripted behaviour: ``script(request)`` returns the response."""
        self.script = script
        return self.url


def response(status: int, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    """A response whose body is still to be streamed, as the fetcher reads real ones."""
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


class FakeFeeds:
    """The fake web: addresses to ``FakeFeed`` scripts, and a log of every request made."""

    def __init__(self) -> None:
        self.feeds: dict[str, FakeFeed] = {}
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._handle)

    def feed(self, url: str) -> FakeFeed:
        """The fake feed at ``url`` (created on first use, answering 404 until told otherwise)."""
        return self.feeds.setdefault(url, FakeFeed(url))

    def hits(self, url: str) -> int:
        return sum(1 for request in self.requests if str(request.url) == url)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        known = self.feeds.get(str(request.url))
        if known is None:
            return response(404, b"no such feed")
        return known.script(request)
