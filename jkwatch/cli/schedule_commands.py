"""``jkwatch schedule``, ``run`` and ``status``: the unattended side of jkwatch.

``schedule`` runs the scheduler loop (``ingest.scheduler``) until SIGINT/SIGTERM; ``run`` does
what ``make run`` needs (upgrade, seed the default feeds on first start, scheduler plus
dashboard, one Ctrl-C stops both); ``status`` shows each feed's schedule and health. On SQLite
both long-running commands hold the single-writer lock (``ingest.locks``); on PostgreSQL any
number of them share the work.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import click

from jkwatch.cli import health
from jkwatch.cli.context import AppContext
from jkwatch.cli.errors import fail
from jkwatch.cli.first_backfill import backfill_options, first_start
from jkwatch.cli.lifeline import child_env
from jkwatch.cli.terminal import clean
from jkwatch.db.engine import describe_url
from jkwatch.ingest.locks import LockHeld, writer_lock
from jkwatch.ingest.schedule import SchedulePolicy
from jkwatch.ingest.scheduler import Cleanup, Scheduler, SchedulerSettings, make_worker_id

# -- shared options ------------------------------------------------------------------------


def _scheduler_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--max-feeds-per-round",
            type=click.IntRange(min=1),
            default=20,
            show_default=True,
            help="Feeds claimed (and fetched in parallel) per round.",
        ),
        click.option(
            "--lease-minutes",
            type=click.FloatRange(min=0.01),
            default=10.0,
            show_default=True,
            help="How long a claim on a feed lasts without renewal; a dead worker's feeds "
            "are retried after this.",
        ),
        click.option(
            "--min-interval-minutes",
            type=click.FloatRange(min=0, min_open=True),
            default=SchedulePolicy.min_interval_s / 60,
            show_default=True,
            help="Never fetch a feed more often than this.",
        ),
        click.option(
            "--max-interval-hours",
            type=click.FloatRange(min=0, min_open=True),
            default=SchedulePolicy.max_interval_s / 3600,
            show_default=True,
            help="Fetch every healthy feed at least this often.",
        ),
        click.option(
            "--keep-fetch-log-days",
            type=click.IntRange(min=0),
            default=Cleanup.fetch_log_keep_days,
            show_default=True,
            help="Prune fetch-log entries older than this, hourly (0: keep them forever).",
        ),
        click.option(
            "--max-sleep-seconds",
            type=click.FloatRange(min=0.05),
            default=60.0,
            hidden=True,
            help="Longest idle wait between looks at the database (tests shorten it).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _policy(min_interval_minutes: float, max_interval_hours: float) -> SchedulePolicy:
    min_s = round(min_interval_minutes * 60)
    max_s = round(max_interval_hours * 3600)
    if min_s > max_s:
        fail(
            f"--min-interval-minutes ({min_interval_minutes:g}) is longer than "
            f"--max-interval-hours ({max_interval_hours:g})"
        )
    default = SchedulePolicy()
    return SchedulePolicy(
        min_interval_s=min_s,
        max_interval_s=max_s,
        default_interval_s=min(max(default.default_interval_s, min_s), max_s),
        error_backoff_base_s=min(default.error_backoff_base_s, max(min_s, 1)),
        max_backoff_s=max(default.max_backoff_s, max_s),
    )


def _settings(opts: dict[str, Any]) -> SchedulerSettings:
    max_sleep = float(opts["max_sleep_seconds"])
    return SchedulerSettings(
        batch_size=opts["max_feeds_per_round"],
        lease=timedelta(minutes=opts["lease_minutes"]),
        max_sleep_s=max_sleep,
        min_sleep_s=min(1.0, max_sleep),
        error_sleep_s=min(30.0, max(max_sleep, 1.0)),
        cleanup=Cleanup(fetch_log_keep_days=opts["keep_fetch_log_days"]),
    )


# -- building and running the scheduler ----------------------------------------------------


@contextlib.contextmanager
def _writer_lock(app: AppContext) -> Iterator[None]:
    lock = writer_lock(app.database_url)
    if lock is None:
        yield
        return
    try:
        lock.acquire()
    except LockHeld as exc:
        fail(str(exc))
    try:
        yield
    finally:
        lock.release()


def _build_scheduler(app: AppContext, opts: dict[str, Any], echo_feeds: bool) -> Scheduler:
    from jkwatch.ingest.pipeline import Pipeline, PipelineSettings
    from jkwatch.ingest.tagging import TaxonomyError

    sessions = app.sessions()  # upgrades the schema on first use
    worker = make_worker_id()
    policy = _policy(opts["min_interval_minutes"], opts["max_interval_hours"])
    try:
        pipeline = Pipeline(sessions, PipelineSettings(policy=policy, worker=worker))
    except TaxonomyError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits
    return Scheduler(
        sessions,
        pipeline,
        _settings(opts),
        worker=worker,
        on_feed=_print_feed if echo_feeds else None,
        after_cycle=_alerts_hook(sessions, worker),
    )


def _alerts_hook(sessions: Any, worker: str) -> Callable[[bool], None] | None:
    """The alerts engine's tick for the scheduler, or None when no rule or brief is enabled.

    A broken ``alerts.toml`` is reported once and ingest runs without alerts: the feeds matter
    more than the alerts about them (``jkwatch alerts list`` shows the error).
    """
    from jkwatch.alerts.config import load_alerts_config
    from jkwatch.alerts.engine import AlertsEngine
    from jkwatch.alerts.message import AlertsConfigError

    try:
        config = load_alerts_config()
    except AlertsConfigError as exc:
        click.echo(f"warning: alerts are off: {exc}", err=True)
        return None
    if not any(r.enabled for r in config.rules) and not any(b.enabled for b in config.briefs):
        return None
    return AlertsEngine(sessions, config, worker=worker).tick


def _print_feed(report: Any) -> None:
    name = clean(report.name or report.url)
    line = f"{report.outcome:<12} {report.items_new:>4} new  {name}"
    if report.error:
        line += f"  ({clean(report.error)})"
    click.echo(line)


@contextlib.contextmanager
def _shutdown_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """First SIGINT/SIGTERM: graceful stop. A second one aborts (exit 130)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be handled in the main thread (e.g. inside some test runners)
        return
    requested = threading.Event()

    def handler(signum: int, _frame: Any) -> None:
        if requested.is_set():
            raise KeyboardInterrupt
        requested.set()
        click.echo(
            f"{signal.Signals(signum).name}: stopping after the feeds in flight "
            "(press Ctrl-C again to abort)",
            err=True,
        )
        stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _summary(scheduler: Scheduler) -> str:
    stats = scheduler.stats
    return (
        f"scheduler stopped: {stats.feeds} feed refreshes in {stats.rounds} rounds, "
        f"{stats.items_new} new items, {stats.errors} feed errors"
    )


