"""Fetch-log housekeeping: the scheduler's cleanup task and ``jkwatch ingest`` prune old attempts.

Real databases on both backends; the clock is injected, so "an hour later" costs nothing.
The claim on the last prune time is what makes several workers (or cron runs) prune once per
period: pinned here with two schedulers on one database, and on PostgreSQL with workers racing
from threads.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.cli.main import cli
from jkwatch.db import feeds as feed_store
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from jkwatch.db.models import FetchRun
from jkwatch.ingest.scheduler import Cleanup, Scheduler, SchedulerSettings, clean_up
from jkwatch.model import FeedSpec, FeedUpdate, FetchOutcome

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


class NothingToRefresh:
    """The scheduler's pipeline when no feed is due: these tests are about the cleanup task."""

    def refresh(self, feeds, stop=None, on_feed=None):  # type: ignore[no-untyped-def]
        raise AssertionError("no feed should be due")


def log_attempts(sessions: sessionmaker[Session], *ages_days: float, now: datetime = NOW) -> None:
    """One feed whose fetch log holds an attempt this many days before ``now``, each."""
    with sessions.begin() as session:
        feed, _ = feed_store.upsert_feed(session, FeedSpec(url="https://news.example/a.rss"))
        for age in ages_days:
            started = now - timedelta(days=age)
            feed_store.record_attempt(
                session,
                feed.id,
                FetchOutcome(started_at=started, duration_ms=5, outcome="not_modified"),
                FeedUpdate(next_fetch_at=now + timedelta(days=365), keep_validators=True),
            )


def logged_ages(sessions: sessionmaker[Session], now: datetime = NOW) -> list[float]:
    with sessions() as session:
        starts = session.scalars(select(FetchRun.started_at).order_by(FetchRun.started_at))
        return [round((now - _utc(s)).total_seconds() / 86_400, 1) for s in starts]


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def scheduler(
    sessions: sessionmaker[Session], clock: list[datetime], **cleanup: object
) -> Scheduler:
    settings = SchedulerSettings(cleanup=Cleanup(**cleanup))  # type: ignore[arg-type]
    return Scheduler(sessions, NothingToRefresh(), settings, worker="w", clock=lambda: clock[0])


def test_the_cleanup_task_drops_attempts_older_than_the_kept_days_and_keeps_the_rest(sessions):
    log_attempts(sessions, 45, 31, 29, 1)
    worker = scheduler(sessions, [NOW], fetch_log_keep_days=30)
    worker.clean_up_if_due()
    assert logged_ages(sessions) == [29.0, 1.0]
    assert worker.stats.fetch_log_pruned == 2


def test_the_scheduler_loop_prunes_before_its_first_round(sessions):
    log_attempts(sessions, 40, 2)
    worker = scheduler(sessions, [NOW], fetch_log_keep_days=7)
    worker.run(once=True)
    assert logged_ages(sessions) == [2.0]


def test_a_worker_prunes_again_only_after_the_cleanup_period(sessions):
    clock = [NOW]
    log_attempts(sessions, 40)
    worker = scheduler(sessions, clock, fetch_log_keep_days=30, every=timedelta(hours=1))
    worker.clean_up_if_due()
    log_attempts(sessions, 50)
    clock[0] = NOW + timedelta(minutes=59)
    worker.clean_up_if_due()
    assert logged_ages(sessions) == [50.0]
    clock[0] = NOW + timedelta(hours=1)
    worker.clean_up_if_due()
    assert logged_ages(sessions) == []


def test_of_two_workers_on_one_database_only_one_prunes_per_period(sessions):
    cleanup = Cleanup(fetch_log_keep_days=30, every=timedelta(hours=1))
    log_attempts(sessions, 40)
    assert clean_up(sessions, cleanup, NOW) == 1
    log_attempts(sessions, 50)
    assert clean_up(sessions, cleanup, NOW + timedelta(minutes=30)) is None  # the other worker
    assert logged_ages(sessions) == [50.0]
    assert clean_up(sessions, cleanup, NOW + timedelta(minutes=61)) == 1


def test_keeping_zero_days_turns_pruning_off(sessions):
    log_attempts(sessions, 400)
    assert clean_up(sessions, Cleanup(fetch_log_keep_days=0), NOW) is None
    assert logged_ages(sessions) == [400.0]


def test_a_failing_cleanup_is_logged_and_does_not_stop_the_scheduler(sessions, caplog):
    worker = scheduler(sessions, [NOW])
    worker.sessions = _broken_sessions()
    worker.clean_up_if_due()  # must not raise
    assert "fetch-log cleanup failed" in caplog.text


def _broken_sessions() -> sessionmaker[Session]:
    engine = make_engine("sqlite:////nonexistent-dir/for/jkwatch.db")
    return make_sessionmaker(engine)


def test_the_cleanup_settings_reject_nonsense():
    with pytest.raises(ValueError, match="negative"):
        Cleanup(fetch_log_keep_days=-1)
    with pytest.raises(ValueError, match="positive"):
        Cleanup(every=timedelta(0))


def test_jkwatch_ingest_prunes_the_fetch_log_for_cron_users(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)
    log_attempts(sessions, 90, 3, now=now)
    result = CliRunner().invoke(cli, ["--db", db_url, "ingest", "--keep-fetch-log-days", "60"])
    assert result.exit_code == 0, result.output
    assert logged_ages(sessions, now=now) == [3.0]
    assert "pruned 1 fetch-log row" in result.output
    engine.dispose()


@pytest.mark.postgres
def test_racing_postgresql_workers_prune_exactly_once(pg_url):
    engine = make_engine(pg_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    log_attempts(sessions, 40, 41, 42)
    cleanup = Cleanup(fetch_log_keep_days=30, every=timedelta(hours=1))
    results: list[int | None] = []
    start = threading.Barrier(4)

    def work() -> None:
        start.wait()
        results.append(clean_up(sessions, cleanup, NOW))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results, key=lambda r: r is None) == [3, None, None, None]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(FetchRun)) == 0
    engine.dispose()
