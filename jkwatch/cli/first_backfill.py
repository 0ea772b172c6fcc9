"""History at first start: what ``jkwatch run`` says or does about backfill on an empty database.

Live feeds carry only their last few dozen entries, so a new install shows flat trends for
weeks. With ``--backfill-days 0`` (the default) ``run`` prints how to load past coverage when
the database holds no item. With ``--backfill-days N`` (or ``$JKWATCH_BACKFILL_DAYS``) it
backfills the last N days in a background thread while the scheduler collects live, once: the
range is recorded in the database's meta table when it starts and marked done when every
window settled, so a stopped first start resumes the same range at the next ``run`` and a
finished one never runs again (``jkwatch backfill`` is there for more).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import click

from jkwatch.cli.context import AppContext
from jkwatch.clock import utcnow

log = logging.getLogger(__name__)

META_KEY = "run_backfill"
"""Meta value: "pending SINCE UNTIL" while the first-start backfill is unfinished, then
"done SINCE UNTIL"."""
JOIN_TIMEOUT_S = 30.0


def backfill_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``run``'s options for the first-start backfill."""
    options = [
        click.option(
            "--backfill-days",
            type=click.IntRange(min=0, max=3650),
            default=0,
            show_default=True,
            envvar="JKWATCH_BACKFILL_DAYS",
            help="On first start (an empty database), backfill the last N days of coverage "
            "from news search in the background, once ($JKWATCH_BACKFILL_DAYS; 0: off, "
            "only say how).",
        ),
        click.option(
            "--backfill-source",
            type=click.Choice(("google-news", "gdelt", "all")),
            default="all",
            show_default=True,
            help="Which news-search service the first-start backfill asks.",
        ),
        click.option(
            "--backfill-endpoint",
            help="Base URL replacing the --backfill-source service's (a mirror).",
        ),
        click.option(
            "--backfill-delay",
            type=click.FloatRange(min=0),
            help="Seconds between two requests of the first-start backfill (default: each "
            "service's own pace, as `jkwatch backfill`).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def offer_line(today: date) -> str:
    since = today - timedelta(days=90)
    return (
        "the database holds no items yet, and feeds carry only their latest entries: for "
        f"past coverage run `jkwatch backfill --since {since}` (README: Backfill), or start "
        "with --backfill-days 90 to do it in the background"
    )


class FirstStartBackfill:
    """The background backfill of one range; ``stop`` ends it between two windows."""

    def __init__(
        self,
        app: AppContext,
        since: date,
        until: date,
        runner: Any,
        jobs: list[Any],
        clients: dict[str, Any],
    ) -> None:
        self.app = app
        self.since, self.until = since, until
        self.runner, self.jobs, self.clients = runner, jobs, clients
        self.report: Any = None
        self._thread = threading.Thread(target=self._run, name="first-backfill", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.runner.stop.set()
        self._thread.join(JOIN_TIMEOUT_S)

    def _run(self) -> None:
        try:
            self.report = self.runner.run(self.jobs, self.since, self.until)
        except Exception:  # noqa: BLE001 - the background backfill never takes run down
            log.exception("first-start backfill failed since=%s until=%s", self.since, self.until)
            click.echo("background backfill failed (see the log); rerun `jkwatch run`", err=True)
            return
        finally:
            for client in self.clients.values():
                client.close()
        report = self.report
        if report.interrupted:
            click.echo("background backfill stopped; the next `jkwatch run` resumes it", err=True)
            return
        if report.failed:
            click.echo(
                f"background backfill: {report.failed} windows failed; the next `jkwatch run` "
                "retries them",
                err=True,
            )
            return
        _set_state(self.app, f"done {self.since} {self.until}")
        click.echo(
            f"background backfill {self.since}..{self.until} finished: "
            f"{report.items_new} items new",
            err=True,
        )


def first_start(
    app: AppContext, days: int, source: str, endpoint: str | None, delay: float | None = None
) -> FirstStartBackfill | None:
    """Say how to backfill (days == 0) or start the first-start backfill when it is due."""
    from jkwatch.cli.backfill_commands import check_endpoint
    from jkwatch.db.entities import has_items
    from jkwatch.db.themes import get_meta

    base = check_endpoint(endpoint, source, "--backfill-endpoint")
    today = utcnow().date()
    with app.sessions()() as session:
        empty = not has_items(session)
        state = get_meta(session, META_KEY)
    if days == 0:
        if empty:
            click.echo(offer_line(today))
        return None
    if state is not None and state.startswith("done"):
        return None
    if state is None and not empty:
        return None  # not a first start: `jkwatch backfill` is there for history
    since, until = _range(state) or (today - timedelta(days=days), today)
    backfill = _build(app, since, until, source, base, delay)
    _set_state(app, f"pending {since} {until}")
    click.echo(f"backfilling {since}..{until} in the background (stops with jkwatch run)")
    backfill.start()
    return backfill


def _range(state: str | None) -> tuple[date, date] | None:
    if not state or not state.startswith("pending "):
        return None
    try:
        _, first, last = state.split()
        return date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        return None


def _set_state(app: AppContext, value: str) -> None:
    from jkwatch.db.themes import set_meta

    with app.sessions().begin() as session:
        set_meta(session, META_KEY, value)


def _build(
    app: AppContext,
    since: date,
    until: date,
    source: str,
    base: str | None,
    delay: float | None,
) -> FirstStartBackfill:
    from jkwatch.cli.backfill_commands import LANGS, plan_jobs
    from jkwatch.cli.ingest_commands import _tagger
    from jkwatch.ingest.backfill.runner import BackfillRunner
    from jkwatch.ingest.pipeline import Pipeline

    tagger = _tagger()
    jobs, clients = plan_jobs(tagger.taxonomy, source, base, LANGS, (), delay)
    runner = BackfillRunner(Pipeline(app.sessions(), tagger=tagger), clients)
    return FirstStartBackfill(app, since, until, runner, jobs, clients)
