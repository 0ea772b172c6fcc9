"""The long-running scheduler: claim due feeds, refresh them through the pipeline, sleep, repeat.

The schedule lives in the database (each feed's ``next_fetch_at``), so the loop holds no
state worth losing: a restart, a crash or a second machine all pick up where the database
says. Each round claims up to ``batch_size`` due feeds with a lease
(``db.leases.claim_due_feeds``: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), hands them to
``Pipeline.refresh`` (the one pipeline, which records each attempt and clears its lease in
the feed's own transaction) and, while they are in flight, a heartbeat renews the leases so a
slow feed is not taken over from a live worker. A worker that dies stops renewing; its leases
lapse and another worker claims the feeds.

A cleanup task runs beside the rounds (like Miniflux's): about once per ``cleanup_every`` the
worker prunes the fetch log to the last ``fetch_log_keep_days`` days. The last prune time is
claimed in the database, so however many workers (or cron runs of ``jkwatch ingest``) share
it, one of them prunes per period; a failed cleanup is logged and retried, never fatal.

Shutdown (``stop()``, wired to SIGINT/SIGTERM by the CLI) stops claiming, lets the pipeline
finish or roll back the feed in flight, gives back the leases on feeds not processed, and
returns. Clock and sleeper are injectable so tests drive the loop without waiting.

``after_cycle`` is a hook the CLI passes in (the alerts engine's tick): called before each
sleep with whether an ingest cycle just finished (rounds claimed feeds since the last call), so
rules are evaluated after ingest and scheduled briefs go out on time while idle. The scheduler
knows nothing of alerts; a failing hook is logged and never stops ingest.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from jkwatch.clock import utcnow
from jkwatch.db import leases
from jkwatch.db.feeds import prune_fetch_log
from jkwatch.db.leases import claim_due_feeds
from jkwatch.model import FeedRecord, Outcome

if TYPE_CHECKING:
    from jkwatch.ingest.pipeline import FeedReport

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleeper = Callable[[float, threading.Event], None]
AfterCycle = Callable[[bool], None]
"""``after_cycle(ingested)``: run between ingest cycles; ``ingested`` when feeds were refreshed."""
"""``sleeper(seconds, stop)``: wait up to ``seconds``, returning early once ``stop`` is set."""


class Refresher(Protocol):
    """What the scheduler needs from ``ingest.pipeline.Pipeline``."""

    def refresh(
        self,
        feeds: Sequence[FeedRecord],
        stop: threading.Event | None = None,
        on_feed: Callable[[FeedReport], None] | None = None,
    ) -> Any: ...


def make_worker_id() -> str:
    """``host:pid:random``: unique per process, readable in ``jkwatch status`` and the fetch log."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def wait_on_event(seconds: float, stop: threading.Event) -> None:
    """The real sleeper: a wait that a shutdown signal cuts short."""
    stop.wait(max(0.0, seconds))


@dataclass(frozen=True)
class Cleanup:
    """Fetch-log housekeeping: how many days of attempts to keep, and how often to prune."""

    fetch_log_keep_days: int = 30
    """0 keeps the fetch log forever."""
    every: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.fetch_log_keep_days < 0:
            raise ValueError("fetch_log_keep_days must not be negative (0 keeps everything)")
        if self.every <= timedelta(0):
            raise ValueError("the cleanup period must be positive")


def clean_up(sessions: sessionmaker[Session], cleanup: Cleanup, now: datetime) -> int | None:
    """Run the cleanup task once if it is due for the whole database; rows pruned, or None.

    None means nothing was due (someone pruned within ``cleanup.every``) or pruning is off.
    Database errors propagate: the scheduler logs them, ``jkwatch ingest`` reports them.
    """
    if not cleanup.fetch_log_keep_days:
        return None
    with sessions.begin() as session:
        pruned = prune_fetch_log(
            session, cleanup.fetch_log_keep_days, now, at_most_every=cleanup.every
        )
    if pruned is not None:
        log.info("fetch log pruned rows=%d keep_days=%d", pruned, cleanup.fetch_log_keep_days)
    return pruned


