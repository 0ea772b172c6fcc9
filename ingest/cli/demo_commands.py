"""``jkwatch demo`` (placeholder until the demo issue lands)."""

from __future__ import annotations

import click

from ingest.cli.pending import not_yet


@click.command("demo")
def demo_command() -> None:
    """Offline demo on synthetic data."""
    not_yet("demo", 7)
