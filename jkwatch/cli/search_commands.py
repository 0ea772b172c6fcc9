"""``jkwatch search``: stored items matching a query, newest first, in the export's row shape.

A query naming an entity of the gazetteer (``config/entities.toml``) finds the items naming it
in any language (``db.entity_search``): ``jkwatch search 독도`` lists the items that say 竹島 or
Dokdo too. ``--exact`` matches the words as typed (full text only). Reads only: the database is
opened read-only and never created or migrated (a missing one is a one-line error, exit 2).
"""

from __future__ import annotations

import json
import sys

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from jkwatch.cli.context import AppContext
from jkwatch.cli.errors import UserError
from jkwatch.cli.ingest_commands import export_values
from jkwatch.cli.terminal import clean, table
from jkwatch.db.entity_search import Expansion, expand
from jkwatch.db.export import item_rows
from jkwatch.db.item_lists import MAX_PAGE_SIZE
from jkwatch.db.query_filters import RELEVANT_BUCKET, Filters
from jkwatch.db.search import iter_matches, search_items
from jkwatch.entities import Gazetteer
from jkwatch.errors import first_line
from jkwatch.model import ItemRow

DEFAULT_LIMIT = 50
MAX_LIMIT = 10_000
FORMATS = ("jsonl", "table")


def _gazetteer() -> Gazetteer:
    from jkwatch.entities import EntitiesError, default_gazetteer

    try:
        return default_gazetteer()
    except EntitiesError as exc:
        raise UserError(f"entities: {exc}") from None


def find(
    session: Session, query: str, filters: Filters, limit: int, expansion: Expansion | None
) -> list[ItemRow]:
    """The newest ``limit`` matches as export rows.

    Up to a page (``MAX_PAGE_SIZE``) it is the dashboard's search (a common word or entity
    walks the newest items and stops); more is read in chunks (``iter_matches``).
    """
    if limit <= MAX_PAGE_SIZE:
        ids = [hit.id for hit in search_items(session, query, filters, 1, limit, expansion).items]
    else:
        ids = []
        for chunk in iter_matches(session, query, filters, min(limit, 1_000), expansion):
            ids.extend(hit.id for hit in chunk[: limit - len(ids)])
            if len(ids) >= limit:
                break
    return item_rows(session, ids)


def _table(rows: list[ItemRow]) -> str:
    lines = [["published (UTC)", "lang", "rel", "source", "title"]]
    for row in rows:
        lines.append(
            [
                row.published_at.strftime("%Y-%m-%d %H:%M"),
                row.language,
                "yes" if row.relevant else "no",
                clean(row.feed_name, 24),
                clean(row.title, 80),
            ]
        )
    return table(lines)


def _expansion_note(expansion: Expansion) -> str:
    also = ", ".join(clean(name) for name in expansion.other_names())
    rest = f" AND the words “{clean(expansion.rest)}”" if expansion.rest else ""
    return f"{clean(expansion.label)}: also {also}{rest}" if also else clean(expansion.label)


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


@click.command("search")
@click.argument("words", nargs=-1, required=True, metavar="QUERY")
@click.option(
    "--exact",
    is_flag=True,
    help="Match the words as typed (full text only): no expansion of an entity's names.",
)
@click.option("--relevant-only", is_flag=True, help="Only items judged relevant.")
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_LIMIT),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="At most this many items, the newest.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="jsonl: the fields of `jkwatch export`, one item a line; table: for reading. "
    "Default: table on a terminal, jsonl otherwise.",
)
@click.pass_obj
def search_command(
    app: AppContext,
    words: tuple[str, ...],
    exact: bool,
    relevant_only: bool,
    limit: int,
    fmt: str | None,
) -> None:
    """Items matching QUERY, newest first; a name of an entity finds it in every language."""
    query = " ".join(" ".join(words).split())
    if not query:
        raise UserError("the query is empty: give a word or a name to search for")
    sessions = app.read_only_sessions()
    expansion = None if exact else expand(query, _gazetteer())
    filters = Filters(min_bucket=RELEVANT_BUCKET if relevant_only else 0)
    try:
        with sessions() as session:
            rows = find(session, query, filters, limit, expansion)
    except SQLAlchemyError as exc:
        raise UserError(
            f"database error: {first_line(getattr(exc, 'orig', None) or exc)}"
        ) from None
    fmt = fmt or ("table" if _stdout_is_terminal() else "jsonl")
    try:
        if fmt == "table":
            if expansion is not None:
                click.echo(_expansion_note(expansion))
            click.echo(_table(rows) if rows else "No items match.")
        else:
            for row in rows:
                sys.stdout.write(json.dumps(export_values(row), ensure_ascii=False) + "\n")
    except BrokenPipeError:  # `jkwatch search ... | head` is normal use
        sys.stderr.close()
