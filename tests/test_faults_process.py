"""Process faults: kill -9 mid-ingest, a locked database, a database that is down.

The ingest runs as a real subprocess (``python -m ingest.cli.main``) against feeds served
from a local server, is killed with SIGKILL at several points and restarted; afterwards every
item is there exactly once and SQLite's integrity check passes. A write blocked by another
connection's lock rolls back and the feed stays due, so the next run stores it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

import jkwatch.db.engine as db_engine
from jkwatch.clock import utcnow
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from jkwatch.db.models import Feed, FetchRun, Item
from jkwatch.ingest.pipeline import Pipeline, PipelineSettings
from tests.factories import add_feeds, healthy_feed, rss
from tests.factories import shared_tagger as tagger
from tests.feedserver import FeedServer, Response
from tests.processes import start_jkwatch as _cli
from tests.reliability_support import fetch_settings

ROOT = Path(__file__).resolve().parents[1]
FEEDS = 12
ITEMS_PER_FEED = 150


def _serve_slow_feeds(server: FeedServer) -> list[str]:
    """Feeds of 150 items each that answer after staggered delays, so a run takes seconds."""
    urls = []
    for n in range(FEEDS):
        body = rss(
            (f"p{n}-{i}", f"Feed {n} story {i} on missile defence", f"https://p{n}.example.org/{i}")
            for i in range(ITEMS_PER_FEED)
        )
        urls.append(server.route(f"/slow{n}.xml", Response(body=body, delay_s=0.15 * n)))
    return urls


@pytest.mark.slow
def test_kill_9_at_several_points_of_an_ingest_loses_and_duplicates_nothing(
    db_url: str, tmp_path: Path
) -> None:
    with FeedServer() as server:
        urls = _serve_slow_feeds(server)
        feeds_file = tmp_path / "feeds.toml"
        feeds_file.write_text("".join(f'[[feeds]]\nurl = "{u}"\n\n' for u in urls), "utf-8")
        killed = 0
        for delay in (0.6, 1.2, 1.8, 2.4, 3.0):
            proc = _cli(db_url, "ingest", "--feeds", str(feeds_file))
            time.sleep(delay)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed += 1
            proc.communicate(timeout=30)
        final = _cli(db_url, "ingest", "--feeds", str(feeds_file))
        _, err = final.communicate(timeout=60)
    assert final.returncode == 0, err
    assert killed >= 2, "the kills landed while ingest was running"

    if db_url.startswith("sqlite"):
        with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as session:
        total = session.scalar(select(func.count()).select_from(Item))
        keys = session.scalar(
            select(func.count()).select_from(
                select(Item.feed_id, Item.entry_key).distinct().subquery()
            )
        )
        per_feed = [
            n
            for (n,) in session.execute(
                select(func.count()).select_from(Item).group_by(Item.feed_id)
            )
        ]
    engine.dispose()
    assert total == keys == FEEDS * ITEMS_PER_FEED, "no item lost, none duplicated"
    assert sorted(per_feed) == [ITEMS_PER_FEED] * FEEDS


@pytest.mark.slow
def test_a_write_blocked_by_another_writer_rolls_back_and_is_retried_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # There is no setting for SQLite's busy timeout (30 s): shorten the constant for the test.
    monkeypatch.setattr(db_engine, "SQLITE_BUSY_TIMEOUT_MS", 300)
    db_path = tmp_path / "locked.db"
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    pipeline = Pipeline(sessions, PipelineSettings(fetch=fetch_settings()), tagger=tagger())
    with FeedServer() as server:
        warmup = server.route("/warm.xml", Response(body=healthy_feed("warm")))
        slow = Response(body=healthy_feed("target"), delay_s=1.0)
        target = server.route("/target.xml", slow)
        pipeline.refresh(add_feeds(sessions, [warmup]))
        (feed,) = add_feeds(sessions, [target])

        # Another writer takes the lock while the feed is being fetched, and holds it past
        # the busy timeout while the pipeline tries to store.
        blocker = sqlite3.connect(db_path, isolation_level=None, timeout=5, check_same_thread=False)
        locked = threading.Timer(0.5, blocker.execute, args=("BEGIN IMMEDIATE",))
        locked.start()
        try:
            blocked = pipeline.refresh([feed])
        finally:
            locked.join()
            blocker.execute("ROLLBACK")
            blocker.close()
        slow.delay_s = 0
        (report,) = blocked.feeds
        assert report.outcome == "error"
        assert "locked" in (report.error or ""), report.error
        with sessions() as session:
            stored = session.scalar(select(func.count()).where(Item.feed_id == feed.id))
            still = session.get(Feed, feed.id)
        assert stored == 0, "the feed's transaction was rolled back"
        assert still is not None and still.next_fetch_at <= feed.next_fetch_at, "still due"

        retried = pipeline.refresh([feed])
    (report,) = retried.feeds
    assert report.outcome == "ok" and report.items_new == 3
    with sessions() as session:
        assert session.scalar(select(func.count()).where(Item.feed_id == feed.id)) == 3
        runs = session.scalar(select(func.count()).where(FetchRun.feed_id == feed.id))
    engine.dispose()
    assert runs == 1, "only the successful attempt could be logged while the file was locked"


@pytest.mark.parametrize("where", ["postgresql on a closed port", "sqlite under a file"])
@pytest.mark.slow
def test_a_database_that_is_down_at_start_is_a_one_line_error_and_exit_2(
    where: str, tmp_path: Path
) -> None:
    not_a_dir = tmp_path / "plain-file"
    not_a_dir.write_text("x")
    url = (
        "postgresql://postgres@127.0.0.1:1/x"
        if where.startswith("postgresql")
        else f"sqlite:///{not_a_dir}/sub/x.db"
    )
    proc = _cli(url, "ingest", "--all")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in err


def _client_ports(pid: int) -> set[int]:
    """Local TCP ports of the sockets process ``pid`` holds (its database connections)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _terminate_backends_of(pid: int) -> int:
    """``pg_terminate_backend`` for the scheduler's connections only (other tests share the server)."""
    from sqlalchemy import create_engine, text

    from tests.databases import pg_base_url

    ports = _client_ports(pid)
    if not ports:
        return 0
    admin = create_engine(pg_base_url())
    with admin.begin() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE client_port = ANY(:ports) AND pid <> pg_backend_pid()"
            ),
            {"ports": sorted(ports)},
        ).scalar_one()
    admin.dispose()
    return int(killed)


