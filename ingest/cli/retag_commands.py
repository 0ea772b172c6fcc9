"""``jkwatch retag`` (placeholder until the tagging issue lands)."""

from __future__ import annotations

import click

from ingest.cli.pending import not_yet


@click.command("retag")
def retag_command() -> None:
    """Re-tag every stored item after the taxonomy changes."""
    not_yet("retag", 4)
