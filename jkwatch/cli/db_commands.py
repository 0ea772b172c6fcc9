"""``jkwatch db ...``: schema management."""

from __future__ import annotations

import click

from jkwatch.cli.context import AppContext
from jkwatch.cli.usage import OneLineGroup
from jkwatch.db.engine import describe_url
from jkwatch.db.migrate import current_revision, head_revision


@click.group("db", cls=OneLineGroup)
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
@click.pass_obj
def upgrade_command(app: AppContext) -> None:
    """Create or upgrade the schema to this version of jkwatch (safe to rerun).

    Every command that needs the database does this by itself; run it explicitly to
    prepare a PostgreSQL database before starting workers.
    """
    engine = app.engine(migrate=True)
    click.echo(
        f"database {describe_url(app.database_url)} is at revision {current_revision(engine)}"
    )


@db_group.command("status")
@click.pass_obj
def status_command(app: AppContext) -> None:
    """Show the database URL and whether its schema is current (never creates or upgrades it)."""
    engine = app.existing_engine()
    current = current_revision(engine)
    head = head_revision()
    state = "up to date" if current == head else f"needs upgrade to {head}"
    click.echo(
        f"database: {describe_url(app.database_url)}\nrevision: {current or 'empty'} ({state})"
    )
