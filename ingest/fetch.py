"""HTTP fetching for feeds: bytes, headers and caching information, never parsing.

Implements the value contract of ``ingest.fetch_api``: every outcome (a 304, a timeout, a
refused connection) comes back as a ``FetchResult`` whose ``error`` is in user words; nothing
here raises for network or HTTP trouble. ``iter_fetch`` runs the requests concurrently on an
asyncio loop in a background thread (bounded globally and per host, so one publisher is never
hit by more than a couple of connections) and yields results as they complete, so the
caller can parse and store one feed while others are still downloading.

Redirects are followed by hand so loops, non-http targets and permanent moves are visible;
compressed bodies are inflated here with an output cap, so a gzip bomb stops at ``max_bytes``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import os
import queue
import ssl
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urljoin, urlsplit

import certifi
import httpx

from jkwatch import __version__
from jkwatch.ingest.fetch_api import FetchRequest, FetchResult
from jkwatch.ingest.fetch_http import (
    MIB,
    FetchFailure,
    network_error,
    parse_max_age,
    parse_retry_after,
    read_body,
    secs,
    status_error,
)


def _fast_missing_sniffio() -> None:
    """Make httpcore's per-request ``import sniffio`` fail fast when sniffio is absent.

    httpcore tries that import on every lock it sets up; without sniffio (anyio 4.x no longer
    pulls it in) each failed import rescans ``sys.path`` (~0.7 ms, two thirds of the client
    CPU in a 500-feed refresh). A ``None`` entry in ``sys.modules`` makes the import raise
    ``ImportError`` at once, which is exactly what it would do anyway.
    """
    try:
        import sniffio  # noqa: F401
    except ImportError:
        sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]


_fast_missing_sniffio()

__all__ = [
    "FetchRequest",
    "FetchResult",
    "FetchSettings",
    "InvalidURL",
    "check_url",
    "fetch_one",
    "iter_fetch",
    "parse_max_age",
    "parse_retry_after",
]

log = logging.getLogger(__name__)
PERMANENT = (301, 308)
REDIRECTS = (301, 302, 303, 307, 308)
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


@dataclass(frozen=True)
class FetchSettings:
    """Timeouts (seconds), limits and identity for fetching; the defaults suit public feeds."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    total_timeout_s: float = 60.0
    max_bytes: int = 20 * MIB
    max_redirects: int = 5
    max_concurrency: int = 64
    per_host: int = 2
    user_agent: str = f"jkwatch/{__version__} (+feed reader; Japan-Korea security news)"
    trust_env: bool = True
    """Honour proxy settings from the environment (loopback is never proxied)."""


class InvalidURL(ValueError):
    """A feed URL jkwatch cannot fetch (not http/https, or no host)."""


