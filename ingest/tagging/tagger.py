"""The tagger: one Aho-Corasick automaton for the whole taxonomy, built once, one scan per item.

Every term of every theme and relevance list is compiled into a single pyahocorasick automaton,
so tagging an item costs one normalisation per field and one scan of the fields joined by
newlines (no key contains one), whatever the taxonomy size.

Matching. English keys are padded (" missile ") and scanned against padded, punctuation-free text
(see `text.normalize`), which makes them word-boundary aware; their plural and -ed/-ing forms are
generated at build time. Japanese and Korean keys are bare substrings (particles attach to nouns)
and only apply to text in that language, so the Korean headline abbreviation 北 never fires inside
北海道 in a Japanese item. English keys apply in every language (THAAD, GSOMIA in CJK copy).
An `exclude` phrase masks the matches it overlaps: "security guard" hides "security"; a theme's
own exclusions only mask that theme's terms.

Scoring. Per field, each matched term adds weight * field factor, plus a small bonus for repeats.
A theme's raw evidence r maps to r / (r + theme_scale); themes at or above theme_threshold are
assigned. Relevance multiplies an actor strength (Japan, Korea, North Korea and their forces...)
by a security strength (security vocabulary plus a share of the evidence of assigned themes,
minus off-topic vocabulary such as markets, sport or weather), each squashed with
1 - exp(-x / scale). Strong theme evidence also stands in for an actor (per-theme actor_share):
Korean copy about "the defence budget" seldom says whose.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter, mul
from typing import Any

import ahocorasick

from ingest.tagging.results import FIELDS, Evidence, TagResult, ThemeScore
from ingest.tagging.taxonomy import LANGS, Taxonomy, Term
from ingest.tagging.text import detect_lang, english_variants, normalize, strip_cjk_spaces

__all__ = ["Explanation", "Tagger", "tag_many"]

_ACTORS, _SECURITY, _OFF_TOPIC = "actors", "security", "off_topic"
_ALL = -1  # mask target: every slot except off-topic
_FIELD = 1 << 20  # hit codes: field index * _FIELD + entry id


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything behind a TagResult, for `eval` misses and debugging taxonomy edits."""

    result: TagResult
    lang: str
    raw: Mapping[str, float]
    signals: Mapping[str, tuple[Evidence, ...]]  # actors / security / off_topic evidence


@dataclass(slots=True)
class _Entry:
    slot: int
    term: str
    weight: float
    langs: set[str]


