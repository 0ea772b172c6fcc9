"""ingest.fetch against a real local HTTP server: every outcome is a value, never an exception."""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import brotli
import httpx
import pytest

from jkwatch import __version__
from jkwatch.ingest.fetch import (
    FetchRequest,
    FetchSettings,
    InvalidURL,
    check_url,
    fetch_one,
    iter_fetch,
    parse_max_age,
    parse_retry_after,
)
from tests.feedserver import FeedServer, Request, Response

RSS = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
    b"<item><title>Missile launch</title><guid>1</guid></item></channel></rss>"
)
XML = {"Content-Type": "application/rss+xml"}
FAST = FetchSettings(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=5)


@pytest.fixture
def server(feed_server: FeedServer) -> FeedServer:
    return feed_server


def get(url: str, settings: FetchSettings = FAST, **kwargs: object):
    return fetch_one(FetchRequest(feed_id=1, url=url, **kwargs), settings)  # type: ignore[arg-type]


def test_a_200_returns_the_body_its_hash_and_validators(server: FeedServer) -> None:
    url = server.route(
        "/feed",
        Response(
            body=RSS,
            headers={
                **XML,
                "ETag": '"v1"',
                "Last-Modified": "Mon, 02 Nov 2026 09:00:00 GMT",
                "Cache-Control": "public, max-age=900",
            },
        ),
    )
    result = get(url)
    assert result.kind == "ok" and result.status == 200 and result.error is None
    assert result.body == RSS
    assert result.body_hash == hashlib.sha256(RSS).hexdigest()
    assert result.etag == '"v1"'
    assert result.last_modified == "Mon, 02 Nov 2026 09:00:00 GMT"
    assert result.max_age_s == 900
    assert result.headers["content-type"] == "application/rss+xml"
    assert result.final_url == url and result.permanent_redirect is None
    assert result.elapsed_ms >= 0


def test_validators_are_sent_and_a_304_is_not_modified(server: FeedServer) -> None:
    def handler(request: Request) -> Response:
        if request.headers.get("if-none-match") == '"v1"':
            return Response(304, headers={"ETag": '"v1"'})
        return Response(body=RSS, headers={**XML, "ETag": '"v1"'})

    url = server.route("/feed", handler)
    result = get(url, etag='"v1"', last_modified="Mon, 02 Nov 2026 09:00:00 GMT", body_hash="abc")
    sent = server.hits("/feed")[0].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Mon, 02 Nov 2026 09:00:00 GMT"
    assert result.kind == "not_modified" and result.status == 304 and result.body is None
    assert result.etag == '"v1"' and result.body_hash == "abc"


def test_a_byte_identical_body_is_unchanged_and_carries_no_body(server: FeedServer) -> None:
    url = server.route("/feed", Response(body=RSS, headers={**XML, "ETag": '"fresh"'}))
    result = get(url, etag='"stale"', body_hash=hashlib.sha256(RSS).hexdigest())
    assert result.kind == "unchanged" and result.body is None
    assert result.etag == '"fresh"'


@pytest.mark.parametrize("status", [301, 308])
def test_a_permanent_redirect_chain_reports_the_new_address(
    server: FeedServer, status: int
) -> None:
    server.route("/old", Response(status, headers={"Location": "/middle"}))
    server.route("/middle", Response(status, headers={"Location": server.url("/new")}))
    new = server.route("/new", Response(body=RSS, headers=XML))
    result = get(server.url("/old"))
    assert result.kind == "ok" and result.body == RSS
    assert result.final_url == new and result.permanent_redirect == new


def test_a_temporary_redirect_in_the_chain_is_not_permanent(server: FeedServer) -> None:
    server.route("/old", Response(301, headers={"Location": "/middle"}))
    server.route("/middle", Response(302, headers={"Location": "/new"}))
    new = server.route("/new", Response(body=RSS, headers=XML))
    result = get(server.url("/old"))
    assert result.kind == "ok" and result.final_url == new
    assert result.permanent_redirect is None


def test_a_410_is_gone(server: FeedServer) -> None:
    result = get(server.route("/feed", Response(410)))
    assert result.kind == "gone" and result.status == 410


