"""Scoring: turns the matcher's counts into raw evidence per slot, relevance, themes, evidence.

Everything here runs once per item, so everything that depends only on the taxonomy is looked up
in tables built once (`Scorer.__init__`): per field and matcher value, the slot it feeds, its
weight times the field factor, and, for theme terms, a ready-made evidence record. One pass over
the counts then sums the raw evidence and notes the theme matches ("hits"); evidence is built
from the hits only for the themes that are assigned.

Float sums are order-sensitive, so the pass adds terms in a fixed order: per field, entries in
order of first appearance, then the entries behind special values (see `Matcher.count_values`),
which is the order an entry-by-entry count leaves them in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import exp as _exp

from jkwatch.ingest.tagging.matcher import Matcher
from jkwatch.ingest.tagging.results import (
    FIELDS,
    Evidence,
    TagResult,
    build_tag_result,
    build_theme_score,
)
from jkwatch.ingest.tagging.schema import Taxonomy

__all__ = ["Hit", "Layout", "Scorer", "round3"]

_MAX_COUNT = 64  # repeat factors are precomputed up to here (more repeats add nothing anyway)

# A theme match, noted while summing: ((order, slot, single-match evidence, entry, field), count).
# `order` (field, then strongest term first, then alphabetical) is unique per field and entry, so
# sorting hits sorts evidence.
Hit = tuple[tuple[int, int, Evidence, int, int], int]


def round3(x: float) -> float:
    """`round(x, 3)`, to the last bit, without its trip through decimal digits.

    Python rounds by converting to a correctly rounded decimal string and back, which is a
    noticeable share of scoring an item. For 0 <= x < 1000, `x * 1000` is within 6e-11 of the
    exact product, so unless its fraction lies within 1e-9 of one half, its nearest integer k is
    the exact product's, and `k / 1000` (a correctly rounded division) is the double nearest
    to k/1000: what `round` returns. Anything else (near a tie, negative, large, NaN) takes
    `round` itself. `tests/test_tagging_round.py` checks ties, their neighbours and samples.
    """
    scaled = x * 1000.0
    if 0.0 <= scaled < 1e6:
        whole = scaled // 1.0
        fraction = scaled - whole
        if fraction < 0.499999999:
            return whole / 1000.0
        if fraction > 0.500000001:
            return (whole + 1.0) / 1000.0
    return round(x, 3)


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each signal is summed: themes first, then actors, security, off-topic, then the
    context-rule slots the tagger adds (gated needs_anchor terms, anchor groups)."""

    n_slots: int
    theme_ids: tuple[str, ...]
    actor_slot: int
    security_slot: int
    off_slot: int
    # summary/body slot -> its title twin (gated and anchor slots)
    in_title: Mapping[int, int]
    # (theme slot, gated title slot, gated summary/body slot, (anchor title twins, anchor slots))
    gates: tuple[tuple[int, int, int, tuple[tuple[int, ...], tuple[int, ...]]], ...]
    # gated slot (either twin) -> its theme slot
    gated_theme: Mapping[int, int]


