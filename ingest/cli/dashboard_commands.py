"""``jkwatch dashboard`` (placeholder until the dashboard issue lands)."""

from __future__ import annotations

import click

from ingest.cli.pending import not_yet


@click.command("dashboard")
def dashboard_command() -> None:
    """Start the Streamlit dashboard."""
    not_yet("dashboard", 6)
