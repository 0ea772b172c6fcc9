"""Tagger results as storage values, and the taxonomy's themes copied into the database.

Shared by the pipeline (new items) and ``retag`` (stored items) so both store exactly the
same shape of theme rows and evidence.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from jkwatch.db.themes import ThemeInfo, sync_themes
from jkwatch.ingest.tagging import TagResult, Taxonomy
from jkwatch.model import ThemeIn


def theme_ins(result: TagResult) -> tuple[ThemeIn, ...]:
    """The tagger's themes as storage values (evidence as plain ``{term, field, count}`` dicts)."""
    return tuple(
        ThemeIn(
            theme_id=theme.theme_id,
            score=theme.score,
            evidence=tuple(evidence.to_json() for evidence in theme.evidence),
        )
        for theme in result.themes
    )


def sync_taxonomy(session: Session, taxonomy: Taxonomy) -> None:
    """Copy theme ids, labels and descriptions into the database (item_themes refers to them)."""
    sync_themes(
        session,
        [
            ThemeInfo(theme.id, theme.label, theme.description, position)
            for position, theme in enumerate(taxonomy.themes)
        ],
    )