@pytest.mark.slow
def test_the_scheduler_recovers_when_its_postgresql_connections_are_terminated(
    pg_url: str,
) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    served = {"n": 0}

    def growing(_request: object) -> Response:
        """Every fetch sees one more item, so progress after the outage is visible."""
        served["n"] += 1
        items = [
            (f"s{i}", f"Scheduled story {i}", f"https://sched.example.org/{i}")
            for i in range(served["n"])
        ]
        return Response(body=rss(items))

    def stored() -> int:
        with sessions() as session:
            return int(session.scalar(select(func.count()).select_from(Item)) or 0)

    def wait_for(condition: object, timeout: float = 25.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():  # type: ignore[operator]
                return True
            time.sleep(0.1)
        return False

    with FeedServer() as server:
        add_feeds(sessions, [server.route("/grow.xml", growing)])
        proc = _cli(
            pg_url,
            "schedule",
            "--max-sleep-seconds",
            "0.2",
            "--min-interval-minutes",
            "0.02",
            "--max-interval-hours",
            "0.0003",
        )
        try:
            assert wait_for(lambda: stored() >= 2), "the scheduler started storing"
            terminated = 0
            for _ in range(3):
                terminated += _terminate_backends_of(proc.pid)
                time.sleep(0.3)
            assert terminated >= 1, "the scheduler's connections were cut"
            before = stored()
            assert wait_for(lambda: stored() >= before + 2), "the scheduler recovered"
            assert proc.poll() is None, "the scheduler is still alive"
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    with sessions() as session:
        total, distinct = session.execute(
            select(func.count(), func.count(func.distinct(Item.entry_key)))
        ).one()
    engine.dispose()
    assert total == distinct, "no duplicates across the outage"


def test_a_full_disk_during_a_write_rolls_the_feed_back_and_it_is_retried_later(
    tmp_path: Path,
) -> None:
    """SQLite's ``max_page_count`` makes the file "full": the same SQLITE_FULL as a full disk."""
    from sqlalchemy import event

    db_url = f"sqlite:///{tmp_path / 'full.db'}"
    setup = make_engine(db_url)
    upgrade(setup)
    sessions = make_sessionmaker(setup)
    with FeedServer() as server:
        warm = server.route("/warm.xml", Response(body=healthy_feed("warmfull")))
        big = rss(
            (f"full-{i}", f"Story {i} " + "padding " * 40, f"https://full.example.org/{i}")
            for i in range(400)
        )
        target = server.route("/big.xml", Response(body=big))
        Pipeline(sessions, PipelineSettings(fetch=fetch_settings()), tagger=tagger()).refresh(
            add_feeds(sessions, [warm])
        )
        (feed,) = add_feeds(sessions, [target])
        with setup.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        setup.dispose()

        full = make_engine(db_url)

        @event.listens_for(full, "connect")
        def _cap(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 4}")

        full_sessions = make_sessionmaker(full)
        settings = PipelineSettings(fetch=fetch_settings())
        (report,) = Pipeline(full_sessions, settings, tagger=tagger()).refresh([feed]).feeds
        full.dispose()
        assert report.outcome == "error"
        assert "full" in (report.error or ""), report.error

        roomy = make_engine(db_url)
        roomy_sessions = make_sessionmaker(roomy)
        with roomy_sessions() as session:
            assert session.scalar(select(func.count()).where(Item.feed_id == feed.id)) == 0
            after = session.get(Feed, feed.id)
            assert after is not None
            # The failure was small enough to record: the feed backs off briefly, in words.
            assert after.error_count == 1 and "full" in (after.last_error or "")
            assert after.next_fetch_at <= utcnow() + timedelta(hours=1), "retried soon"
        (retry,) = Pipeline(roomy_sessions, settings, tagger=tagger()).refresh([feed]).feeds
    with roomy_sessions() as session:
        stored = session.scalar(select(func.count()).where(Item.feed_id == feed.id))
    roomy.dispose()
    assert retry.outcome == "ok"
    assert stored == 400
    with sqlite3.connect(tmp_path / "full.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
