"""Network faults, each injected into a real pipeline run beside healthy feeds.

Every scenario serves a faulty feed next to two healthy ones from local servers and asserts
the same things a user leaving jkwatch running for months relies on: the faulty feed's error
is recorded in words, the healthy feeds are stored as usual, the run returns (the process
stays alive) and memory stays bounded even when a server sends "10 GB" or a gzip bomb.
"""

from __future__ import annotations

import re
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jkwatch.clock import utcnow
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from jkwatch.db.models import Feed, Item
from tests.factories import add_feeds, healthy_feed
from tests.feedserver import FeedServer, Request, Response
from tests.reliability_support import peak_rss_kib, reset_peak_rss, run_pipeline

MIB = 1024 * 1024
CAP = 1 * MIB
"""The response-size cap used in these tests (the default is larger; the logic is the same)."""


@dataclass
class Fault:
    url: str
    error: str
    """A regular expression the recorded error must match (case-insensitive)."""
    retry_after_s: int | None = None


@contextmanager
def _closed_port() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    yield port


@contextmanager
def _never_accepting() -> Iterator[int]:
    """A listening socket whose tiny backlog is full, so new connections never complete."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for sock in [*fillers, listener]:
            sock.close()


class EndlessServer:
    """Announces a 10 GB body and streams zeros until the client hangs up; counts what it sent."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.sent = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                    b"Content-Length: 10737418240\r\n\r\n<?xml version='1.0'?><rss><channel>"
                )
                chunk = b"<!-- " + b"x" * 65_000 + b" -->"
                try:
                    while self.sent < 10 * 1024 * MIB:
                        conn.sendall(chunk)
                        self.sent += len(chunk)
                except OSError:
                    continue

    def __enter__(self) -> EndlessServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()


