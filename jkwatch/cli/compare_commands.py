"""``jkwatch compare``: the Japan–Korea comparison of a date range as JSON (the contract
documented in the README), CSV (one row per theme) or Markdown tables.

Reads only: the database is opened read-only and never created or migrated (a missing one is a
one-line error with exit code 2). Dates are UTC days, both ends inclusive; by default the last
30 full days, ending yesterday (by ``jkwatch.clock``). Dates and their handling are the
brief's (``jkwatch.cli.brief_commands``).
"""

from __future__ import annotations

from datetime import datetime

import click

from jkwatch import clock
from jkwatch.cli.brief_commands import day_of, default_range, range_options
from jkwatch.cli.context import AppContext
from jkwatch.cli.errors import UserError
from jkwatch.compare_render import FORMATS, render
from jkwatch.db.compare import TOP_STORIES, compare
from jkwatch.entities import entity_labels

DEFAULT_DAYS = 30


@click.command("compare")
@range_options(DEFAULT_DAYS)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=TOP_STORIES,
    show_default=True,
    help="One-sided stories per side.",
)
@click.pass_obj
def compare_command(
    app: AppContext, since: datetime | None, until: datetime | None, fmt: str, top: int
) -> None:
    """Japan vs Korea: each theme's share of each press's relevant coverage, the gap and its
    change, one-sided stories and the entities each side names most."""
    first, last = default_range(clock.utcnow().date(), day_of(since), day_of(until), DEFAULT_DAYS)
    if first > last:
        raise UserError(f"--since {first} is after --until {last}")
    sessions = app.read_only_sessions()
    with sessions() as session:
        result = compare(session, first, last, top_stories=top)
    click.echo(render(result, fmt, entity_labels()), nl=False)
