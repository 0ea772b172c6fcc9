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
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import mul
from typing import Any

from ingest.tagging.matcher import Matcher, term_keys
from ingest.tagging.results import FIELDS, Evidence, TagResult, ThemeScore
from ingest.tagging.taxonomy import LANGS, Taxonomy
from ingest.tagging.text import detect_lang, normalize

__all__ = ["Explanation", "Tagger", "tag_many"]

_ACTORS, _SECURITY, _OFF_TOPIC = "actors", "security", "off_topic"
_keys = term_keys  # the name the benchmark used before the matcher had its own module
_LANG_INDEX = {lang: index for index, lang in enumerate(LANGS)}
_MAX_COUNT = 64  # repeat factors are precomputed up to here (more repeats add nothing anyway)


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
        self._slot_names = self._theme_ids + (_ACTORS, _SECURITY, _OFF_TOPIC)
        self._actor_slot = len(themes)
        self._n_slots = len(self._slot_names)
        self._security_slot = len(themes) + 1
        self._off_slot = len(themes) + 2
        self._matcher = matcher = Matcher(taxonomy, self._off_slot)
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
        self._rank = tuple(rank)
        self._terms = tuple(entry.term for entry in entries)
        # Evidence values are immutable and recur constantly: build each one once.
        self._evidence_cache: dict[tuple[int, int, int], Evidence] = {}
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
        fields = self._matcher.count(li, texts)
        return self._result(self._raw(fields), fields)

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
        raws, fields, lang_code = self._scan(title, summary, body, lang)
        raw = raws[0]
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
        return Explanation(self._result(raws, fields), lang_code, named_raw, signals)

    def _scan(
        self, title: str, summary: str, body: str, lang: str | None
    ) -> tuple[tuple[list[float], list[float]], list[dict[int, int]], str]:
        """Raw evidence per slot (total, title only), the entry counts per field, the language."""
        texts = (
            normalize(title),
            normalize(summary) if summary else None,
            normalize(body) if body else None,
        )
        lang_code = _lang_code(lang, texts)
        fields = self._matcher.count(LANGS.index(lang_code), texts)
        return self._raw(fields), fields, lang_code

    def _raw(self, fields: list[dict[int, int]]) -> tuple[list[float], list[float]]:
        """Sum weight x field factor (x repeat factor) per slot: all fields, and the title."""
        slot_of, repeat, weights = self._slot_of, self._repeat, self._field_weights
        title = [0.0] * self._n_slots
        for eid, count in fields[0].items():
            if count == 1:
                title[slot_of[eid]] += weights[0][eid]
            else:
                title[slot_of[eid]] += weights[0][eid] * repeat[min(count, _MAX_COUNT)]
        if not fields[1] and not fields[2]:
            return title, title
        raw = title.copy()
        for fi in (1, 2):
            field_weights = weights[fi]
            for eid, count in fields[fi].items():
                if count == 1:
                    raw[slot_of[eid]] += field_weights[eid]
                else:
                    raw[slot_of[eid]] += field_weights[eid] * repeat[min(count, _MAX_COUNT)]
        return raw, title

    def _result(
        self, raws: tuple[list[float], list[float]], fields: list[dict[int, int]]
    ) -> TagResult:
        raw, title_raw = raws
        actor_slot = self._actor_slot
        theme_raw = raw[:actor_slot]
        top = max(theme_raw)
        # Strong theme evidence stands in for a named actor: Korean and Japanese copy about
        # "the defence budget" or "K2 tank exports" rarely says whose, because it is the reader's.
        actors = raw[actor_slot] + max(map(mul, self._actor_shares, theme_raw))
        # Only themes strong enough to be assigned count as security evidence: a stray weak
        # term (a country name listed under a theme) must not make a rice-price story relevant.
        assign = self._assign_raw
        strong = sum(value for value in theme_raw if value >= assign) if top >= assign else 0
        relevance = 0.0
        if actors > 0:
            net = (
                raw[self._security_slot]
                + self._theme_share * strong
                - self._off_penalty * raw[self._off_slot]
            )
            if net > 0:
                relevance = round(
                    (1.0 - math.exp(-actors / self._actor_scale))
                    * (1.0 - math.exp(-net / self._security_scale)),
                    3,
                )
        relevant = relevance >= self._threshold
        near = self._near_assign
        if top < near:  # most items: no theme, nothing to build
            return TagResult(relevance, relevant, ())
        scale, threshold = self._theme_scale, self._theme_threshold
        # A theme with no title evidence, beside a stronger one, must hold a minimum share of the
        # strongest theme's evidence: a missile launch mentioned as background in a story about
        # something else is not a missile story.
        floor = self._secondary_share * top
        top_in_title = max(title_raw[:actor_slot]) > 0
        scored = []
        for slot, value in enumerate(theme_raw):
            if value >= near:  # cheap pre-filter; the rounded score decides
                if value < floor and top_in_title and not title_raw[slot]:
                    continue
                score = round(value / (value + scale), 3)
                if score >= threshold:
                    scored.append((-score, slot))
        if len(scored) > 1:
            scored.sort()
        theme_ids, evidence = self._theme_ids, self._evidence
        themes = tuple(
            ThemeScore(theme_ids[slot], -negative, evidence(fields, slot))
            for negative, slot in scored
        )
        return TagResult(relevance, relevant, themes)

    def _evidence(self, fields: list[dict[int, int]], slot: int) -> tuple[Evidence, ...]:
        slot_of, rank = self._slot_of, self._rank
        chosen = [
            (fi, rank[eid], eid, count)
            for fi, counts in enumerate(fields)
            for eid, count in counts.items()
            if slot_of[eid] == slot
        ]
        if not chosen:
            return ()
        if len(chosen) > 1:
            chosen.sort()
        cache = self._evidence_cache
        out = []
        for fi, _, eid, count in chosen:
            key = (eid, fi, count)
            evidence = cache.get(key)
            if evidence is None:
                if len(cache) > 50_000:
                    cache.clear()
                evidence = cache[key] = Evidence(self._terms[eid], FIELDS[fi], count)
            out.append(evidence)
        return tuple(out)


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
