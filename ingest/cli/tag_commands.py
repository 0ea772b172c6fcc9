"""Placeholder; the tagging work replaces this file."""

from __future__ import annotations

import click

from ingest.cli.pending import not_yet


@click.command("tag")
def tag_command() -> None:
    """Tag JSON Lines from stdin."""
    not_yet("tag", 4)


@click.command("eval")
@click.argument("file")
def eval_command(file: str) -> None:
    """Evaluate the tagger on a labelled file."""
    not_yet("eval", 4)
