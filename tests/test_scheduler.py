"""The scheduler loop against real feeds and real databases.

Feeds come from the fake web of ``tests/fakefeeds.py`` (the real fetcher on canned responses)
where timing does not matter, and from a real local HTTP server where it does (slow feeds,
shutdown mid-fetch, subprocesses).

Covers the loop itself (claim, refresh through the real pipeline, next due times, sleeping
until the next feed falls due), graceful shutdown, the SQLite single-writer lock, and the
dashboard's read-only queries while ingest writes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.cli.main import cli
from jkwatch.db import feeds as feed_store
from jkwatch.db import leases
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from jkwatch.db.models import Feed, FetchRun, Item
from jkwatch.ingest.locks import LockHeld, WriterLock, writer_lock
from jkwatch.ingest.pipeline import Pipeline, PipelineSettings
from jkwatch.ingest.scheduler import Scheduler, SchedulerSettings, make_worker_id
from jkwatch.model import FeedSpec
from tests.factories import RSS_TYPE
from tests.factories import news_feed as rss
from tests.fakefeeds import FakeFeeds, response
from tests.feedserver import FeedServer, Response
from tests.processes import free_port as _free_port
from tests.processes import start_jkwatch as _cli

ROOT = Path(__file__).resolve().parent.parent
WEB = "https://feeds.example"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


def add_feeds(sessions: sessionmaker[Session], urls: list[str]) -> list[int]:
    with sessions.begin() as session:
        return [feed_store.upsert_feed(session, FeedSpec(url=url))[0].id for url in urls]


@pytest.fixture
def web() -> FakeFeeds:
    return FakeFeeds()


def make_scheduler(sessions, clock=None, sleeper=None, web=None, **settings) -> Scheduler:
    """A scheduler over the real pipeline; with ``web`` it fetches from the fake web."""
    worker = make_worker_id()
    pipeline_kwargs = {"clock": clock} if clock else {}
    if web is not None:
        pipeline_kwargs["transport"] = web.transport
    pipeline = Pipeline(sessions, PipelineSettings(worker=worker), **pipeline_kwargs)
    kwargs = {"clock": clock} if clock else {}
    if sleeper:
        kwargs["sleeper"] = sleeper
    return Scheduler(sessions, pipeline, SchedulerSettings(**settings), worker=worker, **kwargs)


def test_the_loop_ingests_due_feeds_and_schedules_their_next_fetch(sessions, web):
    urls = [web.feed(f"{WEB}/f{i}.xml").serves(rss(f"f{i}")) for i in range(5)]
    add_feeds(sessions, urls)
    before = datetime.now(UTC)
    scheduler = make_scheduler(sessions, web=web, batch_size=2)
    stats = scheduler.run(once=True)
    assert stats.feeds == 5 and stats.rounds == 3 and stats.items_new == 15
    with sessions() as session:
        feeds = feed_store.list_feeds(session)
        assert session.scalar(select(func.count()).select_from(Item)) == 15
        workers = set(session.scalars(select(FetchRun.worker)))
    assert workers == {scheduler.worker}
    for feed in feeds:
        assert feed.last_status == "ok" and feed.error_count == 0
        assert feed.lease_owner is None and feed.lease_expires_at is None
        assert feed.next_fetch_at >= before + timedelta(minutes=10)
    assert all(web.hits(url) == 1 for url in urls)


def test_the_loop_sleeps_until_the_next_feed_is_due_then_fetches_it_again(sessions, web):
    url = web.feed(f"{WEB}/hourly.xml").serves(rss("hourly", 6))
    add_feeds(sessions, [url])
    clock = FakeClock()
    sleeps: list[float] = []
    scheduler = None

    def sleeper(seconds: float, stop: threading.Event) -> None:
        sleeps.append(seconds)
        clock.now += timedelta(seconds=seconds)
        if len(sleeps) == 30:
            scheduler.stop()

    scheduler = make_scheduler(sessions, clock=clock, sleeper=sleeper, web=web, max_sleep_s=600)
    scheduler.run()
    # Hourly posts: polled every 30 to 33 minutes (jitter), slept in steps of at most 10 min.
    assert max(sleeps) == 600
    fetched = web.hits(url)
    simulated = sum(sleeps)
    assert simulated / 2100 <= fetched <= simulated / 1800 + 1
    with sessions() as session:
        runs = session.scalars(select(FetchRun.outcome).order_by(FetchRun.started_at)).all()
        assert session.scalar(select(func.count()).select_from(Item)) == 6
    assert runs[0] == "ok" and set(runs[1:]) == {"unchanged"}


def test_a_failing_feed_is_retried_with_growing_delays_and_recovers(sessions, web):
    state = {"fail": True}

    def flaky(_request):
        if state["fail"]:
            return response(503, b"busy")
        return response(200, rss("flaky"), RSS_TYPE)

    url = web.feed(f"{WEB}/flaky.xml").answers(flaky)
    (feed_id,) = add_feeds(sessions, [url])
    clock = FakeClock()
    scheduler = make_scheduler(sessions, clock=clock, web=web)
    delays = []
    for _ in range(4):
        clock.now += timedelta(days=2)
        scheduler.run(once=True)
        with sessions() as session:
            feed = feed_store.get_feed(session, feed_id)
        delays.append(feed.next_fetch_at - clock())
    assert feed.error_count == 4
    # 10, 10, 20, 40 minutes (plus up to 10 % jitter each).
    assert delays[3] > delays[2] > max(delays[:2]) and delays[3] > delays[0] * 3
    state["fail"] = False
    clock.now += timedelta(days=2)
    scheduler.run(once=True)
    with sessions() as session:
        feed = feed_store.get_feed(session, feed_id)
    assert feed.error_count == 0 and feed.last_status == "ok"
    assert feed.next_fetch_at - clock() <= timedelta(hours=6, minutes=36)


def test_stopping_during_a_round_finishes_cleanly_and_gives_back_unfinished_feeds(sessions, server):
    fast = server.route("/fast.xml", Response(body=rss("fast"), headers=RSS_TYPE))
    slow = server.route("/slow.xml", Response(body=rss("slow"), headers=RSS_TYPE, delay_s=5))
    fast_id, slow_id = add_feeds(sessions, [fast, slow])
    scheduler = make_scheduler(sessions, max_sleep_s=0.2)
    thread = threading.Thread(target=scheduler.run)
    thread.start()
    deadline = time.monotonic() + 10
    while not (server.hits("/slow.xml") and scheduler.stats.feeds >= 1):
        assert time.monotonic() < deadline, "the scheduler never started fetching"
        time.sleep(0.02)
    stopped_at = time.monotonic()
    scheduler.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert time.monotonic() - stopped_at < 2.5, "shutdown waited for the slow feed"
    with sessions() as session:
        fast_feed = feed_store.get_feed(session, fast_id)
        slow_feed = feed_store.get_feed(session, slow_id)
        assert leases.leases_held(session, scheduler.worker) == []
        assert session.scalar(select(func.count()).select_from(Item)) == 3
    assert fast_feed.last_status == "ok"
    # The slow feed was rolled back: no attempt recorded, still due, claimable at once.
    assert slow_feed.last_fetch_at is None and slow_feed.lease_owner is None
    assert slow_feed.next_fetch_at <= datetime.now(UTC)


@pytest.mark.slow
def test_a_live_worker_renews_the_lease_of_a_slow_feed(sessions, server):
    slow = server.route("/slow.xml", Response(body=rss("slow"), headers=RSS_TYPE, delay_s=3))
    (slow_id,) = add_feeds(sessions, [slow])
    scheduler = make_scheduler(sessions, lease=timedelta(seconds=1.2))
    thread = threading.Thread(target=scheduler.run, kwargs={"once": True})
    thread.start()
    while not server.hits("/slow.xml"):
        time.sleep(0.02)
    time.sleep(1.8)  # longer than the lease: only renewal keeps the claim
    with sessions() as session:
        feed = feed_store.get_feed(session, slow_id)
    assert feed.lease_owner == scheduler.worker
    assert feed.lease_expires_at > datetime.now(UTC)
    other = make_scheduler(sessions)
    assert other.run_round() == 0, "another worker took over a feed that was still in flight"
    thread.join(timeout=10)
    with sessions() as session:
        assert feed_store.get_feed(session, slow_id).last_status == "ok"


def test_the_next_claimable_time_accounts_for_leases(sessions):
    now = datetime.now(UTC)
    a, b = add_feeds(sessions, ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"])
    with sessions.begin() as session:
        session.execute(Feed.__table__.update().values(next_fetch_at=now + timedelta(hours=1)))
        assert leases.next_claimable_at(session, now) == now + timedelta(hours=1)
        session.execute(
            Feed.__table__.update()
            .where(Feed.id == a)
            .values(
                next_fetch_at=now - timedelta(minutes=1),
                lease_owner="w",
                lease_expires_at=now + timedelta(minutes=5),
            )
        )
        assert leases.next_claimable_at(session, now) == now + timedelta(minutes=5)
        assert leases.release_leases(session, "w") == 1
        assert leases.next_claimable_at(session, now) == now
        session.execute(Feed.__table__.update().values(enabled=False))
        assert leases.next_claimable_at(session, now) is None


# -- the SQLite single-writer lock ---------------------------------------------------------


def test_a_second_writer_lock_on_the_same_sqlite_file_is_refused(tmp_path):
    database = tmp_path / "jkwatch.db"
    pattern = rf"\(pid {os.getpid()}\) is already writing to"
    with WriterLock(database), pytest.raises(LockHeld, match=pattern):
        WriterLock(database).acquire()
    with WriterLock(database) as again:  # released on exit
        assert again.held


def test_postgresql_needs_no_writer_lock(pg_url):
    assert writer_lock(pg_url) is None


def _wait_for_lock_holder(lock_file: Path, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lock_file.exists() and lock_file.read_text().strip():
            return int(lock_file.read_text())
        time.sleep(0.05)
    raise AssertionError("the scheduler never took the writer lock")


@pytest.mark.slow
def test_a_second_scheduler_on_the_same_sqlite_database_refuses_to_start(sqlite_url, tmp_path):
    first = _cli(sqlite_url, "schedule", "--max-sleep-seconds", "0.2")
    try:
        pid = _wait_for_lock_holder(tmp_path / "jkwatch.db.lock")
        assert pid == first.pid
        second = subprocess.run(
            [sys.executable, "-m", "jkwatch.cli.main", "--db", sqlite_url, "run", "--no-dashboard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2
        assert f"another jkwatch scheduler (pid {pid}) is already writing to" in second.stderr
        assert str(tmp_path / "jkwatch.db") in second.stderr
        # A crashed holder releases the lock: the next scheduler starts.
        first.kill()
        first.wait(timeout=10)
        third = subprocess.run(
            [sys.executable, "-m", "jkwatch.cli.main", "--db", sqlite_url, "schedule", "--once"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert third.returncode == 0, third.stderr
    finally:
        first.kill()
        first.wait(timeout=10)


@pytest.mark.slow
def test_sigterm_stops_the_schedule_command_with_exit_code_zero(sqlite_url, tmp_path, server):
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    slow = server.route("/slow.xml", Response(body=rss("slow"), headers=RSS_TYPE, delay_s=2))
    quick = server.route("/quick.xml", Response(body=rss("quick"), headers=RSS_TYPE))
    add_feeds(sessions, [quick, slow])
    process = _cli(sqlite_url, "schedule", "--max-sleep-seconds", "0.2")
    deadline = time.monotonic() + 30
    while not server.hits("/slow.xml"):
        assert time.monotonic() < deadline, "the scheduler never fetched"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "SIGTERM: stopping" in err and "scheduler stopped" in err
    with sessions() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Feed).where(Feed.lease_owner.is_not(None))
            )
            == 0
        )
    engine.dispose()


# -- readers while ingest writes -----------------------------------------------------------


def test_dashboard_reads_succeed_while_a_write_transaction_is_open(sqlite_url):
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    add_feeds(sessions, ["http://127.0.0.1:9/a"])
    reader = make_engine(sqlite_url, read_only=True)
    with sessions.begin() as writer:
        writer.execute(Feed.__table__.update().values(name="being written"))
        began = time.monotonic()
        with reader.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM items")).scalar() == 0
            assert conn.execute(text("SELECT name FROM feeds")).scalar() is None
        assert time.monotonic() - began < 1.0, "the reader waited for the writer"
    reader.dispose()
    engine.dispose()


@pytest.mark.slow
def test_dashboard_queries_keep_working_while_the_scheduler_ingests(sqlite_url, server):
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    urls = [
        server.route(f"/f{i}.xml", Response(body=rss(f"f{i}", 20), headers=RSS_TYPE, delay_s=0.05))
        for i in range(40)
    ]
    add_feeds(sessions, urls)
    reader = make_engine(sqlite_url, read_only=True)
    counts: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def read_loop() -> None:
        while not done.is_set():
            try:
                with reader.connect() as conn:
                    counts.append(conn.execute(select(func.count()).select_from(Item)).scalar())
                    conn.execute(
                        text("SELECT title FROM items ORDER BY published_at DESC LIMIT 50")
                    ).all()
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            time.sleep(0.005)

    thread = threading.Thread(target=read_loop)
    thread.start()
    try:
        make_scheduler(sessions, batch_size=5).run(once=True)
    finally:
        done.set()
        thread.join(timeout=10)
    assert errors == []
    assert len(counts) > 20
    assert counts == sorted(counts)  # readers see committed feeds appear one by one
    assert len(set(counts)) > 1, "the reader never ran while ingest was writing"
    with reader.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Item)).scalar() == 800
    reader.dispose()
    engine.dispose()


# -- status --------------------------------------------------------------------------------


def test_status_shows_each_feeds_last_attempt_next_due_time_and_error_streak(sqlite_url, web):
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    good = web.feed(f"{WEB}/good.xml").serves(rss("good"))
    bad = web.feed(f"{WEB}/bad.xml").fails(500, b"oops")
    add_feeds(sessions, [good, bad])
    make_scheduler(sessions, web=web).run(once=True)
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", sqlite_url, "status"])
    assert result.exit_code == 0, result.output
    assert "last attempt" in result.output and "error streak 1" in result.output
    assert "due " in result.output and "(in " in result.output
    as_json = runner.invoke(cli, ["--db", sqlite_url, "status", "--json"])
    rows = {row["url"]: row for row in json.loads(as_json.output)}
    assert rows[good]["last_result"] == "ok" and rows[good]["error_streak"] == 0
    assert rows[bad]["last_result"] == "error" and rows[bad]["error_streak"] == 1
    assert rows[bad]["last_http_status"] == 500
    assert rows[bad]["next_due_at"] > rows[bad]["last_attempt_at"]
    assert rows[good]["lease_owner"] is None
    engine.dispose()


def test_status_never_prints_control_characters_from_feed_text(sqlite_url):
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        feed_store.upsert_feed(
            session, FeedSpec(url="http://127.0.0.1:9/x", name="evil\x1b[2Jname")
        )
    result = CliRunner().invoke(cli, ["--db", sqlite_url, "status"])
    assert result.exit_code == 0
    assert "\x1b" not in result.output and "evil [2Jname" in result.output
    engine.dispose()


# -- jkwatch run -----------------------------------------------------------------------------


def _answers_http(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.slow
def test_run_seeds_the_feeds_starts_the_dashboard_and_stops_both_on_ctrl_c(
    sqlite_url, tmp_path, server, monkeypatch
):
    url = server.route("/seeded.xml", Response(body=rss("seeded"), headers=RSS_TYPE))
    feeds_file = tmp_path / "feeds.toml"
    feeds_file.write_text(f'[[feeds]]\nurl = "{url}"\nname = "Seeded feed"\n')
    monkeypatch.setenv("JKWATCH_FEEDS", str(feeds_file))
    port = _free_port()
    process = _cli(sqlite_url, "run", "--port", str(port), "--max-sleep-seconds", "0.2")
    try:
        deadline = time.monotonic() + 45
        while not (server.hits("/seeded.xml") and _answers_http(port)):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "scheduler or dashboard never came up"
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode == 0, err
    assert "added 1 default feeds" in out
    assert f"dashboard: http://127.0.0.1:{port}" in out
    assert "scheduler stopped" in err
    assert not _answers_http(port), "the dashboard outlived jkwatch run"
    engine = make_engine(sqlite_url)
    with make_sessionmaker(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 3
    engine.dispose()


class FailsOnce:
    """The real pipeline behind a first call that blows up (a bug or a dropped connection)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.calls = 0

    def refresh(self, feeds, stop=None, on_feed=None):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("connection lost")
        return self.pipeline.refresh(feeds, stop=stop, on_feed=on_feed)


