"""The analyst-correction rule, in one place: a correction applied on top of the tagger's output.

A correction is kept apart from the tagger's verdict and re-applied after every tag and retag,
so a taxonomy edit still reaches the parts of an item the analyst did not touch:

* final themes = the tagger's themes - removed + added (an added theme carries evidence
  ``corrected by NAME``; one the tagger also found keeps its score and gains that evidence);
* relevance = the override when one is set. The stored number is clamped to the override's
  side of ``RELEVANCE_THRESHOLD`` so "relevant <=> relevance >= 0.5" (and the relevance
  buckets the rollups count by) stays true; the tagger's own number is kept with the
  correction.

Pure: plain values in and out, no storage and no tagger, so the storage layer (ingest, retag,
the label action) and the tests share it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jkwatch.model import RELEVANCE_THRESHOLD, ThemeIn

IRRELEVANT_CEILING = 0.49
"""The highest relevance stored for an item an analyst marked irrelevant (bucket 4)."""
ADDED_SCORE = 1.0
"""Score of a theme only the analyst gave: an analyst's word is certain."""
ANALYST_LIMIT = 200
"""The longest analyst name stored (the width of the ``analyst`` columns)."""
EVIDENCE_FIELD = "analyst"
"""The ``field`` of correction evidence (tagger evidence names title, summary or body)."""


@dataclass(frozen=True)
class ThemeMark:
    """The latest word on one theme: added (True) or removed (False), and by whom."""

    added: bool
    by: str


@dataclass(frozen=True)
class Correction:
    """An item's merged corrections: a relevance override (or None) and theme marks."""

    relevant: bool | None = None
    themes: Mapping[str, ThemeMark] = field(default_factory=dict)
    analyst: str = ""
    note: str | None = None

    def themes_json(self) -> dict[str, Any]:
        """The theme marks as stored: ``{theme_id: {"added": bool, "by": name}}``."""
        return {tid: {"added": m.added, "by": m.by} for tid, m in sorted(self.themes.items())}

    @staticmethod
    def marks_from_json(value: Any) -> dict[str, ThemeMark]:
        """Theme marks from their stored JSON (tolerates a malformed value as no marks)."""
        if not isinstance(value, dict):
            return {}
        return {
            str(tid): ThemeMark(bool(mark.get("added")), str(mark.get("by") or ""))
            for tid, mark in value.items()
            if isinstance(mark, dict)
        }


@dataclass(frozen=True)
class LabelChange:
    """One label action: what the analyst said this time."""

    analyst: str
    relevant: bool | None = None
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    note: str | None = None

    @property
    def empty(self) -> bool:
        """No change to the tags (a note alone changes nothing, so it is not a label)."""
        return self.relevant is None and not self.add and not self.remove

    def conflicts(self) -> tuple[str, ...]:
        """Themes both added and removed in the same action (a usage error)."""
        return tuple(sorted(set(self.add) & set(self.remove)))


@dataclass(frozen=True)
class Tags:
    """An item's tags as storage holds them: relevance, the relevant flag and themes."""

    relevance: float
    relevant: bool
    themes: tuple[ThemeIn, ...] = ()


def merge(old: Correction | None, change: LabelChange) -> Correction:
    """``old`` with ``change`` on top: the latest word on each theme and on relevance wins."""
    themes = dict(old.themes) if old else {}
    for theme_id in change.add:
        themes[theme_id] = ThemeMark(True, change.analyst)
    for theme_id in change.remove:
        themes[theme_id] = ThemeMark(False, change.analyst)
    relevant = change.relevant if change.relevant is not None else (old.relevant if old else None)
    note = change.note if change.note is not None else (old.note if old else None)
    return Correction(relevant, themes, change.analyst, note)


def corrected_by(name: str) -> dict[str, Any]:
    """The evidence entry that names the analyst behind a theme."""
    return {"term": f"corrected by {name}", "field": EVIDENCE_FIELD, "count": 1}


def apply_correction(tags: Tags, correction: Correction | None) -> Tags:
    """The final tags: ``tags`` (the tagger's) with ``correction`` on top (unchanged if None)."""
    if correction is None:
        return tags
    marks = correction.themes
    themes: list[ThemeIn] = []
    present = set()
    for theme in tags.themes:
        mark = marks.get(theme.theme_id)
        if mark is not None and not mark.added:
            continue
        if mark is not None:
            theme = ThemeIn(theme.theme_id, theme.score, (*theme.evidence, corrected_by(mark.by)))
        themes.append(theme)
        present.add(theme.theme_id)
    for theme_id, mark in sorted(marks.items()):
        if mark.added and theme_id not in present:
            themes.append(ThemeIn(theme_id, ADDED_SCORE, (corrected_by(mark.by),)))
    relevance, relevant = tags.relevance, tags.relevant
    if correction.relevant is True:
        relevance, relevant = max(relevance, RELEVANCE_THRESHOLD), True
    elif correction.relevant is False:
        relevance, relevant = min(relevance, IRRELEVANT_CEILING), False
    return Tags(relevance, relevant, tuple(themes))


def themes_to_json(themes: Iterable[ThemeIn]) -> list[dict[str, Any]]:
    """Themes as stored with a correction (the tagger's output, kept for re-application)."""
    return [{"id": t.theme_id, "score": t.score, "evidence": list(t.evidence)} for t in themes]


def themes_from_json(value: Any) -> tuple[ThemeIn, ...]:
    """Inverse of ``themes_to_json`` (a malformed value reads as no themes)."""
    if not isinstance(value, list):
        return ()
    return tuple(
        ThemeIn(
            str(row["id"]),
            float(row.get("score") or 0.0),
            tuple(e for e in row.get("evidence") or () if isinstance(e, dict)),
        )
        for row in value
        if isinstance(row, dict) and "id" in row
    )
