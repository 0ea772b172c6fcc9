"""The ``--theme`` check shared by read commands: an unknown id is a usage error, not an empty
result (a typo would otherwise look like a week without news)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from jkwatch.cli.errors import UserError
from jkwatch.cli.terminal import clean
from jkwatch.db.themes import list_themes


def theme_labels(session: Session, asked: Iterable[str] = ()) -> dict[str, str]:
    """``{theme id: label}`` of the stored themes; ``UserError`` naming any of ``asked`` that
    is not among them, with the known ids."""
    labels = {info.id: info.label for info in list_themes(session)}
    unknown = [theme for theme in dict.fromkeys(asked) if theme not in labels]
    if unknown:
        listed = ", ".join(sorted(labels)) if labels else "none yet: nothing was tagged"
        names = ", ".join(clean(repr(theme)) for theme in unknown)
        raise UserError(f"--theme: unknown theme {names} (known: {listed})")
    return labels
