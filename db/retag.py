"""Storage side of ``jkwatch retag``: read items for the tagger, write its verdicts back.

``items_for_tagging`` pages through the items by id (flat memory at any size).
``apply_retag`` writes one batch: ``RetagPlan`` reads the batch's stored tags and diffs them
against the tagger's output, so only what differs is written; values are compared as the
driver returns them (JSON evidence as its stored text on SQLite, checked against the same
``json.dumps`` encoding SQLAlchemy's ``JSON`` type writes). The rollups change by the
batch's netted differences through ``db.rollups`` (the one rollup writer). Writes go
through the DB-API driver (``db.driver_sql``): a million items must not pay SQLAlchemy's
per-row parameter processing. Analyst corrections (``db.corrections``) are applied on top
of the tagger's output before the diff, so a retag keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from jkwatch.corrections import Tags, apply_correction
from jkwatch.db import corrections
from jkwatch.db.driver_sql import fetch, fetch_in, run_many
from jkwatch.db.rollups import RollupDelta
from jkwatch.model import ThemeIn, relevance_bucket


@dataclass(frozen=True)
class TaggingInput:
    """What the tagger needs of a stored item."""

    id: int
    title: str
    summary: str
    body: str
    language: str


def items_for_tagging(
    session: Session, after_id: int, limit: int, stale_for: str | None = None
) -> list[TaggingInput]:
    """The next ``limit`` items by id after ``after_id`` (keyset pagination: flat memory).

    With ``stale_for``, only items not yet tagged with that taxonomy fingerprint.
    """
    stale = " AND (tagged_with IS NULL OR tagged_with <> ?)" if stale_for is not None else ""
    params = (after_id, stale_for, limit) if stale_for is not None else (after_id, limit)
    rows = fetch(
        session,
        f"SELECT id, title, summary, body, language FROM items WHERE id > ?{stale} "
        "ORDER BY id LIMIT ?",
        params,
    )
    return [
        TaggingInput(item_id, title or "", summary or "", body or "", language)
        for item_id, title, summary, body, language in rows
    ]


@dataclass(frozen=True)
class RetagUpdate:
    """The tagger's verdict on one stored item."""

    item_id: int
    relevance: float
    relevant: bool
    themes: tuple[ThemeIn, ...]
    tagged_with: str | None


_ITEMS_SQL = (
    "SELECT id, feed_id, day, language, story_id, rel_bucket, relevance, relevant, tagged_with "
    "FROM items WHERE id IN ({in})"
)
_THEMES_SQL = (
    "SELECT item_id, theme_id, score, evidence, day, feed_id, language, rel_bucket, story_lead "
    "FROM item_themes WHERE item_id IN ({in})"
)


def _same_json(stored: Any, encoded: str) -> bool:
    """Stored JSON equals ``encoded``: text first (SQLite), the decoded value otherwise."""
    if isinstance(stored, str):
        return stored == encoded or json.loads(stored) == json.loads(encoded)
    return stored == json.loads(encoded)


@dataclass
class RetagPlan:
    """Driver-ready parameter rows for each statement of ``apply_retag``."""

    restamps: list[tuple] = field(default_factory=list)
    items: list[tuple] = field(default_factory=list)
    dropped: list[tuple] = field(default_factory=list)
    rescored: list[tuple] = field(default_factory=list)
    added: list[tuple] = field(default_factory=list)
    delta: RollupDelta = field(default_factory=RollupDelta)
    changed: int = 0

    @classmethod
    def for_updates(cls, session: Session, updates: Sequence[RetagUpdate]) -> RetagPlan:
        """Read the batch's stored tags and diff them against ``updates``."""
        ids = [u.item_id for u in updates]
        stored = {row[0]: row for row in fetch_in(session, _ITEMS_SQL, ids)}
        old_themes: dict[int, list[tuple]] = {}
        for row in fetch_in(session, _THEMES_SQL, ids):
            old_themes.setdefault(row[0], []).append(row)
        plan = cls()
        for update_ in updates:
            item = stored.get(update_.item_id)
            if item is not None:  # deleted since it was read for tagging
                plan._diff(item, old_themes.get(update_.item_id, []), update_)
        return plan

    def _diff(self, item: tuple, old_rows: list[tuple], u: RetagUpdate) -> None:
        item_id, feed_id, day, language, story_id, old_bucket, relevance, relevant, tagged = item
        bucket = relevance_bucket(u.relevance)
        lead = story_id == item_id
        themes_changed = self._diff_themes(item, old_rows, u, bucket)
        same_item = relevance == u.relevance and bool(relevant) == u.relevant
        if same_item and old_bucket == bucket and not themes_changed:
            if tagged != u.tagged_with:
                self.restamps.append((u.tagged_with, item_id))
            return
        self.changed += 1
        self.items.append((u.relevance, u.relevant, bucket, u.tagged_with, item_id))
        if old_bucket != bucket:
            self.delta.item((day, feed_id, language, old_bucket), lead, -1)
            self.delta.item((day, feed_id, language, bucket), lead)

    def _diff_themes(self, item: tuple, old_rows: list[tuple], u: RetagUpdate, bucket: int) -> bool:
        """Queue the theme rows to drop, rescore and add; True if any differ."""
        item_id, feed_id, day, language, story_id = item[:5]
        old = {row[1]: row for row in old_rows}
        changed = False
        for theme in u.themes:
            evidence = json.dumps(list(theme.evidence))
            row = old.pop(theme.theme_id, None)
            if row is None:
                lead = story_id == item_id
                self.added.append(
                    (item_id, theme.theme_id, theme.score, evidence, day, feed_id, language)
                    + (bucket, lead)
                )
                self.delta.theme((day, feed_id, language, bucket, theme.theme_id), lead)
                changed = True
                continue
            _, _, score, stored_evidence, t_day, t_feed, t_lang, t_bucket, t_lead = row
            if (
                score == theme.score
                and t_bucket == bucket
                and _same_json(stored_evidence, evidence)
            ):
                continue
            changed = True
            self.rescored.append((theme.score, evidence, bucket, item_id, theme.theme_id))
            if t_bucket != bucket:
                self.delta.theme((t_day, t_feed, t_lang, t_bucket, theme.theme_id), t_lead, -1)
                self.delta.theme((t_day, t_feed, t_lang, bucket, theme.theme_id), t_lead)
        for theme_id, row in old.items():
            _, _, _, _, t_day, t_feed, t_lang, t_bucket, t_lead = row
            self.dropped.append((item_id, theme_id))
            self.delta.theme((t_day, t_feed, t_lang, t_bucket, theme_id), t_lead, -1)
            changed = True
        return changed


