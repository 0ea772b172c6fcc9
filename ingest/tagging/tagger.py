"""The tagger: scores the counts of one compiled matcher into relevance, themes and evidence.

Tagging an item costs one normalisation and one automaton scan per field (see `matcher`), then a
little arithmetic per matched term; result objects are built only for assigned themes, and
evidence values (immutable, recurring constantly) are interned.

Scoring. Per field, each matched term adds weight * field factor, plus a small bonus for repeats.
A theme's raw evidence r maps to r / (r + theme_scale); themes at or above theme_threshold are
assigned. Relevance multiplies an actor strength (Japan, Korea, North Korea and their forces...)
by a security strength (security vocabulary plus a share of the evidence of assigned themes,
minus off-topic vocabulary such as markets, sport or weather), each squashed with
1 - exp(-x / scale). Strong theme evidence also stands in for an actor (per-theme actor_share):
Korean copy about "the defence budget" seldom says whose.

Context rules: a theme's `needs_anchor` terms join its raw evidence only when its anchors matched
(in the title: for every field; further down: for that part only). Results without themes are
interned by relevance: they are immutable and recur constantly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import compress
from math import exp as _exp
from operator import itemgetter, mul
from typing import Any

from ingest.tagging.matcher import Matcher, term_keys
from ingest.tagging.results import FIELDS, Evidence, TagResult, ThemeScore
from ingest.tagging.schema import LANGS, Taxonomy
from ingest.tagging.text import detect_lang, normalize

__all__ = ["Explanation", "Tagger", "tag_many"]

_ACTORS, _SECURITY, _OFF_TOPIC = "actors", "security", "off_topic"
_keys = term_keys  # the name the benchmark used before the matcher had its own module
_LANG_INDEX = {lang: index for index, lang in enumerate(LANGS)}
_MAX_COUNT = 64  # repeat factors are precomputed up to here (more repeats add nothing anyway)
_first = itemgetter(0)


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything behind a TagResult, for `eval` misses and debugging taxonomy edits."""

    result: TagResult
    lang: str
    raw: Mapping[str, float]
    signals: Mapping[str, tuple[Evidence, ...]]  # actors / security / off_topic evidence


