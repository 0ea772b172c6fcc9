"""Scale-out on real PostgreSQL: several ``jkwatch schedule`` worker processes, one database.

Each worker is a real process (``python -m ingest.cli.main --db URL schedule``) with short
leases and idle waits; feeds come from a local HTTP server spread over four loopback
addresses, which counts every request per path. The tests pin down the promises of leases
with ``FOR UPDATE SKIP LOCKED``: each due feed is fetched by exactly one worker, nothing is
stored twice, nothing is left unclaimed, and a worker killed with SIGKILL in the middle of
a feed loses nothing: its lease lapses and another worker takes the feed.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db import feeds as feed_store
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from jkwatch.db.models import Feed, FetchRun, Item
from jkwatch.model import FeedSpec
from tests.factories import RSS_TYPE
from tests.factories import news_feed as rss
from tests.feedserver import FeedServer, Request, Response
from tests.processes import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
ITEMS_PER_FEED = 3
WORKER_OPTIONS = ("--max-feeds-per-round", "20", "--max-sleep-seconds", "0.3")
SHORT_LEASE_MINUTES = "0.05"
"""3 s: a dead worker's feeds come back quickly (renewed every second while alive)."""


@pytest.fixture
def servers() -> Iterator[list[FeedServer]]:
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(FeedServer(host=host)) for host in HOSTS]


