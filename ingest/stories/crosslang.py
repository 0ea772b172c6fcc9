"""Cross-language links: a document joins a story of another language on shared entities.

Word cosine cannot compare 石破 with Ishiba; the gazetteer's entity ids can. A new document
may join the story of a member in *another* language when, within ``window`` (48 hours:
reports of one event in Tokyo, Seoul and the wires appear within a day or two of each other,
while a second launch or meeting a few days later is another event), all of these hold:

* they share at least one *specific* entity (a person, place, weapon, agreement or body:
  ``SPECIFIC_WEIGHT`` or more) and at least one theme;
* the weighted overlap of their entity sets (shared weight / union weight, countries and
  their one-character short forms weighing little) is at least ``threshold``, and the
  shared weight at least ``min_weight`` (a specific entity and at least one more);
* they do not each name a person the other leaves out ("Ishiba meets Lee" and "Ishiba meets
  Albanese" share a leader but are two meetings: ``rival_types``);
* the member's story began no more than ``max_span`` before the document (an event, not
  a running topic: two launches four days apart stay two stories).

The best candidate has the highest overlap (ties: the earlier member). The explanation
(``linked_by``) starts with ``CROSS_LANGUAGE``, then one line per shared entity with the
names each side used ("石破 = Ishiba = 이시바"), most specific first, then the time gap
("2 days apart"). Same-language links are tried first and take precedence (``cluster``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from jkwatch.model import CROSS_LANGUAGE

if TYPE_CHECKING:
    from jkwatch.ingest.stories.cluster import Doc

TYPE_WEIGHTS: Mapping[str, float] = {
    "person": 1.0,
    "place": 1.0,
    "weapon": 1.0,
    "agreement": 1.0,
    "organization": 0.7,
    "military": 0.5,
    "country": 0.15,
}
"""How much sharing an entity of each type says about two reports being one event."""
SPECIFIC_WEIGHT = 0.7
"""Entities weighing at least this are *specific* (persons, places, weapons, agreements and
bodies; not countries or the services every defence story names)."""


@dataclass(frozen=True)
class XSettings:
    enabled: bool = True
    window: timedelta = timedelta(hours=48)
    max_span: timedelta = timedelta(hours=72)
    threshold: float = 0.4
    min_weight: float = 1.1
    """One specific entity is not enough: it takes a second shared entity, even a country
    (a place alone joins every report about it; tuned on the dev set, see the tests)."""
    rival_types: tuple[str, ...] = ("person",)
    """When each side names an entity of these types that the other does not, they report
    different meetings of different actors ("Ishiba meets Lee" / "Ishiba meets Albanese")."""


@dataclass(frozen=True)
class XLink:
    """A cross-language candidate link, comparable for "best" (higher score, earlier)."""

    score: float
    other: Doc
    shared: tuple[str, ...]
    specific: frozenset[str] = frozenset()


class EntityWeights:
    """Weights of entity ids by their gazetteer type (an unknown id weighs nothing)."""

    def __init__(self, types: Mapping[str, str]) -> None:
        self.types = dict(types)
        self.specific_ids = frozenset(
            e for e, t in self.types.items() if TYPE_WEIGHTS.get(t, 0.0) >= SPECIFIC_WEIGHT
        )

    def weight(self, entity_id: str) -> float:
        return TYPE_WEIGHTS.get(self.types.get(entity_id, ""), 0.0)

    def specific(self, entity_id: str) -> bool:
        return entity_id in self.specific_ids


class XIndex:
    """Placed documents per specific entity and time slot (one window wide): a document meets
    only those sharing a specific entity in its own and the neighbouring slots."""

    def __init__(self, window: timedelta, weights: EntityWeights) -> None:
        self.width = max(window.total_seconds(), 1.0)
        self.weights = weights
        self.by_entity: dict[tuple[str, int], list[Doc]] = defaultdict(list)

    def _slot(self, moment: datetime) -> int:
        return int(moment.timestamp() // self.width)

    def add(self, doc: Doc) -> None:
        slot = self._slot(doc.published_at)
        for entity in self.weights.specific_ids.intersection(doc.entities):
            self.by_entity[(entity, slot)].append(doc)

    def candidates(self, doc: Doc) -> Iterable[Doc]:
        seen: set[int] = set()
        slot = self._slot(doc.published_at)
        for entity in sorted(self.weights.specific_ids.intersection(doc.entities)):
            for near in (slot - 1, slot, slot + 1):
                for other in self.by_entity.get((entity, near), ()):
                    if other.language != doc.language and other.item_id not in seen:
                        seen.add(other.item_id)
                        yield other


def overlap(a: Doc, b: Doc, weights: EntityWeights) -> tuple[float, float, tuple[str, ...]]:
    """(weighted overlap, shared weight, shared entities heaviest first; ties by id)."""
    ea, eb = set(a.entities), set(b.entities)
    shared = ea & eb
    union = sum(weights.weight(e) for e in ea | eb)
    common = sum(weights.weight(e) for e in shared)
    ordered = tuple(sorted(shared, key=lambda e: (-weights.weight(e), e)))
    return (common / union if union else 0.0), common, ordered


def best_link(
    doc: Doc,
    index: XIndex,
    story_of: Mapping[int, int],
    first_seen: Mapping[int, datetime],
    settings: XSettings,
) -> XLink | None:
    """The member of another language ``doc`` links to by the rule above, if any."""
    if not settings.enabled or not doc.entities or not doc.themes:
        return None
    themes = set(doc.themes)
    best: XLink | None = None
    for other in index.candidates(doc):
        if abs(other.published_at - doc.published_at) > settings.window:
            continue
        if not themes.intersection(other.themes):
            continue
        story = story_of[other.item_id]
        if doc.published_at - first_seen[story] > settings.max_span:
            continue
        score, common, shared = overlap(doc, other, index.weights)
        if score < settings.threshold or common < settings.min_weight:
            continue
        if not any(index.weights.specific(e) for e in shared):
            continue
        if _rivals(doc, other, index.weights, settings.rival_types):
            continue
        if best is None or _better(score, other, best):
            specific = frozenset(e for e in shared if index.weights.specific(e))
            best = XLink(round(score, 4), other, shared, specific)
    return best


def _rivals(a: Doc, b: Doc, weights: EntityWeights, types: tuple[str, ...]) -> bool:
    """Whether each side names an entity of ``types`` the other does not name."""
    only_a = {e for e in set(a.entities) - set(b.entities) if weights.types.get(e) in types}
    only_b = {e for e in set(b.entities) - set(a.entities) if weights.types.get(e) in types}
    return bool(only_a and only_b)


def _better(score: float, other: Doc, best: XLink) -> bool:
    if round(score, 4) != best.score:
        return round(score, 4) > best.score
    return (other.published_at, other.item_id) < (best.other.published_at, best.other.item_id)


def explain(doc: Doc, link: XLink, labels: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """``linked_by`` of a cross-language link: the marker, per shared specific entity the names each
    side used (the member's first, then the document's; the gazetteer label when a side's
    names are unknown), then the time gap."""
    mine, theirs = dict(doc.entity_names), dict(link.other.entity_names)
    lines = [CROSS_LANGUAGE]
    for entity in link.shared:
        if entity not in link.specific:
            continue  # countries are shared by most pairs and say little
        names: list[str] = []
        for name in (*theirs.get(entity, ()), *mine.get(entity, ())):
            if name not in names:
                names.append(name)
        if not names:
            names.append((labels or {}).get(entity, entity))
        lines.append(" = ".join(names))
    lines.append(gap_text(abs(doc.published_at - link.other.published_at)))
    return tuple(lines)


def gap_text(gap: timedelta) -> str:
    """ "5 hours apart", "1 day apart", "2 days apart" (days rounded, from 24 hours on)."""
    hours = gap.total_seconds() / 3600
    if hours < 1:
        return "under an hour apart"
    if hours < 24:
        n = round(hours)
        return f"{n} hour{'s' if n != 1 else ''} apart"
    days = round(hours / 24)
    return f"{days} day{'s' if days != 1 else ''} apart"
