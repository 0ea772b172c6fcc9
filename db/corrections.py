"""Storage of analyst corrections: the merged row per item, the tagger output kept beside it,
and the append-only log.

Every writer of tags (ingest of a changed item, ``retag``, the label action in ``db.labels``)
reads the item's correction here, applies ``jkwatch.corrections.apply_correction`` to the
tagger's output, stores the result as the item's tags and remembers the tagger's output with
``remember_tagger_output``, all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from jkwatch.corrections import (
    Correction,
    LabelChange,
    Tags,
    themes_from_json,
    themes_to_json,
)
from jkwatch.db.driver_sql import IN_CHUNK
from jkwatch.db.models import CorrectionLog, ItemCorrection, Theme
from jkwatch.model import ThemeIn


@dataclass(frozen=True)
class StoredCorrection:
    """An item's correction and the tagger output it was last applied to."""

    item_id: int
    correction: Correction
    tagger: Tags
    created_at: datetime
    updated_at: datetime


def _stored(row: ItemCorrection) -> StoredCorrection:
    return StoredCorrection(
        item_id=row.item_id,
        correction=Correction(
            relevant=row.relevant,
            themes=Correction.marks_from_json(row.themes),
            analyst=row.analyst,
            note=row.note,
        ),
        tagger=Tags(
            float(row.tagger_relevance),
            bool(row.tagger_relevant),
            themes_from_json(row.tagger_themes),
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def corrections_for(session: Session, item_ids: Iterable[int]) -> dict[int, StoredCorrection]:
    """The corrections of those items that have one."""
    ids = sorted(set(item_ids))
    found: dict[int, StoredCorrection] = {}
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        for row in session.scalars(select(ItemCorrection).where(ItemCorrection.item_id.in_(chunk))):
            found[row.item_id] = _stored(row)
    return found


def corrections_between(session: Session, first: int, last: int) -> dict[int, StoredCorrection]:
    """Corrections of items with ids in ``first..last``: one primary-key range scan, for a
    batch of items read in id order (``retag``), where most batches hold none."""
    rows = session.scalars(
        select(ItemCorrection).where(ItemCorrection.item_id.between(first, last))
    )
    return {row.item_id: _stored(row) for row in rows}


def corrected_ids(session: Session, item_ids: Sequence[int]) -> set[int]:
    """Which of ``item_ids`` carry a correction (for the ``corrected`` flag of lists)."""
    found: set[int] = set()
    ids = list(item_ids)
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        found.update(
            session.scalars(select(ItemCorrection.item_id).where(ItemCorrection.item_id.in_(chunk)))
        )
    return found


def known_theme_ids(session: Session) -> set[str]:
    return set(session.scalars(select(Theme.id)))


def usable(tags: Tags, known: set[str]) -> Tags:
    """``tags`` without themes the database no longer has (a mark outliving its theme)."""
    if all(theme.theme_id in known for theme in tags.themes):
        return tags
    return Tags(tags.relevance, tags.relevant, tuple(t for t in tags.themes if t.theme_id in known))


def remember_tagger_output(session: Session, outputs: dict[int, Tags]) -> None:
    """Store the tagger's latest output beside each item's correction (one executemany)."""
    if not outputs:
        return
    table = cast(Table, ItemCorrection.__table__)
    session.execute(
        update(table)
        .where(table.c.item_id == bindparam("b_id"))
        .values(
            tagger_relevance=bindparam("b_relevance"),
            tagger_relevant=bindparam("b_relevant"),
            tagger_themes=bindparam("b_themes"),
        ),
        [
            {
                "b_id": item_id,
                "b_relevance": tags.relevance,
                "b_relevant": tags.relevant,
                "b_themes": themes_to_json(tags.themes),
            }
            for item_id, tags in sorted(outputs.items())
        ],
    )


def save_correction(
    session: Session,
    item_id: int,
    correction: Correction,
    tagger: Tags,
    now: datetime,
    existed: bool,
) -> None:
    """Insert or replace the item's merged correction."""
    values = {
        "relevant": correction.relevant,
        "themes": correction.themes_json(),
        "analyst": correction.analyst,
        "note": correction.note,
        "tagger_relevance": tagger.relevance,
        "tagger_relevant": tagger.relevant,
        "tagger_themes": themes_to_json(tagger.themes),
        "updated_at": now,
    }
    if existed:
        session.execute(
            update(ItemCorrection).where(ItemCorrection.item_id == item_id).values(**values)
        )
    else:
        session.execute(insert(ItemCorrection).values(item_id=item_id, created_at=now, **values))


def drop_correction(session: Session, item_id: int) -> None:
    session.execute(delete(ItemCorrection).where(ItemCorrection.item_id == item_id))


def log_action(
    session: Session, item_id: int, change: LabelChange, now: datetime, action: str
) -> None:
    """Append one label action (``label`` or ``reset``) to the audit log."""
    session.execute(
        insert(CorrectionLog).values(
            item_id=item_id,
            analyst=change.analyst,
            at=now,
            action=action,
            relevant=change.relevant,
            added=list(change.add),
            removed=list(change.remove),
            note=change.note,
        )
    )


@dataclass(frozen=True)
class LogEntry:
    item_id: int
    analyst: str
    at: datetime
    action: str
    relevant: bool | None
    added: tuple[str, ...]
    removed: tuple[str, ...]
    note: str | None


def history(session: Session, item_id: int) -> list[LogEntry]:
    """Every label action on the item, oldest first."""
    rows = session.scalars(
        select(CorrectionLog)
        .where(CorrectionLog.item_id == item_id)
        .order_by(CorrectionLog.at, CorrectionLog.id)
    )
    return [
        LogEntry(
            row.item_id,
            row.analyst,
            row.at,
            row.action,
            row.relevant,
            tuple(row.added or ()),
            tuple(row.removed or ()),
            row.note,
        )
        for row in rows
    ]


def theme_ins(rows: Iterable[tuple[str, float, object]]) -> tuple[ThemeIn, ...]:
    """``(theme_id, score, evidence)`` rows as read from ``item_themes`` as theme values."""
    return tuple(
        ThemeIn(
            theme_id,
            float(score),
            tuple(e for e in evidence if isinstance(e, dict)) if isinstance(evidence, list) else (),
        )
        for theme_id, score, evidence in rows
    )