def test_a_failed_round_does_not_end_the_loop_and_its_feeds_return_when_the_lease_lapses(
    sessions, server
):
    url = server.route("/f.xml", Response(body=rss("f"), headers=RSS_TYPE))
    (feed_id,) = add_feeds(sessions, [url])
    clock = FakeClock()
    started = clock()
    worker = make_worker_id()
    refresher = FailsOnce(Pipeline(sessions, PipelineSettings(worker=worker), clock=clock))
    scheduler = None

    def sleeper(seconds: float, stop: threading.Event) -> None:
        clock.now += timedelta(seconds=seconds)
        if scheduler.stats.feeds:
            scheduler.stop()

    settings = SchedulerSettings(lease=timedelta(minutes=5), max_sleep_s=60, error_sleep_s=30)
    scheduler = Scheduler(sessions, refresher, settings, worker, clock=clock, sleeper=sleeper)
    stats = scheduler.run()
    assert stats.failed_rounds == 1 and stats.feeds == 1
    with sessions() as session:
        feed = feed_store.get_feed(session, feed_id)
    assert feed.last_status == "ok" and feed.lease_owner is None
    # Retried only once the failed round's lease had lapsed, not in a tight loop.
    assert feed.last_fetch_at - started >= timedelta(minutes=5)
    assert len(server.hits("/f.xml")) == 1


