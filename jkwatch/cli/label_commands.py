"""``jkwatch label`` and ``jkwatch labels export``: analyst corrections from the command line.

``label`` marks an item relevant or irrelevant and adds or removes themes; the correction is
kept apart from the tagger's output and re-applied after every tag and retag (see
``jkwatch.corrections``). ``labels export`` writes the corrected items as a labelled JSON
Lines set that ``jkwatch eval`` reads.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import TextIO

import click
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.cli.context import AppContext
from jkwatch.cli.errors import UserError
from jkwatch.cli.terminal import clean
from jkwatch.cli.usage import OneLineGroup
from jkwatch.corrections import ANALYST_LIMIT, LabelChange, Tags

ANALYST_ENV = "JKWATCH_ANALYST"


def default_analyst() -> str:
    """``$JKWATCH_ANALYST``, else the OS user name."""
    name = os.environ.get(ANALYST_ENV, "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment
        return "unknown"


def _summary(tags: Tags, corrected: bool) -> str:
    themes = ", ".join(theme.theme_id for theme in tags.themes) or "none"
    state = "relevant" if tags.relevant else "not relevant"
    suffix = "" if corrected else " (no correction: the tagger's output)"
    return f"{state} (relevance {tags.relevance:.2f}); themes: {themes}{suffix}"


@click.command("label")
@click.argument("item_id", type=click.IntRange(min=1))
@click.option(
    "--relevant",
    type=click.Choice(["yes", "no"]),
    help="Mark the item relevant (yes) or irrelevant (no), whatever the tagger says.",
)
@click.option("--add", "add", multiple=True, metavar="THEME", help="Give the item this theme.")
@click.option(
    "--remove", "remove", multiple=True, metavar="THEME", help="Take this theme away from it."
)
@click.option("--note", help="Why (kept with the correction and in its log).")
@click.option("--by", "by", help=f"Analyst name. Default: ${ANALYST_ENV}, else the OS user.")
@click.option("--reset", is_flag=True, help="Drop the item's correction: the tagger decides again.")
@click.pass_context
def label_command(
    ctx: click.Context,
    item_id: int,
    relevant: str | None,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    note: str | None,
    by: str | None,
    reset: bool,
) -> None:
    """Correct the tags of item ITEM_ID (the 'id' of 'jkwatch export').

    Labelling again merges: the latest word on each theme and on relevance wins. The
    correction survives 'jkwatch retag' and later ingests of the same item.
    """
    from jkwatch.db.labels import LabelError, label_item, reset_item

    analyst = (by if by is not None else default_analyst()).strip()
    if not analyst:
        raise click.BadParameter("must not be empty", param_hint="'--by'")
    if len(analyst) > ANALYST_LIMIT:
        raise click.BadParameter(f"longer than {ANALYST_LIMIT} characters", param_hint="'--by'")
    change = LabelChange(
        analyst=analyst,
        relevant=None if relevant is None else relevant == "yes",
        add=tuple(dict.fromkeys(add)),
        remove=tuple(dict.fromkeys(remove)),
        note=note,
    )
    if reset and not (change.empty and note is None):
        raise click.UsageError("--reset cannot be combined with other changes")
    if not reset and change.empty:
        raise click.UsageError("nothing to change (give --relevant, --add, --remove or --reset)")
    app: AppContext = ctx.obj
    try:
        with app.sessions().begin() as session:
            if reset:
                result = reset_item(session, item_id, analyst)
            else:
                result = label_item(session, item_id, change)
    except LabelError as exc:
        hint = "'ITEM_ID'" if exc.about == "item" else "'--add' / '--remove'"
        raise click.BadParameter(str(exc), param_hint=hint) from None
    verb = "reset" if reset else "labelled"
    click.echo(
        f"item {item_id} {verb}: {clean(_summary(result.tags, result.correction is not None))}"
    )


@click.group("labels", cls=OneLineGroup)
def labels_group() -> None:
    """Analyst labels: export the corrected items as a labelled set."""


@labels_group.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, writable=True),
    help="Write to this file instead of stdout.",
)
@click.pass_obj
def labels_export_command(app: AppContext, output: Path | None) -> None:
    """Print the corrected items as JSON Lines for 'jkwatch eval'.

    \b
    One line per corrected item: {"id", "url", "title", "summary", "lang",
    "relevant", "themes"}, with the final labels (tagger output plus corrections).
    """
    sessions = app.read_only_sessions()  # before the output file: no database, no file
    if output is None:
        try:
            _write_labels(sessions, sys.stdout)
        except BrokenPipeError:  # `jkwatch labels export | head` is normal use
            sys.stderr.close()
        return
    try:
        with output.open("w", encoding="utf-8") as out:
            count = _write_labels(sessions, out)
    except OSError as exc:
        raise UserError(f"cannot write {clean(str(output))}: {exc.strerror or exc}") from None
    click.echo(f"wrote {count} labelled items to {clean(str(output))}", err=True)


def _write_labels(sessions: sessionmaker[Session], out: TextIO) -> int:
    from jkwatch.db.labels import labelled_items

    count = 0
    with sessions() as session:
        for row in labelled_items(session):
            out.write(json.dumps(row.to_json(), ensure_ascii=False) + "\n")
            count += 1
    return count