@dataclass(frozen=True)
class SchedulerSettings:
    batch_size: int = 20
    """Feeds claimed per round (the pipeline fetches a round's feeds in parallel)."""
    lease: timedelta = timedelta(minutes=10)
    """How long a claim lasts without renewal: how soon a dead worker's feeds are retried."""
    max_sleep_s: float = 60.0
    """Never sleep longer than this, so feeds added or re-enabled meanwhile are seen."""
    min_sleep_s: float = 1.0
    """Never loop faster than this while waiting for feeds to fall due."""
    error_sleep_s: float = 30.0
    """Pause after a round failed as a whole (database unreachable): retry, do not exit."""
    cleanup: Cleanup = Cleanup()
    """The fetch-log cleanup task (keep 30 days, prune hourly)."""

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if self.lease <= timedelta(0):
            raise ValueError("the lease must be positive")


@dataclass
class SchedulerStats:
    """What a scheduler run did (printed when it stops)."""

    rounds: int = 0
    feeds: int = 0
    errors: int = 0
    items_new: int = 0
    failed_rounds: int = 0
    outcomes: dict[Outcome, int] = field(default_factory=dict)
    fetch_log_pruned: int = 0
    """Fetch-log rows this worker's cleanup task removed."""


class Scheduler:
    """Claim, refresh, sleep; one instance per worker process."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        pipeline: Refresher,
        settings: SchedulerSettings = SchedulerSettings(),
        worker: str | None = None,
        clock: Clock = utcnow,
        sleeper: Sleeper = wait_on_event,
        on_feed: Callable[[FeedReport], None] | None = None,
        after_cycle: AfterCycle | None = None,
    ) -> None:
        self.sessions = sessions
        self.after_cycle = after_cycle
        self._ingested = False
        self.pipeline = pipeline
        self.settings = settings
        self.worker = worker or make_worker_id()
        self.clock = clock
        self.sleeper = sleeper
        self.on_feed = on_feed
        self.stats = SchedulerStats()
        self._stop = threading.Event()
        self._next_cleanup_at: datetime | None = None

    # -- control --------------------------------------------------------------------------

    @property
    def stop_event(self) -> threading.Event:
        return self._stop

    def stop(self) -> None:
        """Ask the loop to finish: no new claims; the feed in flight finishes or rolls back."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- the loop -------------------------------------------------------------------------

    def run(self, once: bool = False) -> SchedulerStats:
        """Loop until stopped; with ``once``, stop as soon as nothing is due."""
        log.info("scheduler started worker=%s once=%s", self.worker, once)
        try:
            while not self.stopping:
                self.clean_up_if_due()
                try:
                    if self.run_round():
                        self._ingested = True
                        continue  # more may be due right away
                    self.run_after_cycle()
                    if once:
                        break
                    pause = self.seconds_until_next_due()
                except Exception:  # noqa: BLE001 - an unattended loop survives a bad round
                    self.stats.failed_rounds += 1
                    log.exception("scheduler round failed worker=%s", self.worker)
                    if once:
                        raise
                    pause = self.settings.error_sleep_s
                self.sleeper(pause, self._stop)
        finally:
            self._give_back_leases()
            log.info(
                "scheduler stopped worker=%s rounds=%d feeds=%d",
                self.worker,
                self.stats.rounds,
                self.stats.feeds,
            )
        return self.stats

    def clean_up_if_due(self) -> None:
        """The cleanup task: at most once per ``cleanup.every`` here, once per period overall."""
        now = self.clock()
        if self._next_cleanup_at is not None and now < self._next_cleanup_at:
            return
        self._next_cleanup_at = now + self.settings.cleanup.every
        try:
            self.stats.fetch_log_pruned += clean_up(self.sessions, self.settings.cleanup, now) or 0
        except Exception:  # noqa: BLE001 - housekeeping never stops ingestion
            log.exception("fetch-log cleanup failed worker=%s", self.worker)

    def run_after_cycle(self) -> None:
        """Call the ``after_cycle`` hook (if any) once; its failures are logged, never raised."""
        if self.after_cycle is None:
            return
        ingested, self._ingested = self._ingested, False
        try:
            self.after_cycle(ingested)
        except Exception:  # noqa: BLE001 - alerts and briefs never stop ingestion
            log.exception("after-cycle hook failed worker=%s", self.worker)

    def run_round(self) -> int:
        """Claim one batch of due feeds and refresh it; returns how many feeds were claimed."""
        if self.stopping:
            return 0
        now = self.clock()
        with self.sessions.begin() as session:
            feeds = claim_due_feeds(
                session, self.worker, now, self.settings.lease, self.settings.batch_size
            )
        if not feeds:
            return 0
        self.stats.rounds += 1
        log.info("claimed feeds worker=%s count=%d", self.worker, len(feeds))
        reported: set[int] = set()

        def on_feed(report: FeedReport) -> None:
            reported.add(report.feed_id)
            self._count(report)
            if self.on_feed is not None:
                self.on_feed(report)

        heartbeat = _Heartbeat(self)
        heartbeat.start()
        try:
            self.pipeline.refresh(feeds, stop=self._stop, on_feed=on_feed)
        finally:
            heartbeat.finish()
            if self.stopping:
                self._give_back_leases()
            else:
                missing = [f.id for f in feeds if f.id not in reported]
                if missing:
                    # Keep the lease: it lapses after ``lease`` and acts as the retry delay,
                    # instead of claiming a feed the pipeline could not record over and over.
                    log.warning(
                        "feeds not recorded by the pipeline worker=%s feed_ids=%s",
                        self.worker,
                        missing,
                    )
        return len(feeds)

    def seconds_until_next_due(self) -> float:
        """How long to sleep: until the next feed is claimable, within the configured bounds."""
        now = self.clock()
        with self.sessions() as session:
            at = leases.next_claimable_at(session, now)
        if at is None:
            return self.settings.max_sleep_s
        seconds = (at - now).total_seconds()
        return min(self.settings.max_sleep_s, max(self.settings.min_sleep_s, seconds))

    # -- helpers --------------------------------------------------------------------------

    def renew(self) -> int:
        with self.sessions.begin() as session:
            return leases.renew_leases(session, self.worker, self.clock(), self.settings.lease)

    def _give_back_leases(self) -> None:
        try:
            with self.sessions.begin() as session:
                released = leases.release_leases(session, self.worker)
        except Exception:  # noqa: BLE001 - they expire on their own; never mask the real exit
            log.exception("could not release leases worker=%s", self.worker)
            return
        if released:
            log.info("released leases worker=%s count=%d", self.worker, released)

    def _count(self, report: FeedReport) -> None:
        self.stats.feeds += 1
        outcome: Outcome = report.outcome
        self.stats.outcomes[outcome] = self.stats.outcomes.get(outcome, 0) + 1
        if outcome == "error":
            self.stats.errors += 1
        self.stats.items_new += report.items_new


class _Heartbeat:
    """Renews the worker's leases every third of a lease while a round is in flight."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self.interval_s = max(0.05, scheduler.settings.lease.total_seconds() / 3)
        self._done = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"lease-heartbeat-{scheduler.worker}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def finish(self) -> None:
        self._done.set()
        self._thread.join(timeout=30)

    def _beat(self) -> None:
        while not self._done.wait(self.interval_s):
            try:
                self.scheduler.renew()
            except Exception:  # noqa: BLE001 - a missed renewal only risks a lapse
                log.exception("lease renewal failed worker=%s", self.scheduler.worker)