class Scorer:
    """Scores matcher counts for one taxonomy; built once per Tagger."""

    def __init__(self, taxonomy: Taxonomy, matcher: Matcher, layout: Layout) -> None:
        self.layout = layout
        scoring, relevance = taxonomy.scoring, taxonomy.relevance
        entries = matcher.entries
        n = self._n_entries = len(entries)
        self._n_slots = layout.n_slots
        self._n_themes = len(layout.theme_ids)
        self._theme_ids = layout.theme_ids
        self._theme_range = range(self._n_themes)
        self._actor_slot = layout.actor_slot
        self._security_slot = layout.security_slot
        self._off_slot = layout.off_slot
        self._gates = layout.gates
        self._gated_theme = dict(layout.gated_theme)
        gated_slots = [slot for _, title, rest, _ in layout.gates for slot in (title, rest)]
        self._any_gated = tuple(gated_slots)
        # Scoring settings.
        self._theme_scale = scoring.theme_scale
        self._theme_threshold = scoring.theme_threshold
        # Raw evidence at which a theme is assigned: r / (r + scale) >= threshold.
        self._assign_raw = (
            scoring.theme_scale * scoring.theme_threshold / (1 - scoring.theme_threshold)
        )
        self._near_assign = self._assign_raw * 0.99
        self._secondary_share = scoring.secondary_share
        self._repeat = tuple(
            1.0 + scoring.repeat_bonus * min(max(count - 1, 0), scoring.max_repeats)
            for count in range(_MAX_COUNT + 1)
        )
        self._actor_shares = tuple(
            relevance.theme_actor_share if theme.actor_share is None else theme.actor_share
            for theme in taxonomy.themes
        )
        self._threshold = relevance.threshold
        self._theme_share = relevance.theme_share
        self._off_penalty = relevance.off_topic_penalty
        self._actor_scale = relevance.actor_scale
        self._security_scale = relevance.security_scale
        # Per field: each entry's slot (title matches of gated and anchor terms use title twins)
        # and weight x field factor.
        title_slots = tuple(layout.in_title.get(slot, slot) for slot in matcher.slot_of)
        self._field_slots = (title_slots, matcher.slot_of, matcher.slot_of)
        factors = (scoring.title, scoring.summary, scoring.body)
        self._field_weights = tuple(
            tuple(entry.weight * factor for entry in entries) for factor in factors
        )
        self._terms = tuple(entry.term for entry in entries)
        # Evidence order: field, then strongest term first, then alphabetical (as a rank).
        order = sorted(range(n), key=lambda e: (-entries[e].weight, entries[e].term))
        rank = [0] * n
        for position, eid in enumerate(order):
            rank[eid] = position
        self._rank = tuple(rank)
        self._singles = tuple(
            tuple(Evidence(entry.term, field, 1) for entry in entries) for field in FIELDS
        )
        themed = set(self._theme_range) | set(self._gated_theme)
        # Per field and entry: (slot, weight, its hit for a single match, or None). Hits only
        # for entries whose slot is a theme's (or a gated twin): the only evidence a result shows.
        self._entry_plans = tuple(
            tuple(
                (
                    slot,
                    weight,
                    ((fi * n + rank[eid], slot, self._singles[fi][eid], eid, fi), 1)
                    if slot in themed
                    else None,
                )
                for eid, (slot, weight) in enumerate(
                    zip(self._field_slots[fi], self._field_weights[fi], strict=True)
                )
            )
            for fi in range(len(FIELDS))
        )
        # Per language and field, each special value's entries as plan rows (matcher order).
        self._special_plans = tuple(
            tuple(
                tuple(tuple(self._entry_plans[fi][eid] for eid in ids) for ids in specials)
                for fi in range(len(FIELDS))
            )
            for specials in matcher.special_entries
        )
        # Evidence values are immutable and recur constantly: build each one once.
        self._evidence_cache: dict[tuple[int, int, int], Evidence] = {}
        self._bare_results: dict[float, TagResult] = {}
        self.nothing = self.bare(0.0)

    # -- raw evidence -----------------------------------------------------------------------

    def raw(
        self, fields: Sequence[dict[int, int]], li: int
    ) -> tuple[list[float], tuple[int, ...], list[Hit]]:
        """Raw evidence per slot, the gated slots that opened, and the theme hits.

        `fields` are value counts per field (`Matcher.count_values`; entry ids only, as from
        `Matcher.count`, work too). Sums weight x field factor (x repeat factor) per slot, then
        opens the context gates: a theme's needs_anchor evidence joins it when all its anchors
        matched (in the title: for every field; further down: for that part only).
        """
        repeat, n = self._repeat, self._n_entries
        raw = [0.0] * self._n_slots
        hits: list[Hit] = []
        for fi, counts in enumerate(fields):
            if not counts:
                continue
            plan = self._entry_plans[fi]
            later = None
            for value, count in counts.items():
                if value >= n:  # a special value: its entries come after the plain ones
                    if later is None:
                        later = [(value, count)]
                    else:
                        later.append((value, count))
                elif count == 1:
                    slot, weight, hit = plan[value]
                    raw[slot] += weight
                    if hit is not None:
                        hits.append(hit)
                else:
                    slot, weight, hit = plan[value]
                    raw[slot] += weight * repeat[count if count < _MAX_COUNT else _MAX_COUNT]
                    if hit is not None:
                        hits.append((hit[0], count))
            if later is not None:
                specials = self._special_plans[li][fi]
                for value, count in later:
                    if count == 1:
                        for slot, weight, hit in specials[value - n]:
                            raw[slot] += weight
                            if hit is not None:
                                hits.append(hit)
                        continue
                    factor = repeat[count if count < _MAX_COUNT else _MAX_COUNT]
                    for slot, weight, hit in specials[value - n]:
                        raw[slot] += weight * factor
                        if hit is not None:
                            hits.append((hit[0], count))
        opened: tuple[int, ...] = ()
        for slot in self._any_gated:
            if raw[slot]:
                opened = self._open_gates(raw)
                break
        return raw, opened, hits

    def _open_gates(self, raw: list[float]) -> tuple[int, ...]:
        """Add each theme's gated evidence whose anchors matched; return the opened slots."""
        opened: tuple[int, ...] = ()
        for slot, gtitle, grest, twins in self._gates:
            title, rest = raw[gtitle], raw[grest]
            if title or rest:
                title_twins, rest_slots = twins
                anchored_title = all(map(raw.__getitem__, title_twins))
                if title and anchored_title:
                    raw[slot] += title
                    opened += (gtitle,)
                if rest and (
                    anchored_title
                    or all(raw[a] or raw[b] for a, b in zip(title_twins, rest_slots, strict=True))
                ):
                    raw[slot] += rest
                    opened += (grest,)
        return opened

    # -- the result -----------------------------------------------------------------------

    def result(
        self, raw: list[float], opened: tuple[int, ...], hits: list[Hit], li: int = 0
    ) -> TagResult:
        """Relevance and assigned themes (with evidence) from raw evidence and theme hits.

        `li` is the text's language index (0 English): strong theme evidence stands in for a
        missing actor only in Japanese and Korean copy, whose readers are the actor. In English
        it can strengthen a named actor but not replace one: English copy about Japan or Korea
        names them (or their own systems and places, which are actors), and English defence
        news that does not (a Pentagon reshuffle, Patriots sent to the Gulf) is about someone
        else."""
        # One pass over the themes: the strongest, the best stand-in for an actor, and the
        # candidates that may reach the threshold (in slot order; the rounded score decides).
        # Plain loops throughout: on lists this short they beat comprehensions and map().
        top = bonus = 0.0
        candidates = []
        near, shares = self._near_assign, self._actor_shares
        for slot in self._theme_range:
            value = raw[slot]
            if value:
                if value > top:
                    top = value
                if shares[slot] * value > bonus:
                    bonus = shares[slot] * value
                if value >= near:
                    candidates.append(slot)
        if not li and not raw[self._actor_slot]:
            bonus = 0.0
        relevance = self._relevance(raw, top, bonus, candidates)
        if not candidates:  # most items: no theme, nothing to build
            return self.bare(relevance)
        scale, threshold = self._theme_scale, self._theme_threshold
        # A theme with no title evidence, beside a stronger one, must hold a minimum share of the
        # strongest theme's evidence: a missile launch mentioned as background in a story about
        # something else is not a missile story.
        floor = self._secondary_share * top
        title_slots: set[int] | None = None
        scored = []
        for slot in candidates:
            value = raw[slot]
            if value < floor:
                if title_slots is None:
                    title_slots = self._title_slots(hits, opened)
                if slot not in title_slots and not title_slots.isdisjoint(self._theme_range):
                    continue
            score = round3(value / (value + scale))
            if score >= threshold:
                scored.append((-score, slot))
        if not scored:
            return self.bare(relevance)
        if len(scored) > 1:
            scored.sort()
        theme_ids = self._theme_ids
        themes = []
        for negative, slot in scored:
            evidence = self._evidence(hits, slot, opened)
            themes.append(build_theme_score(theme_ids[slot], -negative, evidence))
        return build_tag_result(relevance, relevance >= self._threshold, tuple(themes))

    def _relevance(
        self, raw: list[float], top: float, bonus: float, candidates: list[int]
    ) -> float:
        """Actor strength x security strength, each squashed into [0, 1), rounded to 3 places.

        Strong theme evidence stands in for a named actor (`bonus`: the largest theme evidence
        x that theme's actor share): Korean and Japanese copy about "the defence budget" or "K2
        tank exports" rarely says whose, because it is the reader's. Only themes strong enough
        to be assigned count as security evidence: a stray weak term (a country name listed
        under a theme) must not make a rice-price story relevant.
        """
        actors = raw[self._actor_slot]
        if top:
            actors += bonus
        if actors <= 0:
            return 0.0
        net = raw[self._security_slot] - self._off_penalty * raw[self._off_slot]
        assign = self._assign_raw
        if top >= assign:
            strong = []
            for slot in candidates:
                if raw[slot] >= assign:
                    strong.append(raw[slot])
            net += self._theme_share * sum(strong)
        if net <= 0:
            return 0.0
        return round3(
            (1.0 - _exp(-actors / self._actor_scale)) * (1.0 - _exp(-net / self._security_scale))
        )

    def _title_slots(self, hits: list[Hit], opened: tuple[int, ...]) -> set[int]:
        """Theme slots with evidence in the title (opened gated slots count for their theme)."""
        n = self._n_entries
        slots = {key[1] for key, _ in hits if key[0] < n}
        for gslot in opened:
            if gslot in slots:
                slots.add(self._gated_theme[gslot])
        return slots

    def theme_evidence(
        self, hits: list[Hit], slot: int, opened: tuple[int, ...]
    ) -> tuple[Evidence, ...]:
        """A theme's keyword evidence, for themes assigned outside `result` (the learned layer)."""
        return self._evidence(hits, slot, opened)

    def _evidence(
        self, hits: list[Hit], slot: int, opened: tuple[int, ...]
    ) -> tuple[Evidence, ...]:
        """A theme's evidence from the hits: its own terms, plus its needs_anchor terms when
        their gate opened, by field and then strongest term first."""
        mine = []
        gated = [gslot for gslot in opened if self._gated_theme[gslot] == slot] if opened else ()
        if gated:
            slots = {slot, *gated}
            for hit in hits:
                if hit[0][1] in slots:
                    mine.append(hit)
        else:
            for hit in hits:
                if hit[0][1] == slot:
                    mine.append(hit)
        if len(mine) > 1:
            mine.sort()  # by order: field, then strongest term first (unique per hit)
        evidence = []
        for key, count in mine:
            evidence.append(key[2] if count == 1 else self._repeated(key[3], key[4], count))
        return tuple(evidence)

    def signal_evidence(self, fields: Sequence[dict[int, int]], slot: int) -> tuple[Evidence, ...]:
        """The evidence of a relevance signal (actors, security, off-topic) from entry counts
        (`Matcher.count`), for explanations: by field, then strongest term first."""
        found = []
        for fi, counts in enumerate(fields):
            slots = self._field_slots[fi]
            for eid, count in counts.items():
                if slots[eid] == slot:
                    found.append((fi, self._rank[eid], eid, count))
        found.sort()
        return tuple(
            self.single(eid, fi) if count == 1 else self._repeated(eid, fi, count)
            for fi, _, eid, count in found
        )

    def single(self, eid: int, fi: int) -> Evidence:
        """The evidence of one match of entry `eid` in field `fi` (built once)."""
        return self._singles[fi][eid]

    def bare(self, relevance: float) -> TagResult:
        """A result without themes; immutable and fully determined by the relevance: interned."""
        result = self._bare_results.get(relevance)
        if result is None:
            result = TagResult(relevance, relevance >= self._threshold, ())
            if len(self._bare_results) < 4096:
                self._bare_results[relevance] = result
        return result

    def _repeated(self, eid: int, fi: int, count: int) -> Evidence:
        """The evidence `count` matches of entry `eid` in field `fi`, interned."""
        cache = self._evidence_cache
        key = (eid, fi, count)
        evidence = cache.get(key)
        if evidence is None:
            if len(cache) > 50_000:
                cache.clear()
            evidence = cache[key] = Evidence(self._terms[eid], FIELDS[fi], count)
        return evidence
