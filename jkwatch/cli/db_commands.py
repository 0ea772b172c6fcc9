"""``jkwatch db ...``: schema management."""

from __future__ import annotations

import click

from jkwatch.cli.context import AppContext
from jkwatch.cli.usage import OneLineGroup
from jkwatch.db.engine import describe_url
from jkwatch.db.entities import note_gazetteer
from jkwatch.db.migrate import current_revision, head_revision


@click.group("db", cls=OneLineGroup)
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
@click.option(
    "--no-stories",
    is_flag=True,
    help="Do not cluster the stored items into stories now (run 'jkwatch stories rebuild').",
)
@click.pass_obj
def upgrade_command(app: AppContext, no_stories: bool) -> None:
    """Create or upgrade the schema to this version of jkwatch (safe to rerun).

    Every command that needs the database does this by itself; run it explicitly to
    prepare a PostgreSQL database before starting workers. A database upgraded from before
    stories gets its stories here (the same as 'jkwatch stories rebuild'), and items matched
    against another gazetteer (or none) get their entities (the same as 'jkwatch entities
    rematch').
    """
    from jkwatch.db.stories.inputs import needs_clustering
    from jkwatch.ingest.entities import default_matcher
    from jkwatch.ingest.entity_refresh import needs_rematch, rematch_entities

    engine = app.engine(migrate=True)
    click.echo(
        f"database {describe_url(app.database_url)} is at revision {current_revision(engine)}"
    )
    matcher = default_matcher()
    with app.sessions()() as session:
        rematch = needs_rematch(session, matcher)
    if rematch:
        click.echo("matching the stored items against the gazetteer (rerun safe)...")
        found = rematch_entities(app.sessions(), matcher)
        click.echo(f"entities: {found.items} items matched, {found.with_entities} name one")
    else:  # an empty database takes the current gazetteer (a no-op when it already has it)
        with app.sessions().begin() as session:
            note_gazetteer(session, matcher.gazetteer.fingerprint)
    with app.sessions()() as session:
        pending = needs_clustering(session)
    if not pending:
        return
    if no_stories:
        click.echo("stored items have no stories yet: run 'jkwatch stories rebuild'")
        return
    from jkwatch.ingest.story_builder import StoryBuilder

    click.echo("clustering the stored items into stories (once; rerun safe)...")
    report = StoryBuilder().rebuild(app.sessions())
    click.echo(f"stories: {report.items} items clustered")


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