@pytest.mark.parametrize(
    ("status", "message"), [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error")]
)
def test_http_errors_are_described_in_words(server: FeedServer, status: int, message: str) -> None:
    result = get(server.route("/feed", Response(status, b"oops")))
    assert result.kind == "error" and result.status == status and result.error == message


def test_a_429_with_retry_after_seconds_says_when_to_retry(server: FeedServer) -> None:
    result = get(server.route("/feed", Response(429, headers={"Retry-After": "120"})))
    assert result.kind == "error" and result.status == 429
    assert result.retry_after_s == 120
    assert result.error == "rate limited (HTTP 429), retry after 120 s"


@pytest.mark.parametrize(("status", "words"), [(429, "rate limited"), (503, "service unavailable")])
def test_a_retry_after_date_is_converted_to_seconds(
    server: FeedServer, status: int, words: str
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=300), usegmt=True)
    result = get(server.route("/feed", Response(status, headers={"Retry-After": when})))
    assert result.kind == "error" and result.status == status
    assert result.retry_after_s is not None and 290 <= result.retry_after_s <= 300
    assert (result.error or "").startswith(f"{words} (HTTP {status}), retry after ")


def test_retry_after_and_cache_control_parsing_covers_odd_values() -> None:
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 02 Nov 2026 09:01:00 GMT", now) == 60
    assert parse_retry_after("Mon, 02 Nov 2026 08:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None) is None
    assert parse_max_age("no-store, max-age=60") is None
    assert parse_max_age("s-maxage=5, max-age=60") == 60
    assert parse_max_age("private") is None


def test_a_refused_connection_is_an_error_value() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = get(f"http://127.0.0.1:{port}/feed")
    assert result.kind == "error" and result.error == "connection refused"


def test_a_server_that_does_not_answer_times_out(server: FeedServer) -> None:
    url = server.route("/feed", Response(body=RSS, delay_s=2))
    settings = FetchSettings(connect_timeout_s=1, read_timeout_s=0.3, total_timeout_s=5)
    result = get(url, settings)
    assert result.kind == "error" and result.error == "timed out after 0.3 s"


def test_a_slow_drip_is_cut_by_the_total_timeout(server: FeedServer) -> None:
    url = server.route("/feed", Response(body=RSS * 10, headers=XML, drip_s=0.01))
    settings = FetchSettings(connect_timeout_s=1, read_timeout_s=1, total_timeout_s=0.5)
    started = time.monotonic()
    result = get(url, settings)
    assert time.monotonic() - started < 1.5
    assert result.kind == "error"
    assert result.error == "timed out after 0.5 s (total time limit)"


def test_a_server_dying_mid_body_is_reported(server: FeedServer) -> None:
    url = server.route("/feed", Response(body=RSS, headers=XML, close_after=20))
    result = get(url)
    assert result.kind == "error" and result.error == "server closed the connection mid-body"


def test_an_oversized_body_stops_reading_at_the_cap(server: FeedServer) -> None:
    url = server.route("/feed", Response(body=b"x" * 5000, headers=XML))
    result = get(url, FetchSettings(max_bytes=1000))
    assert result.kind == "error" and result.body is None
    assert result.error == "response too large (over 1000 bytes), stopped reading"


def test_an_oversized_body_without_content_length_also_stops(server: FeedServer) -> None:
    url = server.route("/feed", Response(body=b"x" * 5000, headers=XML, content_length=100))
    result = get(url, FetchSettings(max_bytes=1000))
    assert result.kind == "ok" and len(result.body or b"") == 100  # the announced length wins


def test_the_default_cap_is_described_in_megabytes() -> None:
    assert FetchSettings().max_bytes == 20 * 1024 * 1024


def test_a_gzip_bomb_is_stopped_at_the_cap(server: FeedServer) -> None:
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))
    assert len(bomb) < 100_000
    url = server.route("/feed", Response(body=bomb, headers={**XML, "Content-Encoding": "gzip"}))
    result = get(url, FetchSettings(max_bytes=1024 * 1024))
    assert result.kind == "error"
    assert result.error == "response too large (over 1 MB), stopped reading"