def check_url(url: str) -> str:
    """Return ``url`` stripped, or raise ``InvalidURL`` unless it is http(s) with a host."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise InvalidURL(f"not a valid URL: {url!r} ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        shown = f"'{parts.scheme}:'" if parts.scheme else "a URL without a scheme"
        raise InvalidURL(f"only http and https feed URLs are supported, not {shown}")
    if not parts.hostname:
        raise InvalidURL(f"the URL {url!r} has no host name")
    return url


# -- one fetch --------------------------------------------------------------------------------


async def _fetch(
    client: httpx.AsyncClient, request: FetchRequest, settings: FetchSettings
) -> FetchResult:
    """Fetch one feed, following redirects by hand, within the total time limit."""
    started = time.monotonic()
    state: dict[str, object] = {"url": request.url, "in_body": False}
    try:
        async with asyncio.timeout(settings.total_timeout_s):
            result = await _fetch_hops(client, request, settings, state)
    except TimeoutError:
        result = FetchResult(
            request,
            "error",
            error=f"timed out after {secs(settings.total_timeout_s)} (total time limit)",
        )
    except FetchFailure as exc:
        result = FetchResult(request, "error", status=exc.status, error=str(exc))
    except httpx.HTTPError as exc:
        message = network_error(
            exc,
            str(state["url"]),
            settings.connect_timeout_s,
            settings.read_timeout_s,
            bool(state["in_body"]),
        )
        result = FetchResult(request, "error", error=message)
    except (OSError, ValueError) as exc:  # odd sockets and malformed headers are still values
        result = FetchResult(request, "error", error=f"network error: {exc}")
    elapsed = int((time.monotonic() - started) * 1000)
    return replace(result, elapsed_ms=elapsed)


async def _fetch_hops(
    client: httpx.AsyncClient,
    request: FetchRequest,
    settings: FetchSettings,
    state: dict[str, object],
) -> FetchResult:
    try:
        url = check_url(request.url)
    except InvalidURL as exc:
        raise FetchFailure(str(exc)) from None
    headers: dict[str, str] = {}
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    visited = [url]
    all_permanent = True
    while True:
        state["url"], state["in_body"] = url, False
        async with client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status in REDIRECTS and "location" in response.headers:
                target = urljoin(url, response.headers["location"].strip())
                scheme = urlsplit(target).scheme.lower()
                if scheme not in ("http", "https"):
                    raise FetchFailure(f"redirected to unsupported scheme {scheme!r}", status)
                if target in visited:
                    raise FetchFailure(f"redirect loop at {target}", status)
                if len(visited) > settings.max_redirects:
                    raise FetchFailure(
                        f"too many redirects (more than {settings.max_redirects})", status
                    )
                all_permanent = all_permanent and status in PERMANENT
                visited.append(target)
                url = target
                continue
            return await _final(response, request, settings, state, visited, all_permanent)


async def _final(
    response: httpx.Response,
    request: FetchRequest,
    settings: FetchSettings,
    state: dict[str, object],
    visited: list[str],
    all_permanent: bool,
) -> FetchResult:
    status = response.status_code
    final_url = visited[-1]
    moved = final_url if len(visited) > 1 and all_permanent else None
    headers = {
        k.lower(): v
        for k, v in response.headers.items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    }
    # Every outcome below shares what the final response said; each adds its own fields.
    base = FetchResult(
        request,
        "error",
        status=status,
        headers=headers,
        final_url=final_url,
        max_age_s=parse_max_age(response.headers.get("cache-control")),
    )
    etag = response.headers.get("etag")
    last_modified = response.headers.get("last-modified")
    if status == 304:
        return replace(
            base,
            kind="not_modified",
            permanent_redirect=moved,
            etag=etag or request.etag,
            last_modified=last_modified or request.last_modified,
            body_hash=request.body_hash,
        )
    if status == 410:
        return replace(base, kind="gone", error="HTTP 410 Gone: the feed was removed")
    if not 200 <= status < 300:
        retry = parse_retry_after(response.headers.get("retry-after"))
        error = status_error(status, response.reason_phrase, retry)
        return replace(base, retry_after_s=retry, error=error)
    state["in_body"] = True
    body = await read_body(response, settings.max_bytes)
    digest = hashlib.sha256(body).hexdigest()
    unchanged = request.body_hash is not None and digest == request.body_hash
    return replace(
        base,
        kind="unchanged" if unchanged else "ok",
        body=None if unchanged else body,
        permanent_redirect=moved,
        etag=etag,
        last_modified=last_modified,
        body_hash=digest,
    )


# -- many fetches ------------------------------------------------------------------------------


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verified TLS context per process: building one (loading CA roots) costs ~50 ms.

    ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` are honoured as httpx does; else certifi's roots.
    """
    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if cafile or capath:
        return ssl.create_default_context(cafile=cafile or None, capath=capath or None)
    return ssl.create_default_context(cafile=certifi.where())


def _make_client(
    settings: FetchSettings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=transport,
        follow_redirects=False,
        verify=_tls_context(),
        trust_env=settings.trust_env,
        timeout=httpx.Timeout(
            connect=settings.connect_timeout_s,
            read=settings.read_timeout_s,
            write=settings.read_timeout_s,
            pool=settings.total_timeout_s,
        ),
        limits=httpx.Limits(
            max_connections=max(1, settings.per_host),
            max_keepalive_connections=max(1, settings.per_host),
        ),
        headers={
            "User-Agent": settings.user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": "gzip, deflate, br",
        },
    )