@pytest.fixture
def pg_sessions(pg_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(pg_url)
    upgrade(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


class Workers:
    """Worker processes started by a test, always reaped (SIGKILL as the last resort)."""

    def __init__(self, url: str, log_dir: Path) -> None:
        self.url = url
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, lease_minutes: str = "0.1") -> subprocess.Popen[bytes]:
        n = len(self.processes)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jkwatch.cli.main",
                "--db",
                self.url,
                "schedule",
                *WORKER_OPTIONS,
                "--lease-minutes",
                lease_minutes,
            ],
            cwd=ROOT,
            stdout=(self.log_dir / f"worker{n}.out").open("wb"),
            stderr=(self.log_dir / f"worker{n}.err").open("wb"),
        )
        self.processes.append(process)
        return process

    def stop_all(self) -> list[int]:
        """SIGTERM every live worker; returns their exit codes (in start order)."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        return [process.wait(timeout=20) for process in self.processes]

    def stderr(self) -> str:
        return "\n".join(
            (self.log_dir / f"worker{n}.err").read_text() for n in range(len(self.processes))
        )

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def workers(pg_url: str, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(pg_url, tmp_path)
    try:
        yield pool
    finally:
        pool.kill_all()


def serve_feeds(servers: list[FeedServer], count: int) -> list[tuple[FeedServer, str, str]]:
    """``count`` feeds spread over the servers: ``(server, path, url)`` each."""
    feeds = []
    for n in range(count):
        server = servers[n % len(servers)]
        path = f"/feed{n}.xml"
        body = rss(f"feed{n}", ITEMS_PER_FEED)
        url = server.route(path, Response(body=body, headers=RSS_TYPE, delay_s=0.02))
        feeds.append((server, path, url))
    return feeds


def add_feeds(sessions: sessionmaker[Session], urls: list[str]) -> None:
    with sessions.begin() as session:
        for url in urls:
            feed_store.upsert_feed(session, FeedSpec(url=url))


def count(sessions: sessionmaker[Session], query) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.scalar(query) or 0


def fetched_feeds(sessions: sessionmaker[Session]) -> int:
    return count(
        sessions,
        select(func.count()).select_from(Feed).where(Feed.last_fetch_at.is_not(None)),
    )


FEEDS = 120
"""Enough that three workers claim feeds at the same moments for two periods (the race this
pins down); 200 feeds took about twice as long."""


def test_three_workers_fetch_every_feed_exactly_once_per_due_period(pg_sessions, servers, workers):
    feeds = serve_feeds(servers, FEEDS)
    add_feeds(pg_sessions, [url for _, _, url in feeds])
    for _ in range(3):
        workers.start()

    wait_until(lambda: fetched_feeds(pg_sessions) == FEEDS, 40, f"all {FEEDS} feeds to be fetched")
    time.sleep(1.0)  # room for any double fetch to show up
    assert all(len(server.hits(path)) == 1 for server, path, _ in feeds)

    # The next due period: every feed falls due again and is fetched once more.
    with pg_sessions.begin() as session:
        session.execute(update(Feed).values(next_fetch_at=datetime.now(UTC) - timedelta(seconds=1)))
    wait_until(
        lambda: count(pg_sessions, select(func.count()).select_from(FetchRun)) == 2 * FEEDS,
        40,
        "the second period",
    )
    time.sleep(1.0)
    assert workers.stop_all() == [0, 0, 0], workers.stderr()

    hits = Counter(len(server.hits(path)) for server, path, _ in feeds)
    assert hits == {2: FEEDS}, "some feed was fetched more or less than once per period"
    with pg_sessions() as session:
        runs_per_feed = Counter(
            session.scalars(select(func.count()).select_from(FetchRun).group_by(FetchRun.feed_id))
        )
        assert runs_per_feed == {2: FEEDS}
        assert session.scalar(select(func.count()).select_from(Item)) == FEEDS * ITEMS_PER_FEED
        duplicates = session.execute(
            select(Item.feed_id, Item.entry_key)
            .group_by(Item.feed_id, Item.entry_key)
            .having(func.count() > 1)
        ).all()
        assert duplicates == []
        assert session.scalar(select(func.count()).where(Feed.lease_owner.is_not(None))) == 0
        soonest = session.scalar(select(func.min(Feed.next_fetch_at)))
        workers_seen = set(session.scalars(select(FetchRun.worker).distinct()))
    assert soonest > datetime.now(UTC) + timedelta(minutes=9)
    assert len(workers_seen) >= 2, "the work was not shared between the workers"


def test_a_worker_killed_mid_feed_loses_nothing_and_its_lease_expires(
    pg_sessions, servers, workers
):
    feeds = serve_feeds(servers, 12)
    slow_requests: list[Request] = []

    def slow_once(request: Request) -> Response:
        slow_requests.append(request)
        delay = 10.0 if len(slow_requests) == 1 else 0.0
        return Response(body=rss("slow", 5), headers=RSS_TYPE, delay_s=delay)

    slow_url = servers[0].route("/slow.xml", slow_once)
    add_feeds(pg_sessions, [slow_url] + [url for _, _, url in feeds])
    with pg_sessions() as session:
        slow_id = feed_store.get_feed(session, slow_url).id

    victim = workers.start(SHORT_LEASE_MINUTES)
    # Kill once everything else is stored: the victim is then in the middle of the slow feed.
    wait_until(lambda: bool(slow_requests), 20, "the slow feed to be requested")
    wait_until(lambda: fetched_feeds(pg_sessions) == 12, 20, "the quick feeds to be stored")
    victim.kill()  # SIGKILL: no handler, no cleanup, lease left behind
    victim.wait(timeout=10)
    killed_at = datetime.now(UTC)
    with pg_sessions() as session:
        slow = feed_store.get_feed(session, slow_id)
    victim_id = slow.lease_owner
    assert victim_id is not None and slow.last_fetch_at is None
    assert slow.lease_expires_at > killed_at  # still claimed: nobody may take it yet

    workers.start(SHORT_LEASE_MINUTES)
    wait_until(
        lambda: (
            count(
                pg_sessions,
                select(func.count()).select_from(Feed).where(Feed.last_fetch_at.is_not(None)),
            )
            == 13
        ),
        30,
        "the survivor to fetch every feed",
    )
    assert workers.stop_all()[1] == 0, workers.stderr()

    with pg_sessions() as session:
        slow = feed_store.get_feed(session, slow_id)
        slow_runs = list(session.scalars(select(FetchRun).where(FetchRun.feed_id == slow_id)))
        runs_per_feed = Counter(
            session.scalars(select(func.count()).select_from(FetchRun).group_by(FetchRun.feed_id))
        )
        items = session.scalar(select(func.count()).select_from(Item))
        slow_items = session.scalar(
            select(func.count()).select_from(Item).where(Item.feed_id == slow_id)
        )
        leased = session.scalar(select(func.count()).where(Feed.lease_owner.is_not(None)))
        recorded_by_victim = set(
            session.scalars(select(FetchRun.feed_id).where(FetchRun.worker == victim_id))
        )
        url_of = {row.id: row.url for row in session.execute(select(Feed.id, Feed.url))}
    # Taken over only after the dead worker's lease lapsed, and recorded exactly once.
    assert len(slow_requests) == 2
    assert len(slow_runs) == 1 and slow_runs[0].outcome == "ok"
    assert slow_runs[0].worker != victim_id
    assert slow_runs[0].started_at >= killed_at
    assert runs_per_feed == {1: 13}
    assert slow_items == 5 and items == 12 * ITEMS_PER_FEED + 5
    assert leased == 0
    # Feeds the victim stored before dying were not fetched again by the survivor.
    assert {url_of[feed_id] for feed_id in recorded_by_victim} == {url for _, _, url in feeds}
    assert all(len(server.hits(path)) == 1 for server, path, _ in feeds)
