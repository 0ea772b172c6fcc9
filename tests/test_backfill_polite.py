"""Polite HTTP for backfills: pauses between requests, backoff on 429/503, the body cap."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from jkwatch.ingest.backfill.polite import PoliteClient, Politeness, RequestFailed
from jkwatch.ingest.fetch import FetchSettings
from tests.feedserver import FeedServer, Response

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


class FakeTime:
    """A monotonic clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as s:
        yield s


def _client(politeness: Politeness, clock: FakeTime, **settings: float) -> PoliteClient:
    return PoliteClient(
        politeness,
        FetchSettings(**settings),  # type: ignore[arg-type]
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        clock=lambda: NOW,
    )


def test_requests_to_one_host_are_spaced_by_the_delay(server: FeedServer) -> None:
    url = server.route("/a", Response(body=b"ok"))
    clock = FakeTime()
    with _client(Politeness(delay_s=5), clock) as client:
        for _ in range(3):
            assert client.get(url).body == b"ok"
    assert clock.slept == [5.0, 5.0]  # none before the first request


def test_a_zero_delay_never_sleeps(server: FeedServer) -> None:
    url = server.route("/a", Response(body=b"ok"))
    clock = FakeTime()
    with _client(Politeness(delay_s=0), clock) as client:
        client.get(url)
        client.get(url)
    assert clock.slept == []


def test_a_503_without_retry_after_backs_off_exponentially_then_fails(server: FeedServer) -> None:
    url = server.route("/busy", Response(503, b"busy"))
    clock = FakeTime()
    with _client(Politeness(delay_s=0, max_retries=3, backoff_s=2), clock) as client:
        with pytest.raises(RequestFailed, match="service unavailable"):
            client.get(url)
        assert client.requests == 4
    assert clock.slept == [2.0, 4.0, 8.0]


def test_a_retry_after_http_date_is_honoured_and_capped(server: FeedServer) -> None:
    calls = {"n": 0}

    def later(_request: object) -> Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return Response(429, b"", {"Retry-After": "Sun, 06 Dec 2026 03:00:30 GMT"})
        if calls["n"] == 2:
            return Response(429, b"", {"Retry-After": "86400"})
        return Response(body=b"ok")

    url = server.route("/later", later)
    clock = FakeTime()
    with _client(Politeness(delay_s=0, max_wait_s=300), clock) as client:
        assert client.get(url).body == b"ok"
    assert clock.slept == [30.0, 300.0]


def test_a_body_over_the_cap_fails_the_request(server: FeedServer) -> None:
    url = server.route("/big", Response(body=b"x" * 5000))
    client = _client(Politeness(delay_s=0), FakeTime(), max_bytes=1000)
    with client, pytest.raises(RequestFailed, match="too large"):
        client.get(url)


def test_a_refused_connection_is_a_failure_in_plain_words() -> None:
    client = _client(Politeness(delay_s=0), FakeTime(), connect_timeout_s=1)
    with client, pytest.raises(RequestFailed, match="refused|could not connect"):
        client.get("http://127.0.0.1:9/nothing")


def test_requests_carry_the_live_fetchers_user_agent(server: FeedServer) -> None:
    url = server.route("/ua", Response(body=b"ok"))
    with _client(Politeness(delay_s=0), FakeTime()) as client:
        client.get(url)
    assert server.requests[-1].headers["user-agent"].startswith("jkwatch/")