class Tagger:
    """Tags items against one taxonomy. Build once and reuse: construction compiles the automata."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        themes = taxonomy.themes
        self._theme_ids = tuple(theme.id for theme in themes)
        slot_names = list(self._theme_ids + (_ACTORS, _SECURITY, _OFF_TOPIC))
        self._actor_slot = len(themes)
        self._security_slot = len(themes) + 1
        self._off_slot = len(themes) + 2
        # Context rules: each anchored theme's needs_anchor terms get two "gated" slots (title;
        # summary and body), and each distinct anchor group two slots the same way; identical
        # groups (North Korea for several themes) share theirs. An anchor in the title opens the
        # theme's gated terms in every field; one further down opens only the terms down there:
        # "S. Korea launches spy satellite" is not about the North because its summary names it.
        gated: dict[int, int] = {}  # theme slot -> gated slot (summary/body)
        in_title: dict[int, int] = {}  # summary/body slot -> its title twin
        for slot, theme in enumerate(themes):
            if theme.anchors:
                gated[slot] = len(slot_names)
                in_title[len(slot_names)] = len(slot_names) + 1
                slot_names += [f"{theme.id}~needs_anchor", f"{theme.id}~needs_anchor(title)"]
        group_slots: dict[tuple[tuple[str, str, bool], ...], int] = {}
        anchor_sources = []
        gates = []
        for slot, theme in enumerate(themes):
            needed = []
            for index, group in enumerate(theme.anchors):
                key = tuple(sorted({(t.lang, normalize(t.text), t.exact) for t in group}))
                if key not in group_slots:
                    group_slots[key] = len(slot_names)
                    in_title[len(slot_names)] = len(slot_names) + 1
                    slot_names += [
                        f"anchors:{theme.id}[{index}]",
                        f"anchors:{theme.id}[{index}](title)",
                    ]
                    anchor_sources.append((group_slots[key], group))
                needed.append((in_title[group_slots[key]], group_slots[key]))
            if theme.anchors:
                gates.append((slot, in_title[gated[slot]], gated[slot], tuple(needed)))
        self._gates = tuple(gates)
        self._slot_names = tuple(slot_names)
        self._n_slots = len(slot_names)
        self._matcher = matcher = Matcher(taxonomy, self._off_slot, gated, anchor_sources)
        scoring = taxonomy.scoring
        self._theme_scale = scoring.theme_scale
        self._theme_threshold = scoring.theme_threshold
        # Raw evidence at which a theme is assigned: r / (r + scale) >= threshold.
        self._assign_raw = (
            scoring.theme_scale * scoring.theme_threshold / (1 - scoring.theme_threshold)
        )
        self._near_assign = self._assign_raw * 0.99
        self._secondary_share = scoring.secondary_share
        # Per field, each entry's weight times the field factor; per count, the repeat factor.
        entries = matcher.entries
        self._slot_of = matcher.slot_of
        # Per field, each entry's slot: title matches of gated and anchor terms use title twins.
        title_slots = tuple(in_title.get(slot, slot) for slot in matcher.slot_of)
        self._field_slots = (title_slots, matcher.slot_of, matcher.slot_of)
        self._field_weights = tuple(
            tuple(entry.weight * factor for entry in entries)
            for factor in (scoring.title, scoring.summary, scoring.body)
        )
        self._repeat = tuple(
            1.0 + scoring.repeat_bonus * min(max(count - 1, 0), scoring.max_repeats)
            for count in range(_MAX_COUNT + 1)
        )
        # Evidence order: field, then strongest term first, then alphabetical (as a rank).
        order = sorted(range(len(entries)), key=lambda e: (-entries[e].weight, entries[e].term))
        rank = [0] * len(entries)
        for position, eid in enumerate(order):
            rank[eid] = position
        self._terms = tuple(entry.term for entry in entries)
        # Per field: each entry's sort key (field, rank) and its evidence for a single match.
        self._order = tuple(
            tuple(fi * len(entries) + rank[eid] for eid in range(len(entries)))
            for fi in range(len(FIELDS))
        )
        self._single = tuple(
            tuple(Evidence(entry.term, field, 1) for entry in entries) for field in FIELDS
        )
        # Evidence values are immutable and recur constantly: build each one once.
        self._evidence_cache: dict[tuple[int, int, int], Evidence] = {}
        self._bare_results: dict[float, TagResult] = {}
        self._gated_theme = {gslot: slot for slot, gslot in gated.items()}
        self._gated_theme.update({in_title[g]: slot for g, slot in self._gated_theme.items()})
        self._theme_range = range(len(themes))
        default_share = taxonomy.relevance.theme_actor_share
        self._actor_shares = tuple(
            default_share if theme.actor_share is None else theme.actor_share for theme in themes
        )
        relevance = taxonomy.relevance
        self._threshold = relevance.threshold
        self._theme_share = relevance.theme_share
        self._off_penalty = relevance.off_topic_penalty
        self._actor_scale = relevance.actor_scale
        self._security_scale = relevance.security_scale
        # Per field, each entry's (slot, evidence sort key, single-match evidence): one lookup
        # per matched entry when gathering evidence.
        self._evidence_info = tuple(
            tuple(zip(self._field_slots[fi], self._order[fi], self._single[fi], strict=True))
            for fi in range(len(FIELDS))
        )
        # The raw evidence of every gated slot at once: when all are zero no gate can open.
        gated_slots = [slot for _, gtitle, grest, _ in self._gates for slot in (gtitle, grest)]
        self._gated_values = itemgetter(*gated_slots) if gated_slots else None
        self._count = matcher.count
        self._nothing = self._bare(0.0)

    # -- tagging --------------------------------------------------------------------------

    def tag(
        self, title: str, summary: str = "", body: str = "", lang: str | None = None
    ) -> TagResult:
        """Tag one item. `lang` ("en", "ja", "ko", or a tag like "ko-KR") is a hint; without it
        the language is detected from the script."""
        texts = (
            normalize(title),
            normalize(summary) if summary else None,
            normalize(body) if body else None,
        )
        li = _LANG_INDEX.get(lang[:2].lower(), 0) if lang else -1
        if li <= 0:
            li = LANGS.index(_lang_code(None, texts))
        fields = self._count(li, texts)
        if fields[0] or fields[1] or fields[2]:
            raw, opened = self._raw(fields)
            return self._result(raw, opened, fields)
        return self._nothing  # no term matched anywhere: relevance 0, no themes

    def tag_many(self, items: Iterable[Mapping[str, Any]]) -> list[TagResult]:
        """Tag mappings with title/summary/body/lang keys (missing ones count as empty)."""
        tag = self.tag
        return [
            tag(
                item.get("title") or "",
                item.get("summary") or "",
                item.get("body") or "",
                item.get("lang"),
            )
            for item in items
        ]

    def explain(
        self, title: str, summary: str = "", body: str = "", lang: str | None = None
    ) -> Explanation:
        """Like `tag`, plus raw evidence per slot and the relevance signals that matched."""
        raw, opened, fields, lang_code = self._scan(title, summary, body, lang)
        signals = {
            name: self._evidence(fields, slot)
            for name, slot in (
                (_ACTORS, self._actor_slot),
                (_SECURITY, self._security_slot),
                (_OFF_TOPIC, self._off_slot),
            )
        }
        named_raw = {
            name: round(value, 3)
            for name, value in zip(self._slot_names, raw, strict=True)
            if value
        }
        return Explanation(self._result(raw, opened, fields), lang_code, named_raw, signals)

    def _scan(
        self, title: str, summary: str, body: str, lang: str | None
    ) -> tuple[list[float], tuple[int, ...], list[dict[int, int]], str]:
        """Raw evidence per slot, opened gates, the entry counts per field, the language."""
        texts = (
            normalize(title),
            normalize(summary) if summary else None,
            normalize(body) if body else None,
        )
        lang_code = _lang_code(lang, texts)
        fields = self._matcher.count(LANGS.index(lang_code), texts)
        return *self._raw(fields), fields, lang_code

    def _raw(self, fields: list[dict[int, int]]) -> tuple[list[float], tuple[int, ...]]:
        """Sum weight x field factor (x repeat factor) per slot over all fields, then open the
        context gates: a theme's needs_anchor evidence joins it when all its anchors matched.
        Returns the raw evidence and the gated slots that opened."""
        repeat, weights, field_slots = self._repeat, self._field_weights, self._field_slots
        raw = [0.0] * self._n_slots
        for fi, counts in enumerate(fields):
            if counts:
                field_weights, slot_of = weights[fi], field_slots[fi]
                for eid, count in counts.items():
                    if count == 1:
                        raw[slot_of[eid]] += field_weights[eid]
                    else:
                        raw[slot_of[eid]] += (
                            field_weights[eid] * repeat[count if count < _MAX_COUNT else _MAX_COUNT]
                        )
        opened: tuple[int, ...] = ()
        if self._gates and any(self._gated_values(raw)):
            for slot, gtitle, grest, needed in self._gates:
                title, rest = raw[gtitle], raw[grest]
                if title or rest:
                    anchored_title = all(raw[a] for a, _ in needed)
                    if title and anchored_title:
                        raw[slot] += title
                        opened += (gtitle,)
                    if rest and (anchored_title or all(raw[a] or raw[b] for a, b in needed)):
                        raw[slot] += rest
                        opened += (grest,)
        return raw, opened

    def _title_slots(self, fields: list[dict[int, int]], opened: tuple[int, ...]) -> set[int]:
        """Theme slots with evidence in the title (opened gated slots count for their theme)."""
        slot_of = self._field_slots[0]
        slots = {slot_of[eid] for eid in fields[0]}
        for gslot in opened:
            if gslot in slots:
                slots.add(self._gated_theme[gslot])
        return slots

    def _result(
        self, raw: list[float], opened: tuple[int, ...], fields: list[dict[int, int]]
    ) -> TagResult:
        actor_slot = self._actor_slot
        theme_raw = raw[:actor_slot]
        top = max(theme_raw)
        # Strong theme evidence stands in for a named actor: Korean and Japanese copy about
        # "the defence budget" or "K2 tank exports" rarely says whose, because it is the reader's.
        actors = raw[actor_slot] + max(map(mul, self._actor_shares, theme_raw))
        # Only themes strong enough to be assigned count as security evidence: a stray weak
        # term (a country name listed under a theme) must not make a rice-price story relevant.
        assign = self._assign_raw
        relevance = 0.0
        if actors > 0:
            net = raw[self._security_slot] - self._off_penalty * raw[self._off_slot]
            if top >= assign:
                net += self._theme_share * sum([value for value in theme_raw if value >= assign])
            if net > 0:
                relevance = round(
                    (1.0 - _exp(-actors / self._actor_scale))
                    * (1.0 - _exp(-net / self._security_scale)),
                    3,
                )
        near = self._near_assign
        if top < near:  # most items: no theme, nothing to build
            return self._bare(relevance)
        scale, threshold = self._theme_scale, self._theme_threshold
        # A theme with no title evidence, beside a stronger one, must hold a minimum share of the
        # strongest theme's evidence: a missile launch mentioned as background in a story about
        # something else is not a missile story.
        floor = self._secondary_share * top
        title_slots: set[int] | None = None
        scored = []
        # Cheap pre-filter in C (value >= near); the rounded score decides.
        for slot in compress(self._theme_range, map(near.__le__, theme_raw)):
            value = theme_raw[slot]
            if value < floor:
                if title_slots is None:
                    title_slots = self._title_slots(fields, opened)
                if slot not in title_slots and not title_slots.isdisjoint(self._theme_range):
                    continue
            score = round(value / (value + scale), 3)
            if score >= threshold:
                scored.append((-score, slot))
        if not scored:
            return self._bare(relevance)
        if len(scored) > 1:
            scored.sort()
        groups = self._evidence_groups(fields, {slot: [] for _, slot in scored}, opened)
        theme_ids = self._theme_ids
        themes = tuple(
            [ThemeScore(theme_ids[slot], -negative, groups[slot]) for negative, slot in scored]
        )
        return TagResult(relevance, relevance >= self._threshold, themes)

    def _bare(self, relevance: float) -> TagResult:
        """A result without themes; immutable and fully determined by the relevance: interned."""
        result = self._bare_results.get(relevance)
        if result is None:
            result = TagResult(relevance, relevance >= self._threshold, ())
            if len(self._bare_results) < 4096:
                self._bare_results[relevance] = result
        return result

    def _evidence_groups(
        self,
        fields: list[dict[int, int]],
        groups: dict[int, list[Any]],
        opened: tuple[int, ...] = (),
    ) -> dict[int, tuple[Evidence, ...]]:
        """The evidence of each slot in `groups`, in one pass over the counts: by field, then
        strongest term first. Evidence values are interned: they recur constantly. A theme's
        needs_anchor terms are evidence only when its gate `opened`."""
        wanted = groups
        if opened:
            wanted = dict(groups)
            for gslot in opened:
                group = groups.get(self._gated_theme[gslot])
                if group is not None:
                    wanted[gslot] = group
        for fi, (counts, info) in enumerate(zip(fields, self._evidence_info, strict=True)):
            if counts:
                for eid, count in counts.items():
                    slot, order, single = info[eid]
                    if slot in wanted:
                        wanted[slot].append(
                            (order, single if count == 1 else self._repeated(eid, fi, count))
                        )
        out = {}
        for slot, group in groups.items():
            if len(group) > 1:
                group.sort(key=_first)
            out[slot] = tuple([evidence for _, evidence in group])
        return out

    def _repeated(self, eid: int, fi: int, count: int) -> Evidence:
        cache = self._evidence_cache
        key = (eid, fi, count)
        evidence = cache.get(key)
        if evidence is None:
            if len(cache) > 50_000:
                cache.clear()
            evidence = cache[key] = Evidence(self._terms[eid], FIELDS[fi], count)
        return evidence

    def _evidence(self, fields: list[dict[int, int]], slot: int) -> tuple[Evidence, ...]:
        return self._evidence_groups(fields, {slot: []})[slot]


def tag_many(tagger: Tagger, items: Iterable[Mapping[str, Any]]) -> list[TagResult]:
    """Module-level alias of `Tagger.tag_many` for callers holding a tagger."""
    return tagger.tag_many(items)


def _lang_code(hint: str | None, texts: tuple[str | None, ...]) -> str:
    if hint:
        prefix = hint[:2].lower()
        if prefix in ("ja", "ko"):
            return prefix
    for text in texts:
        if text is not None and not text.isascii():
            return detect_lang(text)
    return "en"
