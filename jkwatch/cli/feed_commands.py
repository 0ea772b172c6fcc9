"""``jkwatch feeds ...``: list feeds with their health, add (with discovery), remove,
enable/disable, OPML import/export, and seeding the default list.

Library errors (bad URL, no feed found, unknown feed, bad OPML) become one-line
``error: ...`` messages with exit code 2 here. Feed names and titles come from the web, so
they pass through ``jkwatch.cli.terminal.clean`` before reaching the terminal; the listing is
the shared feed-health renderer (``jkwatch.cli.health``), the same as ``jkwatch status``.
"""

from __future__ import annotations

from pathlib import Path

import click

from jkwatch.cli import health
from jkwatch.cli.context import AppContext
from jkwatch.cli.errors import fail
from jkwatch.cli.terminal import clean
from jkwatch.cli.usage import OneLineGroup
from jkwatch.countries import COUNTRIES
from jkwatch.db import feeds as feed_store
from jkwatch.ingest.discovery import DiscoveryError, discover_feed
from jkwatch.ingest.feedlist import (
    FeedListError,
    default_feeds_path,
    load_feed_list,
    seed_feeds,
)
from jkwatch.ingest.fetch import InvalidURL, check_url
from jkwatch.ingest.opml import OPMLError, OPMLFeed, read_outlines, to_opml
from jkwatch.model import FeedRecord, FeedSpec

KIND_CHOICE = click.Choice(["general", "topic"])
COUNTRY_CHOICE = click.Choice(COUNTRIES, case_sensitive=False)


@click.group("feeds", cls=OneLineGroup)
def feeds_group() -> None:
    """List, add, remove and move feeds (OPML)."""


@feeds_group.command("list")
@health.json_option
@click.pass_obj
def list_command(app: AppContext, as_json: bool) -> None:
    """List feeds with their health (times in UTC)."""
    hint = "no feeds yet: add one with `jkwatch feeds add URL` or `jkwatch feeds seed`"
    health.show(app, as_json, health.listing, hint)


@feeds_group.command("add")
@click.argument("url")
@click.option("--name", help="Display name (default: the feed's title).")
@click.option("--language", help="Declared language code, e.g. en, ja, ko.")
@click.option("--kind", type=KIND_CHOICE, default="general", show_default=True)
@click.option("--min-interval", type=click.IntRange(min=1), metavar="MINUTES")
@click.option(
    "--country",
    type=COUNTRY_CHOICE,
    help="Country of publication (default: from the host's .jp/.kr domain, else other).",
)
@click.option(
    "--no-discover", is_flag=True, help="Store the URL as given, without fetching it first."
)
@click.pass_obj
def add_command(
    app: AppContext,
    url: str,
    name: str | None,
    language: str | None,
    kind: str,
    min_interval: int | None,
    country: str | None,
    no_discover: bool,
) -> None:
    """Add a feed by feed URL or web page URL (the page's feed links are followed)."""
    try:
        url = check_url(url)
    except InvalidURL as exc:
        fail(str(exc))
    title = found_language = via = None
    if not no_discover:
        try:
            found = discover_feed(url)
        except DiscoveryError as exc:
            fail(f"{exc} (use --no-discover to add it anyway)")
        url, title, found_language, via = found.url, found.title, found.language, found.via_page
    spec = FeedSpec(
        url=url,
        name=name or (clean(title, 200) or None),
        language=(language or found_language or None),
        kind=kind,
        min_interval_s=min_interval * 60 if min_interval else None,
        country=country.lower() if country else None,
    )
    with app.sessions().begin() as session:
        record, created = feed_store.upsert_feed(session, spec)
    action = "added" if created else "updated"
    click.echo(
        f"{action} feed {record.id}: {clean(record.display_name)} <{record.url}> "
        f"(country: {record.country})"
    )
    if via:
        click.echo(f"(found through the page {via})")


def _store_call(app: AppContext, action: str, url_or_id: str) -> FeedRecord:
    with app.sessions().begin() as session:
        try:
            if action == "remove":
                return feed_store.remove_feed(session, url_or_id)
            return feed_store.set_enabled(
                session, url_or_id, action == "enable", reason="disabled by the user"
            )
        except feed_store.FeedNotFound as exc:
            fail(str(exc))
    raise AssertionError("unreachable")