@click.command("schedule")
@_scheduler_options
@click.option("--once", is_flag=True, help="Refresh what is due now, then exit (like a cron run).")
@click.pass_obj
def schedule_command(app: AppContext, once: bool, **opts: Any) -> None:
    """Run the persistent scheduler: fetch each feed when it falls due, until stopped.

    The schedule lives in the database, so restarts lose nothing. On SQLite one scheduler
    may run per database; on PostgreSQL start as many workers as you like, on any machines.
    """
    with _writer_lock(app):
        scheduler = _build_scheduler(app, opts, echo_feeds=True)
        click.echo(
            f"jkwatch scheduler {scheduler.worker} on {describe_url(app.database_url)}", err=True
        )
        with _shutdown_on_signals(scheduler.stop):
            scheduler.run(once=once)
        click.echo(_summary(scheduler), err=True)


# -- run: scheduler + dashboard -------------------------------------------------------------


def _seed_default_feeds(app: AppContext) -> int:
    from jkwatch.ingest.feedlist import FeedListError, seed_default_feeds

    try:
        with app.sessions().begin() as session:
            return seed_default_feeds(session)
    except FeedListError as exc:
        fail(f"cannot seed the default feeds: {exc}")
        raise  # unreachable: fail() exits


def _start_dashboard(app: AppContext, host: str, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "jkwatch.cli.main", "--db", app.database_url]
    command += ["dashboard", "--host", host, "--port", str(port)]
    # Its own session: a terminal Ctrl-C reaches only us, and we stop the dashboard in order.
    # If we are killed outright the kernel stops it (``jkwatch.cli.lifeline``).
    return subprocess.Popen(command, start_new_session=True, env=child_env())


def _stop_process(process: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    """Stop the dashboard's whole process group (``jkwatch dashboard`` runs streamlit as a child)."""

    def signal_group(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)

    signal_group(signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        signal_group(signal.SIGKILL)
        process.wait(timeout=grace_s)
    # The leader may be gone while its children still shut down: give them the same grace.
    deadline = time.monotonic() + grace_s
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _group_alive(process.pid):
        signal_group(signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else (cannot happen for our own children)
    return True


def _watch(process: subprocess.Popen[bytes], scheduler: Scheduler, died: list[int]) -> None:
    code = process.wait()
    if not scheduler.stopping:
        died.append(code)
        scheduler.stop()


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Dashboard address.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8501, show_default=True, help="Dashboard port."
)
@click.option("--no-dashboard", is_flag=True, help="Run only the scheduler.")
@_scheduler_options
@backfill_options
@click.pass_obj
def run_command(
    app: AppContext,
    host: str,
    port: int,
    no_dashboard: bool,
    backfill_days: int,
    backfill_source: str,
    backfill_endpoint: str | None,
    backfill_delay: float | None,
    **opts: Any,
) -> None:
    """Start jkwatch: upgrade the database, seed default feeds, run scheduler and dashboard.

    On an empty database it says how to load past coverage, or with --backfill-days N
    backfills the last N days in the background. Ctrl-C (or SIGTERM) stops everything cleanly.
    """
    with _writer_lock(app):
        scheduler = _build_scheduler(app, opts, echo_feeds=False)
        added = _seed_default_feeds(app)
        if added:
            click.echo(f"added {added} default feeds (see `jkwatch feeds list`)")
        history = first_start(
            app, backfill_days, backfill_source, backfill_endpoint, backfill_delay
        )
        dashboard = None
        died: list[int] = []
        try:
            if not no_dashboard:
                dashboard = _start_dashboard(app, host, port)
                threading.Thread(
                    target=_watch, args=(dashboard, scheduler, died), daemon=True
                ).start()
                click.echo(f"dashboard: http://{host}:{port}")
            click.echo(
                f"scheduler {scheduler.worker} on {describe_url(app.database_url)}; "
                "press Ctrl-C to stop"
            )
            with _shutdown_on_signals(scheduler.stop):
                scheduler.run()
        finally:
            if history is not None:
                history.stop()
            if dashboard is not None:
                _stop_process(dashboard)
        click.echo(_summary(scheduler), err=True)
        if died:
            fail(
                f"the dashboard stopped unexpectedly (exit code {died[0]}); see its messages above"
            )


# -- status ---------------------------------------------------------------------------------


@click.command("status")
@health.json_option
@click.pass_obj
def status_command(app: AppContext, as_json: bool) -> None:
    """Per feed: the last attempt, its result, the next due time and the error streak (UTC)."""
    hint = "no feeds yet: `jkwatch feeds add URL`, or `jkwatch run` to seed the defaults"
    health.show(app, as_json, health.details, hint)
