"""``jkwatch schedule``, ``run`` and ``status`` (placeholder until the scheduler issue lands)."""

from __future__ import annotations

import click

from ingest.cli.pending import not_yet


@click.command("schedule")
def schedule_command() -> None:
    """Run the persistent scheduler."""
    not_yet("schedule", 5)


@click.command("run")
def run_command() -> None:
    """Start scheduler and dashboard together."""
    not_yet("run", 5)


@click.command("status")
def status_command() -> None:
    """Per-feed schedule and health."""
    not_yet("status", 5)