def _gzip_bomb(decompressed: int = 64 * MIB) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    zeros = b"\0" * MIB
    parts = [packer.compress(zeros) for _ in range(decompressed // MIB)]
    return b"".join(parts) + packer.flush()


def _run_with_healthy_neighbours(
    tmp_url: str, server: FeedServer, fault: Fault, **fetch: object
) -> tuple[dict[str, object], int]:
    """Run the pipeline over the fault and two healthy feeds; returns per-feed facts, KiB peak."""
    engine = make_engine(tmp_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    healthy = [
        server.route(f"/healthy{n}.xml", Response(body=healthy_feed(f"healthy{n}"))) for n in (1, 2)
    ]
    feeds = add_feeds(sessions, [*healthy, fault.url])
    reset_peak_rss()
    before = peak_rss_kib()
    started = utcnow()
    report = run_pipeline(sessions, feeds, max_bytes=CAP, **fetch)
    growth = peak_rss_kib() - before
    with sessions() as session:
        counts = dict(
            session.execute(select(Item.feed_id, func.count()).group_by(Item.feed_id)).all()
        )
        stored = {feed.url: feed for feed in session.scalars(select(Feed))}
    engine.dispose()
    by_url = {r.url: r for r in report.feeds}
    bad = stored[fault.url]
    assert set(by_url) == {*healthy, fault.url}, "every feed is reported"
    for url in healthy:
        assert by_url[url].outcome == "ok", by_url[url].error
        assert counts.get(stored[url].id) == 3, "healthy neighbours are unaffected"
    assert by_url[fault.url].outcome == "error"
    assert bad.last_error and re.search(fault.error, bad.last_error, re.I), bad.last_error
    assert counts.get(bad.id, 0) == 0
    assert bad.error_count == 1
    if fault.retry_after_s:
        assert bad.next_fetch_at >= started + timedelta(seconds=fault.retry_after_s - 1)
    return {"error": bad.last_error, "next": bad.next_fetch_at}, growth


Scenario = Callable[[FeedServer], Fault]


def _redirect(to: str) -> Response:
    return Response(302, b"", {"Location": to})


SCENARIOS: dict[str, Scenario] = {
    "read timeout": lambda s: Fault(
        s.route("/slow.xml", Response(body=healthy_feed("slow"), delay_s=1.5)), r"timed? ?out"
    ),
    "drip one byte at a time": lambda s: Fault(
        s.route("/drip.xml", Response(body=healthy_feed("drip", 40), drip_s=0.05)),
        r"timed? ?out|too slow",
    ),
    "close mid-body": lambda s: Fault(
        s.route("/cut.xml", Response(body=healthy_feed("cut", 50), close_after=300)),
        r"closed|incomplete|ended|interrupted|connection",
    ),
    "redirect loop": lambda s: Fault(s.route("/loop.xml", _redirect("/loop.xml")), r"redirect"),
    "redirect to file:": lambda s: Fault(
        s.route("/to-file.xml", _redirect("file:///etc/passwd")), r"redirect|file|http"
    ),
    "redirect to gopher:": lambda s: Fault(
        s.route("/to-gopher.xml", _redirect("gopher://127.0.0.1:70/1")), r"redirect|gopher|http"
    ),
    "429 with Retry-After": lambda s: Fault(
        s.route("/busy.xml", Response(429, b"slow down", {"Retry-After": "600"})), r"429", 600
    ),
    "503 with Retry-After": lambda s: Fault(
        s.route("/down.xml", Response(503, b"maintenance", {"Retry-After": "900"})), r"503", 900
    ),
    "200 with an HTML error page": lambda s: Fault(
        s.route(
            "/html.xml",
            Response(
                body=b"<!DOCTYPE html><html><head><title>Error</title></head>"
                b"<body><h1>Something went wrong</h1></body></html>",
                headers={"Content-Type": "text/html"},
            ),
        ),
        r"HTML",
    ),
    "gzip bomb": lambda s: Fault(
        s.route(
            "/bomb.xml",
            Response(
                body=_gzip_bomb(),
                headers={"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"},
            ),
        ),
        r"MB|large|limit|size|cap",
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_network_fault_is_recorded_in_words_and_spares_the_other_feeds(
    name: str, sqlite_url: str
) -> None:
    with FeedServer() as server:
        fault = SCENARIOS[name](server)
        _, growth = _run_with_healthy_neighbours(
            sqlite_url, server, fault, read_timeout_s=0.5, total_timeout_s=1.5
        )
    assert growth < 150 * 1024, f"peak memory grew by {growth} KiB"


def test_connection_refused_is_recorded_and_spares_the_other_feeds(sqlite_url: str) -> None:
    with FeedServer() as server, _closed_port() as port:
        fault = Fault(f"http://127.0.0.1:{port}/feed.xml", r"refused|could not connect")
        _run_with_healthy_neighbours(sqlite_url, server, fault)


def test_a_host_that_does_not_resolve_is_recorded_and_spares_the_other_feeds(
    sqlite_url: str,
) -> None:
    with FeedServer() as server:
        fault = Fault("http://feeds.jkwatch-test.invalid/rss.xml", r"resolve|DNS|name|host")
        _run_with_healthy_neighbours(sqlite_url, server, fault)


def test_https_to_a_plain_http_port_is_a_recorded_tls_error(sqlite_url: str) -> None:
    with FeedServer() as server:
        plain = FeedServer()
        with plain:
            url = plain.route("/feed.xml", Response(body=healthy_feed("tls")))
            fault = Fault(url.replace("http://", "https://"), r"TLS|SSL|secure|certificate")
            _run_with_healthy_neighbours(sqlite_url, server, fault)


@pytest.mark.slow
def test_a_server_that_never_accepts_hits_the_connect_timeout(sqlite_url: str) -> None:
    with FeedServer() as server, _never_accepting() as port:
        fault = Fault(f"http://127.0.0.1:{port}/feed.xml", r"timed? ?out|connect")
        _run_with_healthy_neighbours(sqlite_url, server, fault, connect_timeout_s=0.5)


def test_a_ten_gigabyte_body_is_cut_off_at_the_size_cap_with_flat_memory(
    sqlite_url: str,
) -> None:
    with FeedServer() as server, EndlessServer() as endless:
        fault = Fault(f"http://127.0.0.1:{endless.port}/huge.xml", r"MB|large|limit|size|cap")
        _, growth = _run_with_healthy_neighbours(sqlite_url, server, fault)
    assert endless.sent < 64 * MIB, f"the client kept reading: {endless.sent} bytes sent"
    assert growth < 100 * 1024, f"peak memory grew by {growth} KiB"


def test_the_recorded_request_for_a_fault_feed_is_made_only_once_per_run(
    sqlite_url: str,
) -> None:
    """A failing feed is not hammered: one run, one request (retries wait for the schedule)."""
    with FeedServer() as server:
        url = server.route("/err.xml", Response(500, b"boom"))
        _run_with_healthy_neighbours(sqlite_url, server, Fault(url, r"500"))
        hits: list[Request] = server.hits("/err.xml")
    assert len(hits) == 1