class Tagger:
    """Tags items against one taxonomy. Build once and reuse: construction compiles the automaton."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        themes = taxonomy.themes
        self._theme_ids = tuple(theme.id for theme in themes)
        self._slot_names = self._theme_ids + (_ACTORS, _SECURITY, _OFF_TOPIC)
        self._actor_slot = len(themes)
        self._security_slot = len(themes) + 1
        self._off_slot = len(themes) + 2
        scoring = taxonomy.scoring
        self._factors = (scoring.title, scoring.summary, scoring.body)
        self._bonus = scoring.repeat_bonus
        self._max_repeats = scoring.max_repeats
        self._theme_scale = scoring.theme_scale
        self._theme_threshold = scoring.theme_threshold
        # Raw evidence at which a theme is assigned: r / (r + scale) >= threshold.
        self._assign_raw = (
            scoring.theme_scale * scoring.theme_threshold / (1 - scoring.theme_threshold)
        )
        self._near_assign = self._assign_raw * 0.99
        # Evidence values are immutable and recur constantly: build each one once.
        self._evidence_cache: dict[tuple[int, int, int], Evidence] = {}
        default_share = taxonomy.relevance.theme_actor_share
        self._actor_shares = tuple(
            default_share if theme.actor_share is None else theme.actor_share for theme in themes
        )
        self._automaton, self._slot, self._weight, self._term = self._compile()

    # -- building -------------------------------------------------------------------------

    def _compile(self) -> tuple[Any, tuple[int, ...], tuple[float, ...], tuple[str, ...]]:
        relevance = self.taxonomy.relevance
        sources: list[tuple[int, Iterable[Term]]] = [
            (slot, theme.terms) for slot, theme in enumerate(self.taxonomy.themes)
        ]
        sources += [
            (self._actor_slot, relevance.actors),
            (self._security_slot, relevance.security),
            (self._off_slot, relevance.off_topic),
        ]
        entries: list[_Entry] = []
        entry_ids: dict[tuple[int, str], int] = {}
        keys: dict[str, dict[str, set[int]]] = {}  # key -> lang -> entry ids
        masks: dict[str, dict[str, set[int]]] = {}  # key -> lang -> masked slots

        for slot, terms in sources:
            for term in terms:
                identity = (slot, normalize(term.text))
                eid = entry_ids.get(identity)
                if eid is None:
                    eid = entry_ids[identity] = len(entries)
                    entries.append(_Entry(slot, term.text, term.weight, set()))
                entry = entries[eid]
                entry.weight = max(entry.weight, term.weight)
                entry.langs.add(term.lang)
                for key in _keys(term):
                    keys.setdefault(key, {}).setdefault(term.lang, set()).add(eid)

        exclusions: list[tuple[int, Iterable[Term]]] = [(_ALL, relevance.exclude)]
        exclusions += [(slot, theme.exclude) for slot, theme in enumerate(self.taxonomy.themes)]
        for slot, terms in exclusions:
            for term in terms:
                for key in _keys(term):
                    masks.setdefault(key, {}).setdefault(term.lang, set()).add(slot)

        # The automaton's value is just the key's index: the scan then counts keys with a C-level
        # Counter instead of a Python loop per match, and these per-language tables say what a
        # key means in a text of each language.
        automaton = ahocorasick.Automaton()
        key_ids: list[list[tuple[int, ...]]] = [[] for _ in LANGS]
        key_masks: list[list[tuple[int, ...]]] = [[] for _ in LANGS]
        spans: list[tuple[int, int]] = []
        for index, key in enumerate(sorted(set(keys) | set(masks))):
            by_lang = keys.get(key, {})
            mask_by_lang = masks.get(key, {})
            for li, text_lang in enumerate(LANGS):
                # English keys apply to every text; a CJK key only to text in its language. A
                # term that also has a key of the text's own language is matched by that key only,
                # so "NATO" listed in en and ja is not counted twice in Japanese text.
                ids = set(by_lang.get(text_lang, ()))
                if text_lang != "en":
                    ids |= {e for e in by_lang.get("en", ()) if text_lang not in entries[e].langs}
                key_ids[li].append(tuple(sorted(ids)))
                slots = mask_by_lang.get(text_lang, set()) | mask_by_lang.get("en", set())
                key_masks[li].append(tuple(sorted(slots)))
            padded = key.startswith(" ")
            # (start, end) offsets from the reported end index: the word without its padding.
            spans.append((len(key) - 2 if padded else len(key) - 1, 1 if padded else 0))
            automaton.add_word(key, index)
        automaton.make_automaton()
        self._key_ids = tuple(tuple(ids) for ids in key_ids)
        self._key_masks = tuple(tuple(m) for m in key_masks)
        self._mask_keys = tuple(
            frozenset(k for k, m in enumerate(masks_of) if m) for masks_of in key_masks
        )
        self._spans = tuple(spans)
        # Evidence order: strongest term first, then alphabetical; precomputed as a rank.
        order = sorted(range(len(entries)), key=lambda e: (-entries[e].weight, entries[e].term))
        rank = [0] * len(entries)
        for position, eid in enumerate(order):
            rank[eid] = position
        self._rank = tuple(rank)
        return (
            automaton,
            tuple(e.slot for e in entries),
            tuple(e.weight for e in entries),
            tuple(e.term for e in entries),
        )

    # -- tagging --------------------------------------------------------------------------

    def tag(
        self, title: str, summary: str = "", body: str = "", lang: str | None = None
    ) -> TagResult:
        """Tag one item. `lang` ("en", "ja", "ko", or a tag like "ko-KR") is a hint; without it
        the language is detected from the script."""
        raw, hits, _ = self._scan(title, summary, body, lang)
        return self._result(raw, hits)

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
        raw, hits, lang_code = self._scan(title, summary, body, lang)
        signals = {
            name: self._evidence(hits, slot)
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
        return Explanation(self._result(raw, hits), lang_code, named_raw, signals)

    def _scan(
        self, title: str, summary: str, body: str, lang: str | None
    ) -> tuple[list[float], list[tuple[int, int, int]], str]:
        """Raw evidence per slot and the (entry, field, count) hits, from one automaton pass.

        The normalised fields are joined with newlines (no key contains one, so no match spans
        two fields) and scanned once; a match's end position says which field it is in.
        """
        texts = (
            normalize(title),
            normalize(summary) if summary else " ",
            normalize(body) if body else " ",
        )
        lang_code = _lang_code(lang, texts)
        li = LANGS.index(lang_code)
        raw = [0.0] * len(self._slot_names)
        hits: list[tuple[int, int, int]] = []
        text = "\n".join(texts)
        matches = list(self._automaton.iter(text))
        if not matches:
            return raw, hits, lang_code
        title_end = len(texts[0])
        summary_end = title_end + 1 + len(texts[1])
        if self._mask_keys[li].isdisjoint(map(itemgetter(1), matches)):
            counts: dict[int, int] = {}
            get = counts.get
            ids_of = self._key_ids[li]
            for end, key in matches:
                ids = ids_of[key]
                if ids:
                    base = 0 if end < title_end else _FIELD if end < summary_end else 2 * _FIELD
                    for eid in ids:
                        counts[base + eid] = get(base + eid, 0) + 1
        else:
            counts = self._count_masked(matches, li, title_end, summary_end)
        slot_of, weight_of, factors = self._slot, self._weight, self._factors
        bonus, max_repeats = self._bonus, self._max_repeats
        for code, count in counts.items():
            fi, eid = divmod(code, _FIELD)
            slot = slot_of[eid]
            if count == 1:
                raw[slot] += factors[fi] * weight_of[eid]
            else:
                raw[slot] += (
                    factors[fi] * weight_of[eid] * (1.0 + bonus * min(count - 1, max_repeats))
                )
            hits.append((eid, fi, count))
        return raw, hits, lang_code

    def _count_masked(
        self, matches: list[tuple[int, int]], li: int, title_end: int, summary_end: int
    ) -> dict[int, int]:
        """The slow path, only for texts containing an exclusion phrase: compare positions."""
        spans = self._spans
        located = [(end - spans[key][0], end - spans[key][1], key) for end, key in matches]
        key_masks, ids_of = self._key_masks[li], self._key_ids[li]
        masks = [(a, b, slot) for a, b, key in located for slot in key_masks[key]]
        counts: dict[int, int] = {}
        off_slot = self._off_slot
        for start, stop, key in located:
            base = 0 if stop < title_end else _FIELD if stop < summary_end else 2 * _FIELD
            for eid in ids_of[key]:
                slot = self._slot[eid]
                hidden = any(
                    a <= stop
                    and start <= b
                    and (mask == slot or (mask == _ALL and slot != off_slot))
                    for a, b, mask in masks
                )
                if not hidden:
                    counts[base + eid] = counts.get(base + eid, 0) + 1
        return counts

    def _result(self, raw: list[float], hits: list[tuple[int, int, int]]) -> TagResult:
        scale, threshold, near = self._theme_scale, self._theme_threshold, self._near_assign
        scored = []
        for slot, value in enumerate(raw[: self._actor_slot]):
            if value >= near:  # cheap pre-filter; the rounded score decides
                score = round(value / (value + scale), 3)
                if score >= threshold:
                    scored.append((-score, slot))
        scored.sort()
        themes = tuple(
            ThemeScore(self._theme_ids[slot], -negative, self._evidence(hits, slot))
            for negative, slot in scored
        )
        relevance = self._relevance(raw)
        return TagResult(relevance, relevance >= self.taxonomy.relevance.threshold, themes)

    def _relevance(self, raw: list[float]) -> float:
        config = self.taxonomy.relevance
        theme_raw = raw[: self._actor_slot]
        # Strong theme evidence stands in for a named actor: Korean and Japanese copy about
        # "the defence budget" or "K2 tank exports" rarely says whose, because it is the reader's.
        actors = raw[self._actor_slot] + max(map(mul, self._actor_shares, theme_raw))
        if actors <= 0:
            return 0.0
        # Only themes strong enough to be assigned count as security evidence: a stray weak
        # term (a country name listed under a theme) must not make a rice-price story relevant.
        assign = self._assign_raw
        net = (
            raw[self._security_slot]
            + config.theme_share * sum(value for value in theme_raw if value >= assign)
            - config.off_topic_penalty * raw[self._off_slot]
        )
        if net <= 0:
            return 0.0
        actor_strength = 1.0 - math.exp(-actors / config.actor_scale)
        security_strength = 1.0 - math.exp(-net / config.security_scale)
        return round(actor_strength * security_strength, 3)

    def _evidence(self, hits: list[tuple[int, int, int]], slot: int) -> tuple[Evidence, ...]:
        slot_of = self._slot
        chosen = [hit for hit in hits if slot_of[hit[0]] == slot]
        if not chosen:
            return ()
        if len(chosen) > 1:
            rank = self._rank
            chosen = sorted(chosen, key=lambda hit: (hit[1], rank[hit[0]]))
        cache = self._evidence_cache
        out = []
        for hit in chosen:
            evidence = cache.get(hit)
            if evidence is None:
                if len(cache) > 50_000:
                    cache.clear()
                eid, fi, count = hit
                evidence = cache[hit] = Evidence(self._term[eid], FIELDS[fi], count)
            out.append(evidence)
        return tuple(out)


def tag_many(tagger: Tagger, items: Iterable[Mapping[str, Any]]) -> list[TagResult]:
    """Module-level alias of `Tagger.tag_many` for callers holding a tagger."""
    return tagger.tag_many(items)


def _keys(term: Term) -> set[str]:
    """Automaton keys for a term: padded inflections in English, bare substrings in CJK."""
    if term.lang == "en":
        return {f" {form} " for form in english_variants(term.text, exact=term.exact) if form}
    key = normalize(term.text).strip()
    return {key, strip_cjk_spaces(f" {key} ").strip()}


def _lang_code(hint: str | None, texts: tuple[str, ...]) -> str:
    if hint:
        prefix = hint[:2].lower()
        if prefix in ("ja", "ko"):
            return prefix
    for text in texts:
        if not text.isascii():
            return detect_lang(text)
    return "en"
