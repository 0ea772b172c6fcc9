"""Story clustering: deterministic, explainable, within a time window; words within a language,
gazetteer entities across languages.

Input: ``Doc`` values (an item's time, language, terms from ``features``, its near-duplicate
cluster); documents with a ``story_id`` are *context*, already clustered (the members of the
72 hours before a batch), and keep their story. Output: one ``StoryAssignment`` per new
document (and per context document whose story an analyst's merge changed).

The rule, in time order (published time, then item id), for each new document:

1. an item the analyst split off stands alone;
2. a near-duplicate copy (same ``near_dup`` cluster) joins the story of its cluster's first
   copy: wire copies always stay together;
3. otherwise it joins the story of the most similar earlier document when (a) both are in
   the same language and within ``window`` (72 hours) of each other, (b) that story began no
   more than ``max_span`` before it (a story is one event, not a running topic), and (c) the
   IDF-weighted cosine of their terms is at least ``threshold``, or at least
   ``assisted_threshold`` when they also share ``min_shared`` *specific* words (words in at
   most ``specific_share`` of the pool's documents of that language, or in three). Ties go to
   the earlier document.
   IDF is computed over the pool (the batch and its context) per language.
4. otherwise it begins a story of its own, whose id is its item id.

Across languages, a document that found no link in step 3 may join the story of a member of
another language with which it shares gazetteer entities and a theme (``crosslang``: a
shorter window, weights by entity type, an overlap floor); its ``linked_by`` then starts with
``(cross-language)`` and lists the names each side used and the time gap.

Analyst merges then join two stories (the smaller id is kept). Each assignment carries the
words shared with the document that linked it, largest share of the similarity first
(``linked_by``), or ``(near-duplicate)`` / ``(analyst)`` for those links, so every membership
can be explained. The thresholds were tuned on ``tests/data/stories_dev.jsonl`` only.

Cross-language links need ``entity_types`` (entity id -> gazetteer type); without them the
clustering is per language only.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from jkwatch.ingest.stories.crosslang import (
    EntityWeights,
    XIndex,
    XLink,
    XSettings,
    best_link,
    explain,
)
from jkwatch.model import CROSS_LANGUAGE, STORY_WINDOW_HOURS, StoryAssignment, StoryCorrections

NamesLookup = Callable[[Sequence[int]], Mapping[int, tuple[tuple[str, tuple[str, ...]], ...]]]
"""Item ids -> per item, its entities with the names it used (the evidence of a link)."""
NEAR_DUPLICATE = "(near-duplicate)"
ANALYST = "(analyst)"
MAX_LINKED_WORDS = 6


@dataclass(frozen=True)
class Doc:
    item_id: int
    published_at: datetime
    language: str
    terms: tuple[str, ...]
    near_dup: int | None = None
    """The item's near-duplicate cluster (``items.story_id``), if any."""
    story_id: int | None = None
    """Set for context documents: the story they already belong to."""
    entities: tuple[str, ...] = ()
    """Ids of the gazetteer entities the item names (cross-language links compare them)."""
    themes: tuple[str, ...] = ()
    """The item's theme ids (a cross-language link needs one in common)."""
    entity_names: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Per entity, the names the item used (the evidence a link shows); may be left empty."""


@dataclass(frozen=True)
class Settings:
    threshold: float = 0.28
    assisted_threshold: float = 0.12
    min_shared: int = 2
    specific_share: float = 0.08
    specific_floor: float = 3.0
    candidate_share: float = 0.3
    """Candidates are found through the words in at most this share of the pool's documents:
    the commonest words weigh little in the similarity and would make every pair a candidate."""
    window: timedelta = timedelta(hours=STORY_WINDOW_HOURS)
    max_span: timedelta = timedelta(days=7)
    xlang: XSettings = XSettings()


class Vectors:
    """TF-IDF vectors of a pool of documents, per language, normalised to unit length."""

    def __init__(self, docs: Sequence[Doc], settings: Settings) -> None:
        per_lang: dict[str, Counter[str]] = defaultdict(Counter)
        sizes: Counter[str] = Counter()
        for doc in docs:
            per_lang[doc.language].update(set(doc.terms))
            sizes[doc.language] += 1
        self.idf: dict[str, dict[str, float]] = {}
        self.specific: dict[str, frozenset[str]] = {}
        self.indexable: dict[str, frozenset[str]] = {}
        for lang, df in per_lang.items():
            n = sizes[lang]
            self.idf[lang] = {t: math.log((n + 1) / (c + 1)) + 1.0 for t, c in df.items()}
            cap = max(settings.specific_floor, settings.specific_share * n)
            self.specific[lang] = frozenset(t for t, c in df.items() if c <= cap)
            common = max(cap, settings.candidate_share * n)
            self.indexable[lang] = frozenset(t for t, c in df.items() if c <= common)
        self.vectors: dict[int, dict[str, float]] = {}
        for doc in docs:
            idf = self.idf[doc.language]
            weights = {t: tf * idf[t] for t, tf in Counter(doc.terms).items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            self.vectors[doc.item_id] = {t: w / norm for t, w in weights.items()}

    def similarity(self, a: int, b: int) -> float:
        va, vb = self.vectors[a], self.vectors[b]
        if len(va) > len(vb):
            va, vb = vb, va
        return sum(w * vb[t] for t, w in va.items() if t in vb)

    def linking_words(self, a: int, b: int) -> list[str]:
        """The words both documents carry, by their share of the similarity (largest first;
        ties: alphabetical): what linked them."""
        va, vb = self.vectors[a], self.vectors[b]
        return sorted((t for t in va if t in vb), key=lambda t: (-va[t] * vb[t], t))

    def shared_specific(self, a: Doc, b: Doc) -> list[str]:
        """Specific words both documents carry, most specific first (ties: alphabetical)."""
        specific = self.specific[a.language]
        shared = set(a.terms) & set(b.terms) & specific
        idf = self.idf[a.language]
        return sorted(shared, key=lambda t: (-idf[t], t))


def _order(doc: Doc) -> tuple[datetime, int]:
    return (doc.published_at, doc.item_id)


class _Index:
    """Documents placed so far, per language, specific term and time slot (one window wide),
    so a document meets only candidates of its own and the neighbouring slots."""

    def __init__(self, window: timedelta) -> None:
        self.width = max(window.total_seconds(), 1.0)
        self.by_term: dict[tuple[str, str, int], list[Doc]] = defaultdict(list)

    def _slot(self, doc: Doc) -> int:
        return int(doc.published_at.timestamp() // self.width)

    def add(self, doc: Doc, specific: frozenset[str]) -> None:
        slot = self._slot(doc)
        for term in set(doc.terms) & specific:
            self.by_term[(doc.language, term, slot)].append(doc)

    def candidates(self, doc: Doc, specific: frozenset[str]) -> Iterable[Doc]:
        seen: set[int] = set()
        slot = self._slot(doc)
        for term in sorted(set(doc.terms) & specific):
            for near in (slot - 1, slot, slot + 1):
                for other in self.by_term.get((doc.language, term, near), ()):
                    if other.item_id not in seen:
                        seen.add(other.item_id)
                        yield other


def cluster(
    docs: Sequence[Doc],
    corrections: StoryCorrections | None = None,
    settings: Settings | None = None,
    *,
    story_starts: Mapping[int, datetime] | None = None,
    known_stories: Mapping[int, int] | None = None,
    entity_types: Mapping[str, str] | None = None,
    entity_labels: Mapping[str, str] | None = None,
    entity_names: NamesLookup | None = None,
) -> list[StoryAssignment]:
    """Assign every new document (``story_id`` None) to a story; see the module docstring.

    ``story_starts``: when the context's stories began (their members may lie outside the
    pool); ``known_stories``: the stories of merge partners that are not in the pool;
    ``entity_types``: the gazetteer type of each entity id (none: no cross-language links);
    ``entity_labels``: names shown for an entity when a side's own names are unknown;
    ``entity_names``: reads the names members used for their entities (``Doc.entity_names``),
    called once, for the members that cross-language links were made to.
    """
    corrections = corrections or StoryCorrections()
    settings = settings or Settings()
    vectors = Vectors(docs, settings)
    ordered = sorted(docs, key=_order)
    story_of: dict[int, int] = {}
    first_seen: dict[int, datetime] = dict(story_starts or {})
    near_story: dict[int, int] = {}
    index = _Index(settings.window)
    xindex = (
        XIndex(settings.xlang.window, EntityWeights(entity_types))
        if entity_types and settings.xlang.enabled
        else None
    )
    new_languages = {doc.language for doc in docs if doc.story_id is None}
    # a member is a cross-language candidate only for new documents of another language
    linkable = {lang for lang in {d.language for d in docs} if new_languages - {lang}}
    place = _Placer(vectors, index, xindex, story_of, first_seen, near_story, corrections, settings)
    place.labels = entity_labels or {}
    out: dict[int, StoryAssignment] = {}

    for doc in ordered:  # context first: its stories are fixed
        if doc.story_id is None:
            continue
        story_of[doc.item_id] = doc.story_id
        first_seen[doc.story_id] = min(
            first_seen.get(doc.story_id, doc.published_at), doc.published_at
        )
        if doc.near_dup is not None and doc.item_id not in corrections.splits:
            near_story.setdefault(doc.near_dup, doc.story_id)
        if doc.item_id not in corrections.splits:
            index.add(doc, vectors.indexable[doc.language])
            if xindex is not None and doc.language in linkable:
                xindex.add(doc)

    for doc in ordered:
        if doc.story_id is not None:
            continue
        assignment = place(doc)
        story_of[doc.item_id] = assignment.story_id
        first_seen.setdefault(assignment.story_id, doc.published_at)
        out[doc.item_id] = assignment
        if doc.item_id not in corrections.splits:
            if doc.near_dup is not None:
                near_story.setdefault(doc.near_dup, assignment.story_id)
            index.add(doc, vectors.indexable[doc.language])
            if xindex is not None and doc.language in linkable:
                xindex.add(doc)

    place.explain_links(out, entity_names)
    _apply_merges(docs, out, story_of, corrections, known_stories or {})
    by_id = {doc.item_id: doc for doc in docs}
    for item_id, assignment in out.items():
        doc = by_id[item_id]
        out[item_id] = replace(assignment, entities=doc.entities, themes=doc.themes)
    return _with_titles(docs, out, story_of, vectors)


class _Placer:
    """Steps 1-4 of the rule for one new document, over the state ``cluster`` keeps."""

    def __init__(
        self,
        vectors: Vectors,
        index: _Index,
        xindex: XIndex | None,
        story_of: dict[int, int],
        first_seen: dict[int, datetime],
        near_story: dict[int, int],
        corrections: StoryCorrections,
        settings: Settings,
    ) -> None:
        self.vectors, self.index, self.xindex = vectors, index, xindex
        self.story_of, self.first_seen, self.near_story = story_of, first_seen, near_story
        self.corrections, self.settings = corrections, settings
        self.labels: Mapping[str, str] = {}
        self.pending: dict[int, tuple[Doc, XLink]] = {}

    def explain_links(self, out: dict[int, StoryAssignment], names_of: NamesLookup | None) -> None:
        """Write the evidence of the cross-language links, reading the names the linked
        members used in one go (``names_of``) when the pool does not carry them."""
        if not self.pending:
            return
        missing = sorted(
            {link.other.item_id for _, link in self.pending.values() if not link.other.entity_names}
        )
        found = names_of(missing) if names_of is not None and missing else {}
        for item_id, (doc, link) in self.pending.items():
            other = link.other
            if other.item_id in found:
                link = replace(link, other=replace(other, entity_names=found[other.item_id]))
            out[item_id] = replace(out[item_id], linked_by=explain(doc, link, self.labels))

    def __call__(self, doc: Doc) -> StoryAssignment:
        if doc.item_id in self.corrections.splits:
            return StoryAssignment(doc.item_id, doc.item_id, 0.0, (ANALYST,), doc.terms)
        if doc.near_dup is not None and doc.near_dup in self.near_story:
            return StoryAssignment(
                doc.item_id, self.near_story[doc.near_dup], 1.0, (NEAR_DUPLICATE,), doc.terms
            )
        same = self._same_language(doc)
        if same is not None:
            return same
        if self.xindex is not None:
            link = best_link(doc, self.xindex, self.story_of, self.first_seen, self.settings.xlang)
            if link is not None:
                self.pending[doc.item_id] = (doc, link)  # explained once all are placed
                return StoryAssignment(
                    doc.item_id,
                    self.story_of[link.other.item_id],
                    link.score,
                    (CROSS_LANGUAGE,),
                    doc.terms,
                )
        return StoryAssignment(doc.item_id, doc.item_id, 0.0, (), doc.terms)

    def _same_language(self, doc: Doc) -> StoryAssignment | None:
        vectors, settings = self.vectors, self.settings
        best: tuple[float, tuple[datetime, int], Doc, list[str]] | None = None
        for other in self.index.candidates(doc, vectors.indexable[doc.language]):
            if abs(other.published_at - doc.published_at) > settings.window:
                continue
            story = self.story_of[other.item_id]
            if doc.published_at - self.first_seen[story] > settings.max_span:
                continue
            sim = vectors.similarity(doc.item_id, other.item_id)
            if sim < settings.assisted_threshold:
                continue
            if (
                sim < settings.threshold
                and len(vectors.shared_specific(doc, other)) < settings.min_shared
            ):
                continue
            shared = vectors.linking_words(doc.item_id, other.item_id)
            key = (sim, _order(other))
            if best is None or key[0] > best[0] or (key[0] == best[0] and key[1] < best[1]):
                best = (sim, key[1], other, shared)
        if best is None:
            return None
        sim, _, other, shared = best
        return StoryAssignment(
            doc.item_id,
            self.story_of[other.item_id],
            round(sim, 4),
            tuple(shared[:MAX_LINKED_WORDS]),
            doc.terms,
        )


def _apply_merges(
    docs: Sequence[Doc],
    out: dict[int, StoryAssignment],
    story_of: dict[int, int],
    corrections: StoryCorrections,
    known: Mapping[int, int],
) -> None:
    """Join the stories an analyst merged (union-find over story ids; the smaller id wins)."""
    if not corrections.merges:
        return
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for a, b in corrections.merges:
        sa = story_of.get(a, known.get(a))
        sb = story_of.get(b, known.get(b))
        if sa is None or sb is None:
            continue
        ra, rb = find(sa), find(sb)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    if not parent:
        return
    by_id = {doc.item_id: doc for doc in docs}
    for item_id, story in list(story_of.items()):
        root = find(story)
        if root == story:
            continue
        story_of[item_id] = root
        previous = out.get(item_id)
        if previous is not None:
            out[item_id] = replace(previous, story_id=root)
        else:  # a context member moved by the merge
            doc = by_id[item_id]
            out[item_id] = StoryAssignment(item_id, root, 1.0, (ANALYST,), doc.terms)


def _with_titles(
    docs: Sequence[Doc],
    out: dict[int, StoryAssignment],
    story_of: dict[int, int],
    vectors: Vectors,
) -> list[StoryAssignment]:
    """Mark each touched story's representative headline on one of the assignments."""
    members: dict[int, list[Doc]] = defaultdict(list)
    touched = {a.story_id for a in out.values()}
    for doc in sorted(docs, key=_order):
        if story_of.get(doc.item_id) in touched:
            members[story_of[doc.item_id]].append(doc)
    chosen = {story: representative(group, vectors) for story, group in members.items()}
    result: list[StoryAssignment] = []
    marked: set[int] = set()
    for item_id in sorted(out):
        assignment = out[item_id]
        if assignment.story_id not in marked:
            marked.add(assignment.story_id)
            assignment = replace(assignment, title_item_id=chosen[assignment.story_id])
        result.append(assignment)
    return result


def representative(group: Sequence[Doc], vectors: Vectors) -> int:
    """The member most similar to the others (sum of cosines); ties: the earliest.

    The sum of a member's cosines with the others is its dot product with the sum of the
    others' vectors, so one pass builds the sum and one scores each member (linear, not
    quadratic: a story of a few hundred copies across languages stays cheap). Members of
    different languages share almost no words, so the title comes from the story's main
    language; the earliest member wins a story of one or two items."""
    if len(group) <= 2:
        return min(group, key=_order).item_id
    total: dict[str, float] = defaultdict(float)
    for doc in group:
        for term, weight in vectors.vectors[doc.item_id].items():
            total[term] += weight

    def centrality(doc: Doc) -> float:
        own = vectors.vectors[doc.item_id]
        return round(sum(w * (total[t] - w) for t, w in own.items()), 9)

    best = max(group, key=lambda d: (centrality(d), -d.published_at.timestamp(), -d.item_id))
    return best.item_id
