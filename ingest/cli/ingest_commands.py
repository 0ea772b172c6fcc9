"""``jkwatch ingest``, ``import`` and ``export`` (placeholder until the ingest issue lands)."""

from __future__ import annotations

import click

from ingest.cli.pending import not_yet


@click.command("ingest")
def ingest_command() -> None:
    """Fetch due feeds once and store new items."""
    not_yet("ingest", 3)


@click.command("import")
@click.argument("path_or_url")
def import_command(path_or_url: str) -> None:
    """Import a standalone article or essay."""
    not_yet("import", 3)


@click.command("export")
def export_command() -> None:
    """Write stored items as JSON Lines or CSV."""
    not_yet("export", 3)
