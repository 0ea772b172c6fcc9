"""``jkwatch entities ...``: check the gazetteer, see what a text names, re-match stored items.

``check`` validates the entities file and prints its size per type (exit 2 with the
file, the entity and the field on an error); ``match`` shows which entities a headline names
and by which names, so an analyst can try an edit before re-matching; ``rematch`` refreshes
the stored items' entities after the gazetteer changed (``db upgrade`` does it by itself).
"""

from __future__ import annotations

from collections import Counter

import click

from jkwatch.cli.context import AppContext
from jkwatch.cli.errors import UserError
from jkwatch.cli.terminal import clean, table
from jkwatch.cli.usage import OneLineGroup
from jkwatch.entities import ENTITY_TYPES, EntitiesError, Gazetteer, entities_path, load_gazetteer


def _gazetteer() -> Gazetteer:
    try:
        return load_gazetteer()
    except EntitiesError as exc:
        raise UserError(str(exc)) from None


@click.group("entities", cls=OneLineGroup)
def entities_group() -> None:
    """The gazetteer of people, places, weapons and agreements (check, match, rematch)."""


@entities_group.command("check")
def check_command() -> None:
    """Validate the entities file and count its entities per type."""
    gazetteer = _gazetteer()
    counts = Counter(entity.type for entity in gazetteer.entities)
    names = sum(len(entity.all_names()) for entity in gazetteer.entities)
    click.echo(f"{entities_path()}: {len(gazetteer)} entities, {names} names")
    click.echo(", ".join(f"{kind} {counts[kind]}" for kind in ENTITY_TYPES if counts[kind]))


@entities_group.command("match")
@click.argument("text")
@click.option(
    "--lang",
    type=click.Choice(["en", "ja", "ko"]),
    default=None,
    help="Language of TEXT (default: detected).",
)
def match_command(text: str, lang: str | None) -> None:
    """Show the entities TEXT names and the names that matched."""
    from jkwatch.ingest.entities import EntityMatcher
    from jkwatch.ingest.language import entry_language

    gazetteer = _gazetteer()
    language = lang or entry_language(None, text, "")
    matches = EntityMatcher(gazetteer).match(text, "", language)
    if not matches:
        click.echo(f"no entities ({language})")
        return
    rows = [["entity", "type", "label", "matched"]]
    for match in matches:
        entity = gazetteer.get(match.entity_id)
        assert entity is not None
        rows.append(
            [entity.id, entity.type, clean(entity.label, 40), clean(", ".join(match.names))]
        )
    click.echo(table(rows))


@entities_group.command("rematch")
@click.pass_obj
def rematch_command(app: AppContext) -> None:
    """Match every stored item against the gazetteer again (safe to rerun)."""
    from jkwatch.ingest.entities import EntityMatcher
    from jkwatch.ingest.entity_refresh import rematch_entities

    matcher = EntityMatcher(_gazetteer())
    app.existing_engine()
    report = rematch_entities(app.sessions(), matcher)
    click.echo(
        f"re-matched {report.items} items ({report.with_entities} name an entity) "
        f"in {report.seconds:.1f} s"
    )
