"""``jkwatch retag``: re-tag every stored item after editing the taxonomy."""

from __future__ import annotations

from pathlib import Path

import click

from jkwatch.cli.context import AppContext
from jkwatch.cli.errors import UserError
from jkwatch.db import items as item_store
from jkwatch.ingest.retag import DEFAULT_BATCH_SIZE, retag_all
from jkwatch.ingest.tagging import TaxonomyError, load_taxonomy


@click.command("retag")
@click.option(
    "--themes",
    "themes_path",
    type=click.Path(path_type=Path),
    help="Taxonomy file (default: config/themes.toml or $JKWATCH_THEMES).",
)
@click.option(
    "--batch-size",
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    type=click.IntRange(100, 100_000),
    help="Items per transaction.",
)
@click.option(
    "--only-stale",
    is_flag=True,
    help="Skip items already tagged with this taxonomy (resume an interrupted run).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_obj
def retag_command(
    app: AppContext, themes_path: Path | None, batch_size: int, only_stale: bool, quiet: bool
) -> None:
    """Re-tag every stored item with the current taxonomy, in batches.

    Each batch is one transaction: an interrupted retag leaves each item with either its
    old or its new tags, and the trend rollups stay exact. Rerun with --only-stale to finish.
    """
    try:
        taxonomy = load_taxonomy(themes_path)
    except TaxonomyError as exc:
        raise UserError(str(exc)) from exc
    sessions = app.sessions()
    with sessions.begin() as session:
        total = item_store.count_items(session)
    with click.progressbar(length=total, label="retagging", hidden=quiet) as bar:
        report = retag_all(
            sessions, taxonomy, batch_size=batch_size, only_stale=only_stale, progress=bar.update
        )
    click.echo(
        f"retagged {report.items} items in {report.seconds:.1f} s "
        f"({report.items_per_second:,.0f} items/s; {report.changed} changed)"
    )