def test_inconsistent_interval_bounds_are_a_usage_error(sqlite_url):
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            sqlite_url,
            "schedule",
            "--once",
            "--min-interval-minutes",
            "120",
            "--max-interval-hours",
            "1",
        ],
    )
    assert result.exit_code == 2
    assert "--min-interval-minutes (120) is longer than --max-interval-hours (1)" in result.output


def test_status_names_the_worker_holding_a_live_lease(db_url, sessions):
    (feed_id,) = add_feeds(sessions, ["http://127.0.0.1:9/leased.xml"])
    with sessions.begin() as session:
        claimed = leases.claim_due_feeds(
            session, "host-a:42:abc", datetime.now(UTC), timedelta(minutes=5), 10
        )
    assert [feed.id for feed in claimed] == [feed_id]
    runner = CliRunner()
    (row,) = json.loads(runner.invoke(cli, ["--db", db_url, "status", "--json"]).output)
    assert row["lease_owner"] == "host-a:42:abc" and row["last_result"] is None
    text_output = runner.invoke(cli, ["--db", db_url, "status"]).output
    assert "being fetched by host-a:42:abc" in text_output
    assert "never fetched" in text_output


def test_the_after_cycle_hook_runs_after_ingest_and_a_failing_hook_never_stops_ingest(
    sessions, web
):
    urls = [web.feed(f"{WEB}/h{i}.xml").serves(rss(f"h{i}")) for i in range(2)]
    add_feeds(sessions, urls)
    calls: list[bool] = []

    def hook(ingested: bool) -> None:
        calls.append(ingested)
        raise RuntimeError("an alert channel exploded")

    scheduler = make_scheduler(sessions, web=web)
    scheduler.after_cycle = hook
    stats = scheduler.run(once=True)
    assert stats.items_new == 6 and stats.failed_rounds == 0
    assert calls == [True]  # once, after the cycle that ingested
    scheduler.run(once=True)
    assert calls == [True, False]  # nothing was due: briefs and retries only
