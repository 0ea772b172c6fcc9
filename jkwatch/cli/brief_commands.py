"""``jkwatch brief``: the brief of a date range (top stories, movers, spikes) as Markdown,
HTML or JSON (the JSON shape is the contract documented in the README).

Reads only: the database is opened read-only and never created or migrated. Dates are UTC
days, both ends inclusive; by default the last 7 full days, ending yesterday (by
``jkwatch.clock``). Every bad input (dates, themes, languages, ``--top``, a database that does
not exist) is a one-line error with exit code 2.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import click

from jkwatch import clock
from jkwatch.brief_render import FORMATS, render
from jkwatch.cli.context import AppContext
from jkwatch.cli.errors import UserError
from jkwatch.cli.theme_option import theme_labels
from jkwatch.db.brief import build_brief

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_DAYS = 7
LANGUAGES = ("en", "ja", "ko")


def default_range(
    today: date, since: date | None, until: date | None, days: int = DEFAULT_DAYS
) -> tuple[date, date]:
    """The range asked for: missing ends fill in as the last ``days`` full days ending
    yesterday (7 for the brief)."""
    if until is None:
        until = today - timedelta(days=1)
    if since is None:
        since = until - timedelta(days=days - 1)
    return since, until


def day_of(value: datetime | None) -> date | None:
    """A ``click.DateTime`` value as a date (the commands take UTC days)."""
    return value.date() if value is not None else None


def range_options(days: int) -> Callable[[F], F]:
    """``--since`` and ``--until`` as UTC days, for a command whose default range is the last
    ``days`` full days (see ``default_range``)."""

    def decorate(command: F) -> F:
        command = click.option(
            "--until",
            type=click.DateTime(formats=["%Y-%m-%d"]),
            metavar="DATE",
            help="Last UTC day, included (YYYY-MM-DD). Default: yesterday.",
        )(command)
        return click.option(
            "--since",
            type=click.DateTime(formats=["%Y-%m-%d"]),
            metavar="DATE",
            help=f"First UTC day (YYYY-MM-DD). Default: {days - 1} days before --until.",
        )(command)

    return decorate


@click.command("brief")
@range_options(DEFAULT_DAYS)
@click.option(
    "--theme",
    "themes",
    multiple=True,
    metavar="ID",
    help="Only items carrying this theme (repeatable).",
)
@click.option(
    "--lang",
    "languages",
    multiple=True,
    type=click.Choice(LANGUAGES),
    help="Only items in this language (repeatable).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Number of stories and movers.",
)
@click.pass_obj
def brief_command(
    app: AppContext,
    since: datetime | None,
    until: datetime | None,
    themes: tuple[str, ...],
    languages: tuple[str, ...],
    fmt: str,
    top: int,
) -> None:
    """The brief of a range: top stories, the themes that moved, and every spike (relevant items)."""
    first, last = default_range(clock.utcnow().date(), day_of(since), day_of(until))
    if first > last:
        raise UserError(f"--since {first} is after --until {last}")
    sessions = app.read_only_sessions()
    with sessions() as session:
        labels = theme_labels(session, themes)
        brief = build_brief(
            session,
            first,
            last,
            themes=tuple(dict.fromkeys(themes)),
            languages=tuple(dict.fromkeys(languages)),
            top=top,
        )
    click.echo(render(brief, fmt, labels), nl=False)
