"""Polite HTTP for backfills: one request at a time per host, a pause between requests,
``Retry-After`` and capped exponential backoff on 429/503, timeouts and a body-size cap.

News-search services are shared public services, not our feeds: a backfill asks them for
hundreds of pages, so it waits ``delay_s`` between two requests to the same host and backs off
when told to. Limits and identity are the live fetcher's (``FetchSettings``). The sleep
function and both clocks are injected so tests never wait. Every failure is a
``RequestFailed`` whose message is in the words the fetch log uses.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import httpx

from jkwatch.clock import utcnow
from jkwatch.ingest.fetch import FetchSettings
from jkwatch.ingest.fetch_http import network_error, parse_retry_after, status_error

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class RequestFailed(Exception):
    """A request that brought no usable response, in plain words."""


@dataclass(frozen=True)
class Answer:
    """A successful response: its status, headers (lower-case names) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Politeness:
    delay_s: float = 1.0
    """Pause between two requests to the same host (0 for a local mirror)."""
    max_retries: int = 4
    """Retries of one request answered 429 or 503 before it counts as failed."""
    backoff_s: float = 2.0
    """First backoff without ``Retry-After``; doubles each time up to ``max_wait_s``."""
    max_wait_s: float = 300.0
    """Longest single wait, even when ``Retry-After`` asks for more."""


class PoliteClient:
    """Sequential GETs with pauses; close it (or use ``with``) to release connections."""

    def __init__(
        self,
        politeness: Politeness = Politeness(),
        settings: FetchSettings = FetchSettings(),
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], datetime] = utcnow,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.politeness = politeness
        self.settings = settings
        self.sleep = sleep
        self.monotonic = monotonic
        self.clock = clock
        self.transport = transport
        self.requests = 0
        self.waited: list[float] = []
        """Every pause taken, in seconds (what tests and the report look at)."""
        self._last: dict[str, float] = {}
        self._clients: dict[bool, httpx.Client] = {}

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def _client(self, host: str) -> httpx.Client:
        use_env = self.settings.trust_env and host not in _LOOPBACK
        client = self._clients.get(use_env)
        if client is None:
            s = self.settings
            client = httpx.Client(
                timeout=httpx.Timeout(
                    s.read_timeout_s, connect=s.connect_timeout_s, pool=s.connect_timeout_s
                ),
                follow_redirects=True,
                max_redirects=s.max_redirects,
                headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate"},
                trust_env=use_env,
                transport=self.transport,
            )
            self._clients[use_env] = client
        return client

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.waited.append(seconds)
            self.sleep(seconds)

    def _pace(self, host: str) -> None:
        last = self._last.get(host)
        if last is not None:
            self._wait(self.politeness.delay_s - (self.monotonic() - last))

    def get(self, url: str) -> Answer:
        """GET ``url`` politely; ``RequestFailed`` unless it ends in a 2xx with a body in bounds."""
        host = (urlsplit(url).hostname or "").lower()
        p = self.politeness
        for attempt in range(p.max_retries + 1):
            self._pace(host)
            try:
                status, headers, body = self._once(host, url)
            finally:
                self._last[host] = self.monotonic()
            if status in (429, 503) and attempt < p.max_retries:
                told = parse_retry_after(headers.get("retry-after"), self.clock())
                backoff = p.backoff_s * (2**attempt)
                self._wait(min(p.max_wait_s, told if told is not None else backoff))
                continue
            if not 200 <= status < 300:
                retry = parse_retry_after(headers.get("retry-after"), self.clock())
                raise RequestFailed(status_error(status, "", retry))
            return Answer(status, headers, body)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _once(self, host: str, url: str) -> tuple[int, dict[str, str], bytes]:
        s = self.settings
        began = self.monotonic()
        self.requests += 1
        in_body = False
        try:
            with self._client(host).stream("GET", url) as response:
                headers = {k.lower(): v for k, v in response.headers.items()}
                if not 200 <= response.status_code < 300:
                    return response.status_code, headers, b""
                in_body = True
                out = bytearray()
                for chunk in response.iter_bytes():
                    out += chunk
                    if len(out) > s.max_bytes:
                        raise RequestFailed(
                            f"response too large (over {s.max_bytes} bytes), stopped reading"
                        )
                    if self.monotonic() - began > s.total_timeout_s:
                        raise RequestFailed(f"timed out after {s.total_timeout_s:g} s")
                return response.status_code, headers, bytes(out)
        except httpx.HTTPError as exc:
            raise RequestFailed(
                network_error(exc, url, s.connect_timeout_s, s.read_timeout_s, in_body)
            ) from None