def test_gzip_deflate_and_brotli_bodies_are_decoded(server: FeedServer) -> None:
    import zlib

    server.route("/gz", Response(body=gzip.compress(RSS), headers={"Content-Encoding": "gzip"}))
    server.route("/df", Response(body=zlib.compress(RSS), headers={"Content-Encoding": "deflate"}))
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw_body = raw.compress(RSS) + raw.flush()
    server.route("/raw", Response(body=raw_body, headers={"Content-Encoding": "deflate"}))
    server.route("/br", Response(body=brotli.compress(RSS), headers={"Content-Encoding": "br"}))
    for path in ("/gz", "/df", "/raw", "/br"):
        result = get(server.url(path))
        assert result.kind == "ok" and result.body == RSS, path
        assert "content-encoding" not in result.headers
    assert "br" in server.hits("/br")[0].headers["accept-encoding"]


def test_a_brotli_bomb_is_stopped_at_the_cap(server: FeedServer) -> None:
    bomb = brotli.compress(b"\0" * (20 * 1024 * 1024), quality=4)
    url = server.route("/feed", Response(body=bomb, headers={"Content-Encoding": "br"}))
    result = get(url, FetchSettings(max_bytes=1024 * 1024))
    assert result.error == "response too large (over 1 MB), stopped reading"


def test_a_corrupt_compressed_body_is_an_error(server: FeedServer) -> None:
    url = server.route("/feed", Response(body=b"not gzip", headers={"Content-Encoding": "gzip"}))
    result = get(url)
    assert result.kind == "error" and "gzip compressed body is corrupt" in (result.error or "")


def test_a_redirect_loop_is_detected(server: FeedServer) -> None:
    server.route("/a", Response(302, headers={"Location": "/b"}))
    server.route("/b", Response(302, headers={"Location": "/a"}))
    result = get(server.url("/a"))
    assert result.kind == "error" and result.error == f"redirect loop at {server.url('/a')}"


def test_more_than_five_redirects_are_refused(server: FeedServer) -> None:
    for n in range(7):
        server.route(f"/r{n}", Response(302, headers={"Location": f"/r{n + 1}"}))
    server.route("/r7", Response(body=RSS))
    result = get(server.url("/r0"))
    assert result.kind == "error" and result.error == "too many redirects (more than 5)"
    assert len(server.requests) == 6


def test_a_redirect_to_a_file_url_is_refused(server: FeedServer) -> None:
    url = server.route("/feed", Response(301, headers={"Location": "file:///etc/passwd"}))
    result = get(url)
    assert result.kind == "error" and result.error == "redirected to unsupported scheme 'file'"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/feed", "feed.xml"])
def test_non_http_urls_are_refused_without_a_request(url: str) -> None:
    with pytest.raises(InvalidURL, match="only http and https feed URLs are supported"):
        check_url(url)
    result = get(url)
    assert result.kind == "error" and "only http and https" in (result.error or "")


def test_check_url_names_the_scheme_and_strips_spaces() -> None:
    with pytest.raises(InvalidURL, match="not 'file:'"):
        check_url("file:///etc/passwd")
    with pytest.raises(InvalidURL, match="no host"):
        check_url("http:///feed")
    assert check_url("  https://example.com/rss \n") == "https://example.com/rss"
    assert issubclass(InvalidURL, ValueError)


def test_the_user_agent_names_jkwatch_and_its_version(server: FeedServer) -> None:
    get(server.route("/feed", Response(body=RSS)))
    agent = server.hits("/feed")[0].headers["user-agent"]
    assert agent.startswith(f"jkwatch/{__version__} ")


def _counting(delay: float, counters: dict[str, int], lock: threading.Lock):
    def handler(request: Request) -> Response:
        with lock:
            counters["now"] += 1
            counters["max"] = max(counters["max"], counters["now"])
        time.sleep(delay)
        with lock:
            counters["now"] -= 1
        return Response(body=RSS)

    return handler


def test_no_more_than_per_host_requests_run_at_once_against_one_host(
    server: FeedServer,
) -> None:
    counters, lock = {"now": 0, "max": 0}, threading.Lock()
    handler = _counting(0.1, counters, lock)
    requests = [FetchRequest(n, server.route(f"/f{n}", handler)) for n in range(8)]
    results = list(iter_fetch(requests, FetchSettings(per_host=2)))
    assert len(results) == 8 and all(r.kind == "ok" for r in results)
    assert counters["max"] == 2


