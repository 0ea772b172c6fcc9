"""``jkwatch ingest``, ``import`` and ``export``: the command-line edge of the ingest pipeline.

Library errors (feed list, taxonomy, database) become one-line messages and exit code 2 here;
feed-level failures are part of a completed run and are reported, not fatal (exit 0).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.cli.context import AppContext
from jkwatch.cli.errors import UserError
from jkwatch.cli.terminal import clean
from jkwatch.cli.theme_option import theme_labels
from jkwatch.clock import utcnow
from jkwatch.csv_safe import LINE_TERMINATOR, escape_text
from jkwatch.errors import first_line
from jkwatch.model import EXPORT_ORIGINS, FeedRecord, ItemRow

if TYPE_CHECKING:
    from jkwatch.ingest.pipeline import FeedReport

EXPORT_KEYS = (
    "id",
    "feed",
    "url",
    "title",
    "summary",
    "published_at",
    "language",
    "story_id",
    "relevant",
    "relevance",
    "themes",
    "corrected",
    "country",
    "entities",
    "origin",
)


def _database_error(exc: SQLAlchemyError) -> UserError:
    return UserError(f"database error: {first_line(getattr(exc, 'orig', None) or exc)}")


def _tagger() -> Any:
    from jkwatch.ingest.tagging import TaxonomyError, configured_tagger

    try:
        return configured_tagger()
    except TaxonomyError as exc:
        raise UserError(f"taxonomy: {exc}") from None


def _feeds_from_file(app: AppContext, path: Path) -> list[FeedRecord]:
    from jkwatch.db.feeds import upsert_feed
    from jkwatch.ingest.feedlist import FeedListError, load_feed_list

    try:
        specs = load_feed_list(path)
    except FeedListError as exc:
        raise UserError(str(exc)) from None
    if not specs:
        raise UserError(f"{path}: lists no feeds")
    with app.sessions().begin() as session:
        return [upsert_feed(session, spec)[0] for spec in specs]


def _summary_line(report: FeedReport) -> str:
    if report.outcome == "error":
        detail = clean(report.error) or "failed"
    elif report.outcome in ("not_modified", "unchanged"):
        detail = "not modified" if report.outcome == "not_modified" else "unchanged"
    elif report.outcome == "gone":
        detail = "gone (disabled)"
    else:
        detail = f"{report.items_new} new, {report.items_updated} updated, {report.items_seen} seen"
    if report.warning and report.outcome == "ok":
        detail += f" (warning: {clean(report.warning)})"
    return f"{report.outcome.upper():<12} {clean(report.name)}: {detail}"


@click.command("ingest")
@click.option(
    "--feeds",
    "feeds_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Ingest exactly the feeds in this file (feeds.toml format or OPML), adding them.",
)
@click.option("--all", "all_feeds", is_flag=True, help="Refresh every enabled feed, due or not.")
@click.option("--once", is_flag=True, help="Run once and exit (the default; accepted for cron).")
@click.option(
    "--keep-fetch-log-days",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="Prune fetch-log entries older than this (at most hourly across all runs; 0: never).",
)
@click.pass_obj
def ingest_command(
    app: AppContext,
    feeds_file: Path | None,
    all_feeds: bool,
    once: bool,
    keep_fetch_log_days: int,
) -> None:
    """Fetch feeds once and store new items (due feeds by default)."""
    from jkwatch.db.feeds import due_feeds
    from jkwatch.ingest.pipeline import Pipeline

    del once  # one pass is all this command ever does
    tagger = _tagger()
    try:
        if feeds_file is not None:
            feeds = _feeds_from_file(app, feeds_file)
        else:
            with app.sessions()() as session:
                feeds = due_feeds(session, utcnow(), include_not_due=all_feeds)
        if not feeds:
            click.echo("no feeds due (use --all to refresh every enabled feed)")
            _prune(app, keep_fetch_log_days)
            return
        total = len(feeds)
        done = 0

        def progress(report: FeedReport) -> None:
            nonlocal done
            done += 1
            click.echo(
                f"[{done}/{total}] {clean(report.name)}: {report.outcome}, {report.items_new} new",
                err=True,
            )

        pipeline = Pipeline(app.sessions(), tagger=tagger)
        run = pipeline.refresh(feeds, on_feed=progress)
    except SQLAlchemyError as exc:
        raise _database_error(exc) from None
    order = {feed.id: position for position, feed in enumerate(feeds)}
    for report in sorted(run.feeds, key=lambda r: order.get(r.feed_id, 0)):
        click.echo(_summary_line(report))
    click.echo(
        f"{len(run.feeds)} feeds, {run.items_new} new items, {run.items_updated} updated, "
        f"{run.errors} errors in {run.duration_ms / 1000:.1f} s"
    )
    _prune(app, keep_fetch_log_days)


def _prune(app: AppContext, keep_days: int) -> None:
    """Cron users have no scheduler: each run does its housekeeping (once per hour overall)."""
    from jkwatch.ingest.scheduler import Cleanup, clean_up

    try:
        pruned = clean_up(app.sessions(), Cleanup(fetch_log_keep_days=keep_days), utcnow())
    except SQLAlchemyError as exc:
        click.echo(f"warning: could not prune the fetch log: {_database_error(exc)}", err=True)
        return
    if pruned:
        click.echo(f"pruned {pruned} fetch-log rows older than {keep_days} days")


def _parse_date(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option}: expected a date like 2026-11-02, got {value!r}") from None


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"--published: expected a date or time like 2026-11-02 or 2026-11-02T09:00Z, "
            f"got {value!r}"
        ) from None
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)


@click.command("import")
@click.argument("path_or_url")
@click.option("--title", help="Title to store (default: taken from the document).")
@click.option(
    "--published", help="Publication date or time (ISO 8601; default: from the document)."
)
@click.option(
    "--source", help="Source name the document is filed under (default: its host, or 'documents')."
)
@click.option("--language", help="Language code (default: detected).")
@click.option(
    "--country",
    type=click.Choice(("jp", "kr", "other"), case_sensitive=False),
    help="Country of publication of the source (default: as stored, else other).",
)
@click.pass_obj
def import_command(
    app: AppContext,
    path_or_url: str,
    title: str | None,
    published: str | None,
    source: str | None,
    language: str | None,
    country: str | None,
) -> None:
    """Import a standalone article or essay (text, Markdown or HTML file, or an http(s) URL)."""
    from jkwatch.db.feeds import ensure_import_feed
    from jkwatch.ingest.documents import DocumentError, document_entry, read_document
    from jkwatch.ingest.pipeline import Pipeline

    when = _parse_time(published)
    try:
        document = read_document(path_or_url)
    except DocumentError as exc:
        raise UserError(str(exc)) from None
    entry = document_entry(document, title=title, published=when, language=language)
    source = source or (urlsplit(document.url).hostname if document.url else None) or "documents"
    tagger = _tagger()
    try:
        with app.sessions().begin() as session:
            feed = ensure_import_feed(session, source, country.lower() if country else None)
        stored = Pipeline(app.sessions(), tagger=tagger).store_document(feed, entry)
    except SQLAlchemyError as exc:
        raise _database_error(exc) from None
    action = "imported" if stored.items_new else "updated" if stored.items_updated else "unchanged"
    item_id = (stored.new_ids or stored.updated_ids or (None,))[0]
    suffix = f" as item {item_id}" if item_id else ""
    click.echo(
        f"{action}: {clean(entry.title)}{suffix} "
        f"(source {clean(source)}, language {clean(entry.language)})"
    )


def export_values(row: ItemRow) -> dict[str, Any]:
    """An item as `jkwatch export` writes it (and `jkwatch search`: one row shape)."""
    return {
        "id": row.id,
        "feed": row.feed_url,
        "url": row.url,
        "title": row.title,
        "summary": row.summary,
        "published_at": row.published_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "language": row.language,
        "story_id": row.story_id,
        "relevant": row.relevant,
        "relevance": round(row.relevance, 4),
        "themes": list(row.themes),
        "corrected": row.corrected,
        "country": row.country,
        "entities": list(row.entities),
        "origin": row.origin,
    }


def csv_cell(value: Any) -> str:
    """One export value as CSV text; text that a spreadsheet would run is escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)  # numbers stay numbers, negative ones too
    return escape_text(";".join(value) if isinstance(value, list) else str(value))