@feeds_group.command("remove")
@click.argument("url_or_id")
@click.pass_obj
def remove_command(app: AppContext, url_or_id: str) -> None:
    """Remove a feed (by URL or id) with its items and fetch log."""
    record = _store_call(app, "remove", url_or_id)
    click.echo(f"removed feed {record.id}: {clean(record.display_name)} <{record.url}>")


@feeds_group.command("enable")
@click.argument("url_or_id")
@click.pass_obj
def enable_command(app: AppContext, url_or_id: str) -> None:
    """Enable a feed again (its error streak is reset and it is due at once)."""
    record = _store_call(app, "enable", url_or_id)
    click.echo(f"enabled feed {record.id}: {clean(record.display_name)}")


@feeds_group.command("disable")
@click.argument("url_or_id")
@click.pass_obj
def disable_command(app: AppContext, url_or_id: str) -> None:
    """Stop fetching a feed but keep it and its items."""
    record = _store_call(app, "disable", url_or_id)
    click.echo(f"disabled feed {record.id}: {clean(record.display_name)}")


@feeds_group.command("set-country")
@click.argument("url_or_id")
@click.argument("country", type=COUNTRY_CHOICE)
@click.pass_obj
def set_country_command(app: AppContext, url_or_id: str, country: str) -> None:
    """Set a stored feed's country of publication (jp, kr or other)."""
    with app.sessions().begin() as session:
        try:
            record = feed_store.set_country(session, url_or_id, country.lower())
        except feed_store.FeedNotFound as exc:
            fail(str(exc))
    click.echo(f"feed {record.id}: {clean(record.display_name)} country {record.country}")


@feeds_group.command("import-opml")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", type=KIND_CHOICE, default="general", show_default=True)
@click.pass_obj
def import_opml_command(app: AppContext, file: Path, kind: str) -> None:
    """Add the feeds of an OPML file (folders are flattened; known feeds are updated)."""
    try:
        outlines = read_outlines(file.read_bytes())
    except OSError as exc:
        fail(f"{file}: cannot read ({exc.strerror or exc})")
    except OPMLError as exc:
        fail(f"{file}: {exc}")
    specs: list[FeedSpec] = []
    for number, outline in enumerate(outlines, start=1):
        try:
            url = check_url(outline.url)
        except InvalidURL as exc:
            click.echo(f"warning: {file}: outline {number} skipped: {exc}", err=True)
            continue
        name = clean(outline.title, 200) or None
        specs.append(FeedSpec(url=url, name=name, language=outline.language, kind=kind))
    added = updated = 0
    with app.sessions().begin() as session:
        for spec in specs:
            _, created = feed_store.upsert_feed(session, spec)
            added += created
            updated += not created
    skipped = len(outlines) - len(specs)
    click.echo(f"imported {len(specs)} feeds from {file}: {added} new, {updated} updated", nl=False)
    click.echo(f", {skipped} skipped" if skipped else "")


@feeds_group.command("export-opml")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE instead of standard output.",
)
@click.pass_obj
def export_opml_command(app: AppContext, output: Path | None) -> None:
    """Write all feeds as OPML 2.0 (for other feed readers)."""
    with app.sessions().begin() as session:
        feeds = feed_store.list_feeds(session)
    document = to_opml(
        OPMLFeed(url=f.url, title=f.display_name, site_url=f.site_url, language=f.language)
        for f in feeds
    )
    if output is None:
        click.echo(document, nl=False)
        return
    try:
        output.write_text(document, encoding="utf-8")
    except OSError as exc:
        fail(f"{output}: cannot write ({exc.strerror or exc})")
    click.echo(f"wrote {len(feeds)} feeds to {output}", err=True)


@feeds_group.command("seed")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Feeds file to use (TOML or OPML). Default: $JKWATCH_FEEDS, else config/feeds.toml.",
)
@click.pass_obj
def seed_command(app: AppContext, path: Path | None) -> None:
    """Add the default feed list; feeds already present keep their settings, except the
    country, which follows the file when the file gives one."""
    path = path or default_feeds_path()
    try:
        specs = load_feed_list(path)
    except FeedListError as exc:
        fail(str(exc))
    with app.sessions().begin() as session:
        added, changed = seed_feeds(session, specs)
    click.echo(f"added {added} of {len(specs)} default feeds from {path}", nl=False)
    click.echo(f"; country updated for {changed}" if changed else "")