def test_the_global_bound_applies_across_hosts() -> None:
    counters, lock = {"now": 0, "max": 0}, threading.Lock()
    handler = _counting(0.1, counters, lock)
    hosts = [FeedServer(host=f"127.0.0.{n}") for n in (2, 3, 4)]
    for srv in hosts:
        srv.__enter__()
    try:
        requests = [
            FetchRequest(n * 10 + i, srv.route(f"/f{i}", handler))
            for n, srv in enumerate(hosts)
            for i in range(3)
        ]
        settings = FetchSettings(max_concurrency=4, per_host=3)
        results = list(iter_fetch(requests, settings))
    finally:
        for srv in hosts:
            srv.__exit__(None, None, None)
    assert len(results) == 9 and counters["max"] == 4


def test_iter_fetch_yields_results_in_completion_order(server: FeedServer) -> None:
    requests = [
        FetchRequest(1, server.route("/slow", Response(body=b"1", delay_s=0.6))),
        FetchRequest(2, server.route("/fast", Response(body=b"2"))),
        FetchRequest(3, server.route("/mid", Response(body=b"3", delay_s=0.3))),
    ]
    order = [r.request.feed_id for r in iter_fetch(requests, FetchSettings(per_host=3))]
    assert order == [2, 3, 1]


def test_closing_iter_fetch_early_cancels_the_rest_promptly(server: FeedServer) -> None:
    requests = [FetchRequest(0, server.route("/fast", Response(body=b"0")))] + [
        FetchRequest(n, server.route(f"/slow{n}", Response(body=b"x", delay_s=3)))
        for n in range(1, 6)
    ]
    started = time.monotonic()
    results = iter_fetch(requests, FetchSettings(per_host=6))
    first = next(results)
    results.close()
    assert first.request.feed_id == 0
    assert time.monotonic() - started < 1.5


def test_setting_the_stop_event_ends_iteration_promptly(server: FeedServer) -> None:
    requests = [
        FetchRequest(n, server.route(f"/slow{n}", Response(body=b"x", delay_s=3))) for n in range(4)
    ]
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    assert list(iter_fetch(requests, FetchSettings(per_host=4), stop=stop)) == []
    assert time.monotonic() - started < 1.5


def test_iter_fetch_of_nothing_yields_nothing() -> None:
    assert list(iter_fetch([])) == []


def test_tls_trouble_is_described(server: FeedServer) -> None:
    url = server.route("/feed", Response(body=RSS)).replace("http://", "https://")
    result = get(url)
    assert result.kind == "error" and result.error == "TLS error: wrong version number"


def test_a_failed_dns_lookup_names_the_host() -> None:
    from jkwatch.ingest.fetch_http import network_error

    try:
        raise httpx.ConnectError("[Errno -2] Name or service not known") from socket.gaierror(
            -2, "Name or service not known"
        )
    except httpx.ConnectError as exc:
        message = network_error(exc, "https://news.example.invalid/rss", 10, 20, False)
    assert message == "DNS lookup failed for news.example.invalid"


def test_a_transport_replaces_the_network_for_every_hop_of_a_fetch() -> None:
    """What pipeline tests rely on: redirects, validators and gzip run unchanged on a transport."""
    seen: list[tuple[str, str | None]] = []

    def publisher(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers.get("if-none-match")))
        if request.url.path == "/old.rss":
            return httpx.Response(301, headers={"Location": "/new.rss"})
        body = httpx.ByteStream(gzip.compress(RSS))
        headers = {**XML, "Content-Encoding": "gzip", "ETag": '"v2"'}
        return httpx.Response(200, headers=headers, stream=body)

    request = FetchRequest(1, "https://pub.example/old.rss", etag='"v1"')
    result = fetch_one(request, FAST, transport=httpx.MockTransport(publisher))
    assert (result.kind, result.body, result.etag) == ("ok", RSS, '"v2"')
    assert result.permanent_redirect == "https://pub.example/new.rss"
    assert seen == [
        ("https://pub.example/old.rss", '"v1"'),
        ("https://pub.example/new.rss", '"v1"'),
    ]
