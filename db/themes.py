"""The stored copy of the taxonomy's themes, and small key/value facts (``meta``).

``config/themes.toml`` is the single source of theme terms; ``ingest`` loads it and calls
``sync_themes`` so the dashboard can show labels and descriptions without importing
``ingest``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from jkwatch.db.models import Meta, Theme


@dataclass(frozen=True)
class ThemeInfo:
    id: str
    label: str
    description: str
    position: int


def sync_themes(session: Session, themes: Sequence[ThemeInfo]) -> None:
    """Make the ``themes`` table match the taxonomy (ids removed there lose their tags)."""
    wanted = {theme.id: theme for theme in themes}
    stored = {theme.id: theme for theme in session.scalars(select(Theme))}
    for theme_id, theme in wanted.items():
        row = stored.get(theme_id)
        if row is None:
            session.add(
                Theme(
                    id=theme_id,
                    label=theme.label,
                    description=theme.description,
                    position=theme.position,
                )
            )
        else:
            row.label, row.description, row.position = (
                theme.label,
                theme.description,
                theme.position,
            )
    gone = [theme_id for theme_id in stored if theme_id not in wanted]
    if gone:
        session.execute(delete(Theme).where(Theme.id.in_(gone)))
    session.flush()


def list_themes(session: Session) -> list[ThemeInfo]:
    rows = session.scalars(select(Theme).order_by(Theme.position, Theme.id))
    return [ThemeInfo(row.id, row.label, row.description, row.position) for row in rows]


def get_meta(session: Session, key: str) -> str | None:
    return session.scalar(select(Meta.value).where(Meta.key == key))


def set_meta(session: Session, key: str, value: str) -> None:
    row = session.get(Meta, key)
    if row is None:
        session.add(Meta(key=key, value=value))
    else:
        row.value = value
    session.flush()