def apply_retag(session: Session, updates: Sequence[RetagUpdate]) -> int:
    """Store the tagger's verdicts on a batch of items, with analyst corrections on top.

    Corrected items get ``jkwatch.corrections.apply_correction`` of the verdict, and the
    verdict is kept beside their correction; then ``write_tags`` (one transaction, rollups
    by difference). Returns how many items' tags changed.
    """
    if not updates:
        return 0
    ids = [u.item_id for u in updates]
    stored = corrections.corrections_between(session, min(ids), max(ids))
    if stored:
        updates = _corrected(session, updates, stored)
    return write_tags(session, updates)


def _corrected(
    session: Session,
    updates: Sequence[RetagUpdate],
    stored: dict[int, corrections.StoredCorrection],
) -> list[RetagUpdate]:
    known = corrections.known_theme_ids(session)
    out = []
    outputs = {}
    for u in updates:
        found = stored.get(u.item_id)
        if found is None:
            out.append(u)
            continue
        tagger = Tags(u.relevance, u.relevant, u.themes)
        outputs[u.item_id] = tagger
        final = corrections.usable(apply_correction(tagger, found.correction), known)
        out.append(
            replace(u, relevance=final.relevance, relevant=final.relevant, themes=final.themes)
        )
    corrections.remember_tagger_output(session, outputs)
    return out


def write_tags(session: Session, updates: Sequence[RetagUpdate]) -> int:
    """Replace the tags of a batch of items and update the rollups by difference (one transaction).

    Items whose relevance and themes (scores and evidence) come out the same are only
    re-stamped with the new taxonomy (not even that if they carry it already); theme rows are
    updated in place, and only the themes an item gains or loses are inserted or deleted. The
    rollups change by the rows' removal and addition, netted per cell: a batch costs work
    proportional to its own size, never a recount of the cells it touches. Returns how many
    items' tags changed.
    """
    if not updates:
        return 0
    plan = RetagPlan.for_updates(session, updates)
    run_many(session, "UPDATE items SET tagged_with = ? WHERE id = ?", plan.restamps)
    run_many(
        session,
        "UPDATE items SET relevance = ?, relevant = ?, rel_bucket = ?, tagged_with = ? "
        "WHERE id = ?",
        plan.items,
    )
    # Story members carry copies of relevance (range reads filter on them).
    run_many(
        session,
        "UPDATE story_members SET relevance = ?, relevant = ? WHERE item_id = ?",
        [(row[0], row[1], row[-1]) for row in plan.items],
    )
    run_many(session, "DELETE FROM item_themes WHERE item_id = ? AND theme_id = ?", plan.dropped)
    run_many(
        session,
        "UPDATE item_themes SET score = ?, evidence = ?, rel_bucket = ? "
        "WHERE item_id = ? AND theme_id = ?",
        plan.rescored,
    )
    run_many(
        session,
        "INSERT INTO item_themes (item_id, theme_id, score, evidence, day, feed_id, language, "
        "rel_bucket, story_lead) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        plan.added,
    )
    plan.delta.apply(session)
    return plan.changed