def _host_key(url: str) -> str:
    try:
        parts = urlsplit(url)
        return (parts.hostname or url).lower()
    except ValueError:
        return url


async def _run_all(
    requests: Sequence[FetchRequest],
    settings: FetchSettings,
    out: queue.Queue[FetchResult | None],
    halt: threading.Event,
    stop: threading.Event | None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Fetch everything with global and per-host bounds, putting each result on ``out``.

    Each host gets its own small client (``per_host`` connections, kept alive): the feeds of
    one publisher reuse connections, and httpcore's pool scan stays short (one shared pool of
    hundreds of connections costs more CPU than the fetching itself).
    """
    overall = asyncio.Semaphore(max(1, settings.max_concurrency))
    per_host: dict[str, tuple[asyncio.Semaphore, httpx.AsyncClient]] = {}

    async def one(request: FetchRequest) -> None:
        key = _host_key(request.url)
        if key not in per_host:  # no await between the test and the insert: no race
            per_host[key] = (
                asyncio.Semaphore(max(1, settings.per_host)),
                _make_client(settings, transport),
            )
        bound, client = per_host[key]
        async with bound, overall:
            result = await _fetch(client, request, settings)
        log.debug(
            "fetched feed_id=%s feed_url=%s outcome=%s http_status=%s elapsed_ms=%s error=%s",
            request.feed_id,
            request.url,
            result.kind,
            result.status,
            result.elapsed_ms,
            result.error,
        )
        out.put(result)

    async def watch(tasks: list[asyncio.Task[None]]) -> None:
        while not (halt.is_set() or (stop is not None and stop.is_set())):
            await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()

    try:
        tasks = [asyncio.create_task(one(r)) for r in requests]
        watcher = asyncio.create_task(watch(tasks))
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        watcher.cancel()
        for outcome in outcomes:  # surface bugs instead of losing them silently
            if isinstance(outcome, Exception):
                raise outcome
    finally:
        for _, client in per_host.values():
            await client.aclose()


def iter_fetch(
    requests: Sequence[FetchRequest],
    settings: FetchSettings = FetchSettings(),
    stop: threading.Event | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Iterator[FetchResult]:
    """Yield a ``FetchResult`` per request, in completion order, fetching concurrently.

    Closing the iterator early or setting ``stop`` cancels what is still pending and
    returns promptly; results already fetched but not yet consumed are dropped. A
    ``transport`` (e.g. ``httpx.MockTransport``) replaces the network: tests serve canned
    responses through the very same redirect, caching and decoding code.
    """
    if not requests:
        return
    out: queue.Queue[FetchResult | None] = queue.Queue()
    halt = threading.Event()
    failure: list[BaseException] = []

    def worker() -> None:
        try:
            asyncio.run(_run_all(requests, settings, out, halt, stop, transport))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread
            failure.append(exc)
        finally:
            out.put(None)

    thread = threading.Thread(target=worker, name="jkwatch-fetch", daemon=True)
    thread.start()
    try:
        while True:
            if stop is not None and stop.is_set():
                return
            try:
                result = out.get(timeout=0.05)
            except queue.Empty:
                continue
            if result is None:
                if failure:
                    raise RuntimeError("fetching failed unexpectedly") from failure[0]
                return
            yield result
    finally:
        halt.set()
        with contextlib.suppress(RuntimeError):
            thread.join(timeout=5)


def fetch_one(
    request: FetchRequest,
    settings: FetchSettings = FetchSettings(),
    transport: httpx.AsyncBaseTransport | None = None,
) -> FetchResult:
    """Fetch a single request (blocking); never raises for network or HTTP trouble."""
    for result in iter_fetch([request], settings, transport=transport):
        return result
    raise RuntimeError("fetch produced no result")  # unreachable: one request, one result
