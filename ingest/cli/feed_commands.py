"""``jkwatch feeds ...`` (placeholder until the ingest issue lands)."""

from __future__ import annotations

import click

from ingest.cli.pending import not_yet


@click.group("feeds")
def feeds_group() -> None:
    """List, add and remove feeds."""


@feeds_group.command("list")
def list_command() -> None:
    """List feeds with their health."""
    not_yet("feeds list", 3)


@feeds_group.command("add")
@click.argument("url")
def add_command(url: str) -> None:
    """Add a feed by feed URL or web page URL."""
    not_yet("feeds add", 3)


@feeds_group.command("remove")
@click.argument("url")
def remove_command(url: str) -> None:
    """Remove a feed and its items."""
    not_yet("feeds remove", 3)
