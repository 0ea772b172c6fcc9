"""``jkwatch backfill``: past coverage from news search, stored through the live pipeline.

Exit codes: 0 every window settled; 1 some windows failed and are left for the next run (which
fetches only those); 2 a usage, configuration or database error; 130 stopped by Ctrl-C or
SIGTERM (between windows: nothing half-written, the next run resumes).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from types import FrameType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click
from sqlalchemy.exc import SQLAlchemyError

from jkwatch.cli.context import AppContext
from jkwatch.cli.errors import UserError
from jkwatch.cli.terminal import clean
from jkwatch.clock import utcnow
from jkwatch.errors import first_line

if TYPE_CHECKING:
    from jkwatch.ingest.backfill.polite import PoliteClient
    from jkwatch.ingest.backfill.runner import BackfillReport, Job, WindowEvent
    from jkwatch.ingest.backfill.source import Source
    from jkwatch.ingest.tagging import Taxonomy

EXIT_WINDOWS_FAILED = 1
EXIT_INTERRUPTED = 130
SOURCES = ("google-news", "gdelt")
LANGS = ("en", "ja", "ko")


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.UsageError(
            f"{option}: expected a date like 2026-01-31, got {value!r}"
        ) from None


def check_endpoint(value: str | None, source: str, option: str = "--endpoint") -> str | None:
    """``value`` as a base URL for ``source``, or a usage error naming ``option``."""
    if value is None:
        return None
    if source == "all":
        raise click.UsageError(
            f"{option} replaces one source's address: "
            f"give {option.replace('endpoint', 'source')} too"
        )
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise click.UsageError(f"{option}: not a valid URL: {value!r}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise click.UsageError(
            f"{option}: expected http://host:port or https://host, got {value!r}"
        )
    if parts.query or parts.fragment:
        raise click.UsageError(f"{option}: give scheme://host:port only (the path is added)")
    return value.strip().rstrip("/")


def _sources(source: str, endpoint: str | None) -> list[Source]:
    from jkwatch.ingest.backfill.gdelt import Gdelt
    from jkwatch.ingest.backfill.google_news import GoogleNews

    chosen: list[Source] = []
    if source in ("google-news", "all"):
        chosen.append(GoogleNews(endpoint) if endpoint else GoogleNews())
    if source in ("gdelt", "all"):
        chosen.append(Gdelt(endpoint, custom=True) if endpoint else Gdelt())
    return chosen


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C / SIGTERM set ``stop`` (the run ends after the window in hand); a second one
    interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        click.echo("stopping after the current window (again to abort)", err=True)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _event_line(event: WindowEvent) -> str:
    text = f"{event.source} {event.language} {event.window}: {event.status}"
    if event.status == "done":
        text += f", {event.items_seen} seen, {event.items_new} new"
    elif event.status == "split" and event.predicted:
        text += " ahead (the last window was this dense)"
    elif event.status == "split":
        text += f" ({event.items_seen} listed, the cap)"
    elif event.error:
        text += f": {clean(event.error)}"
    return text


def _print_report(report: BackfillReport) -> None:
    for name, r in report.sources.items():
        click.echo(
            f"{name}: {r.done} windows done, {r.split} split, {r.failed} failed, "
            f"{r.skipped} skipped; {r.items_seen} items seen, {r.items_new} new"
        )
        if r.capped_days:
            days = ", ".join(str(d) for d in sorted(set(r.capped_days))[:10])
            more = " ..." if len(set(r.capped_days)) > 10 else ""
            click.echo(
                f"{name}: {len(set(r.capped_days))} days still hit the cap (some items of those "
                f"days are missing): {days}{more}"
            )


def plan_jobs(
    taxonomy: Taxonomy,
    source: str,
    endpoint: str | None,
    languages: tuple[str, ...],
    texts: tuple[str, ...],
    delay: float | None,
) -> tuple[list[Job], dict[str, PoliteClient]]:
    """The jobs (one per source and query) and one polite client per source (each service's
    own default pace unless ``delay`` is given); shared with ``jkwatch run --backfill-days``."""
    from jkwatch.ingest.backfill.polite import PoliteClient, Politeness
    from jkwatch.ingest.backfill.queries import queries_for
    from jkwatch.ingest.backfill.runner import Job

    sources = _sources(source, endpoint)
    jobs = [
        Job(src, query)
        for src in sources
        for query in queries_for(taxonomy, src.name, languages, texts)
    ]
    clients = {
        src.name: PoliteClient(Politeness(delay_s=src.default_delay_s if delay is None else delay))
        for src in sources
    }
    return jobs, clients


@click.command("backfill")
@click.option("--since", required=True, help="First UTC day to collect (YYYY-MM-DD).")
@click.option("--until", help="Last UTC day to collect, inclusive (default: today).")
@click.option(
    "--source",
    type=click.Choice((*SOURCES, "all")),
    default="all",
    show_default=True,
    help="Which news-search service to ask.",
)
@click.option(
    "--lang",
    "langs",
    type=click.Choice(LANGS),
    multiple=True,
    help="Languages to collect (repeatable; default: en, ja and ko).",
)
@click.option(
    "--query",
    "queries",
    multiple=True,
    help="Search text replacing the default queries built from the taxonomy (repeatable).",
)
@click.option(
    "--endpoint",
    help="Base URL (scheme://host:port) replacing the --source service's (a mirror, a test "
    "server); the service's path is appended.",
)
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    help="Seconds between two requests to a service (default: 1 for Google News, 5 for GDELT, "
    "which asks for at most one request every 5 seconds; 0 for a local mirror).",
)
@click.pass_obj
def backfill_command(
    app: AppContext,
    since: str,
    until: str | None,
    source: str,
    langs: tuple[str, ...],
    queries: tuple[str, ...],
    endpoint: str | None,
    delay: float | None,
) -> None:
    """Collect past coverage from Google News search and GDELT, as if it had been ingested live.

    Windows already done are not fetched again: an interrupted backfill resumes, a finished one
    does nothing. Exit 1 when windows failed (rerun to retry only those).
    """
    from jkwatch.cli.ingest_commands import _tagger
    from jkwatch.ingest.backfill.runner import BackfillRunner
    from jkwatch.ingest.pipeline import Pipeline

    first = _day(since, "--since")
    today = utcnow().date()
    last = _day(until, "--until") or today
    assert first is not None
    if first > last:
        raise click.UsageError(f"--since {first} is after --until {last}: no day is in both")
    texts = tuple(q.strip() for q in queries)
    if any(not q for q in texts):
        raise click.UsageError("--query: the search text is empty")
    base = check_endpoint(endpoint, source)
    languages = tuple(dict.fromkeys(langs)) or LANGS
    tagger = _tagger()
    jobs, clients = plan_jobs(tagger.taxonomy, source, base, languages, texts, delay)
    stop = threading.Event()
    interactive = sys.stdout.isatty()
    try:
        pipeline = Pipeline(app.sessions(), tagger=tagger)
        bar: Any = None

        def on_window(event: WindowEvent) -> None:
            if event.top_level:
                if bar is not None:
                    bar.update(1)
                return
            if bar is None:
                click.echo(_event_line(event))

        runner = BackfillRunner(pipeline, clients, stop=stop, on_window=on_window)
        total = runner.total_windows(jobs, first, last)
        with _stop_on_signals(stop):
            if interactive:
                with click.progressbar(
                    length=total, label="backfill", show_eta=True, show_pos=True
                ) as bar:
                    report = runner.run(jobs, first, last)
            else:
                report = runner.run(jobs, first, last)
    except SQLAlchemyError as exc:
        raise UserError(
            f"database error: {first_line(getattr(exc, 'orig', None) or exc)}"
        ) from None
    finally:
        for client in clients.values():
            client.close()
    _print_report(report)
    ctx = click.get_current_context()
    if report.interrupted:
        click.echo("interrupted: rerun the same command to resume", err=True)
        ctx.exit(EXIT_INTERRUPTED)
    if report.failed:
        click.echo(
            f"{report.failed} windows failed; rerun the same command to retry only those",
            err=True,
        )
        ctx.exit(EXIT_WINDOWS_FAILED)