def _iter_rows(sessions: sessionmaker[Session], filters: Any) -> Iterator[ItemRow]:
    from jkwatch.db.export import iter_items

    with sessions() as session:
        yield from iter_items(session, filters)


@click.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option("--since", help="Only items published on or after this UTC date (YYYY-MM-DD).")
@click.option("--until", help="Only items published on or before this UTC date (YYYY-MM-DD).")
@click.option("--theme", help="Only items with this theme id.")
@click.option("--relevant-only", is_flag=True, help="Only items judged relevant.")
@click.option(
    "--origin",
    type=click.Choice(EXPORT_ORIGINS),
    default="all",
    show_default=True,
    help="Only items from live feeds, from a backfill (any source) or from imports.",
)
@click.pass_obj
def export_command(
    app: AppContext,
    fmt: str,
    since: str | None,
    until: str | None,
    theme: str | None,
    relevant_only: bool,
    origin: str,
) -> None:
    """Write stored items to stdout as JSON Lines or CSV (streamed: flat memory)."""
    from jkwatch.db.export import ExportFilter

    filters = ExportFilter(
        since=_parse_date(since, "--since"),
        until=_parse_date(until, "--until"),
        theme=theme,
        relevant_only=relevant_only,
        origin=origin,
    )
    if filters.since and filters.until and filters.since > filters.until:
        raise UserError(
            f"--since {filters.since} is after --until {filters.until}: no day is in both"
        )
    sessions = app.read_only_sessions()
    out = sys.stdout
    try:
        if theme is not None:
            with sessions() as session:
                theme_labels(session, [theme])
        if fmt == "csv":
            writer = csv.writer(out, lineterminator=LINE_TERMINATOR)
            writer.writerow(EXPORT_KEYS)
            for row in _iter_rows(sessions, filters):
                values = export_values(row)
                writer.writerow([csv_cell(values[key]) for key in EXPORT_KEYS])
        else:
            for row in _iter_rows(sessions, filters):
                out.write(json.dumps(export_values(row), ensure_ascii=False) + "\n")
    except SQLAlchemyError as exc:
        raise _database_error(exc) from None
    except BrokenPipeError:  # `jkwatch export | head` is normal use
        sys.stderr.close()
