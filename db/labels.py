"""The label action (``jkwatch label`` and the dashboard's form) and the labelled-set read.

``label_item`` merges what an analyst said into the item's correction, re-applies it on top of
the tagger's output and writes the final tags through ``db.retag.write_tags``: the item, its
theme rows, the rollups (by difference), the correction and its log line change in the
caller's one transaction. An unknown item or theme id raises ``LabelError`` before anything
is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from jkwatch.clock import utcnow
from jkwatch.corrections import Correction, LabelChange, Tags, apply_correction, merge
from jkwatch.db import corrections
from jkwatch.db.driver_sql import IN_CHUNK
from jkwatch.db.models import Item, ItemCorrection, ItemTheme
from jkwatch.db.retag import RetagUpdate, write_tags


class LabelError(ValueError):
    """An unknown item or theme id, or a contradictory change: nothing was written.

    ``about`` says which input is wrong: ``"item"`` or ``"theme"``.
    """

    def __init__(self, message: str, about: str) -> None:
        super().__init__(message)
        self.about = about


@dataclass(frozen=True)
class LabelResult:
    """What a label action left: the item's final tags and its correction (None: none left)."""

    item_id: int
    tags: Tags
    correction: Correction | None
    changed: bool
    """Whether the item's stored tags changed (a repeated label changes nothing)."""


def _check(session: Session, item_id: int, change: LabelChange | None) -> tuple:
    # The item row stays locked to the end of the transaction (PostgreSQL; SQLite has one
    # writer): two analysts labelling the same item merge one after the other.
    row = session.execute(
        select(Item.relevance, Item.relevant, Item.tagged_with)
        .where(Item.id == item_id)
        .with_for_update()
    ).first()
    if row is None:
        raise LabelError(f"no item with id {item_id}", "item")
    known = corrections.known_theme_ids(session)
    if change is not None:
        for theme_id in (*change.add, *change.remove):
            if theme_id not in known:
                raise LabelError(f"unknown theme id '{theme_id}'", "theme")
        both = change.conflicts()
        if both:
            raise LabelError(f"theme '{both[0]}' both added and removed", "theme")
    return row, known


def _current_tags(session: Session, item_id: int, relevance: float, relevant: bool) -> Tags:
    rows = session.execute(
        select(ItemTheme.theme_id, ItemTheme.score, ItemTheme.evidence)
        .where(ItemTheme.item_id == item_id)
        .order_by(ItemTheme.score.desc(), ItemTheme.theme_id)
    )
    return Tags(float(relevance), bool(relevant), corrections.theme_ins(tuple(row) for row in rows))


def label_item(
    session: Session, item_id: int, change: LabelChange, now: datetime | None = None
) -> LabelResult:
    """Merge ``change`` into the item's correction and store the corrected tags."""
    now = now or utcnow()
    (relevance, relevant, tagged_with), known = _check(session, item_id, change)
    stored = corrections.corrections_for(session, [item_id]).get(item_id)
    # Before the first correction the stored tags are the tagger's own output.
    tagger = stored.tagger if stored else _current_tags(session, item_id, relevance, relevant)
    merged = merge(stored.correction if stored else None, change)
    final = corrections.usable(apply_correction(tagger, merged), known)
    corrections.save_correction(session, item_id, merged, tagger, now, existed=stored is not None)
    corrections.log_action(session, item_id, change, now, "label")
    changed = write_tags(
        session,
        [RetagUpdate(item_id, final.relevance, final.relevant, final.themes, tagged_with)],
    )
    return LabelResult(item_id, final, merged, changed > 0)


def reset_item(
    session: Session, item_id: int, analyst: str, now: datetime | None = None
) -> LabelResult:
    """Drop the item's correction and store the tagger's output as its tags again."""
    now = now or utcnow()
    (relevance, relevant, tagged_with), known = _check(session, item_id, None)
    stored = corrections.corrections_for(session, [item_id]).get(item_id)
    if stored is None:
        return LabelResult(
            item_id, _current_tags(session, item_id, relevance, relevant), None, False
        )
    tagger = corrections.usable(stored.tagger, known)
    corrections.drop_correction(session, item_id)
    corrections.log_action(session, item_id, LabelChange(analyst), now, "reset")
    changed = write_tags(
        session,
        [RetagUpdate(item_id, tagger.relevance, tagger.relevant, tagger.themes, tagged_with)],
    )
    return LabelResult(item_id, tagger, None, changed > 0)


@dataclass(frozen=True)
class LabelledRow:
    """A corrected item as a labelled example: its text and its final labels."""

    id: int
    url: str | None
    title: str
    summary: str
    lang: str
    relevant: bool
    themes: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        """The ``jkwatch eval`` line (themes listed only for relevant items, as eval reads)."""
        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "summary": self.summary,
            "lang": self.lang,
            "relevant": self.relevant,
            "themes": list(self.themes) if self.relevant else [],
        }


def labelled_items(session: Session) -> Iterator[LabelledRow]:
    """Every corrected item in id order, with its final relevance and themes."""
    after = 0
    while True:
        page = session.execute(
            select(Item.id, Item.url, Item.title, Item.summary, Item.language, Item.relevant)
            .join(ItemCorrection, ItemCorrection.item_id == Item.id)
            .where(Item.id > after)
            .order_by(Item.id)
            .limit(IN_CHUNK)
        ).all()
        if not page:
            return
        ids = [row.id for row in page]
        themes: dict[int, list[str]] = {}
        for item_id, theme_id in session.execute(
            select(ItemTheme.item_id, ItemTheme.theme_id)
            .where(ItemTheme.item_id.in_(ids))
            .order_by(ItemTheme.item_id, ItemTheme.score.desc(), ItemTheme.theme_id)
        ):
            themes.setdefault(item_id, []).append(theme_id)
        for row in page:
            yield LabelledRow(
                row.id,
                row.url,
                row.title or "",
                row.summary or "",
                row.language,
                bool(row.relevant),
                tuple(themes.get(row.id, ())),
            )
        after = ids[-1]
