"""The tagger: the slot layout of a taxonomy, one compiled matcher and its scorer, and the API.

Tagging an item costs one normalisation and one automaton scan per field (see `matcher`), then a
little arithmetic per matched term (see `scoring`); result objects are built only for assigned
themes, and evidence values (immutable, recurring constantly) are interned. `explain` takes the
plain entry-by-entry path (`Matcher.count`) through the same scorer; the golden test pins both.

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
from typing import Any

from jkwatch.ingest.tagging.learned import ORPHAN_THRESHOLD, model_text
from jkwatch.ingest.tagging.matcher import Matcher, term_keys
from jkwatch.ingest.tagging.results import (
    Evidence,
    TagResult,
    build_tag_result,
    build_theme_score,
)
from jkwatch.ingest.tagging.schema import LANGS, Taxonomy
from jkwatch.ingest.tagging.scoring import Hit, Layout, Scorer, round3
from jkwatch.ingest.tagging.text import detect_lang, normalize

__all__ = ["Explanation", "Tagger", "tag_many"]

_ACTORS, _SECURITY, _OFF_TOPIC = "actors", "security", "off_topic"
_keys = term_keys  # the name the benchmark used before the matcher had its own module
_LANG_INDEX = {lang: index for index, lang in enumerate(LANGS)}


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
        theme_ids = tuple(theme.id for theme in themes)
        slot_names = list(theme_ids + (_ACTORS, _SECURITY, _OFF_TOPIC))
        actor_slot, security_slot, off_slot = len(themes), len(themes) + 1, len(themes) + 2
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
                # (title twins of the anchor groups, their summary/body slots)
                twins = (tuple(a for a, _ in needed), tuple(b for _, b in needed))
                gates.append((slot, in_title[gated[slot]], gated[slot], twins))
        gated_theme = {gslot: slot for slot, gslot in gated.items()}
        gated_theme.update({in_title[g]: slot for g, slot in gated_theme.items()})
        self._slot_names = tuple(slot_names)
        self._matcher = matcher = Matcher(taxonomy, off_slot, gated, anchor_sources)
        layout = Layout(
            n_slots=len(slot_names),
            theme_ids=theme_ids,
            actor_slot=actor_slot,
            security_slot=security_slot,
            off_slot=off_slot,
            in_title=in_title,
            gates=tuple(gates),
            gated_theme=gated_theme,
        )
        self._scorer = scorer = Scorer(taxonomy, matcher, layout)
        self._signal_slots = (
            (_ACTORS, actor_slot),
            (_SECURITY, security_slot),
            (_OFF_TOPIC, off_slot),
        )
        self._nothing = scorer.nothing
        self._theme_ids = theme_ids
        learned = taxonomy.learned
        self._learned = None if learned is None else learned.compile(theme_ids)
        # Language hints seen so far -> automaton index, when the hint settles it (ja, ko).
        self._hinted = _HintIndex()

    # -- tagging --------------------------------------------------------------------------

    def tag(
        self, title: str, summary: str = "", body: str = "", lang: str | None = None
    ) -> TagResult:
        """Tag one item. `lang` ("en", "ja", "ko", or a tag like "ko-KR") is a hint; without it
        the language is detected from the script."""
        # Only as many fields as the item has (most have no body): each costs a scan setup.
        if body:
            texts: tuple[str | None, ...] = (
                normalize(title),
                normalize(summary) if summary else None,
                normalize(body),
            )
        elif summary:
            texts = (normalize(title), normalize(summary))
        else:
            texts = (normalize(title),)
        li = self._hinted[lang] if lang else 0
        if not li:
            li = _detected_index(texts)
        fields = self._matcher.count_values(li, texts)
        for counts in fields:
            if counts:
                # Plain positional arguments, not *args: CPython 3.11 then runs the callee in
                # the same interpreter loop instead of a nested one.
                raw, opened, hits = self._scorer.raw(fields, li)
                result = self._scorer.result(raw, opened, hits, li)
                if self._learned is not None and result.relevant:
                    return self._with_learned(result, raw, opened, hits, texts)
                return result
        return self._nothing  # no term matched anywhere: relevance 0, no themes

    def _with_learned(
        self,
        result: TagResult,
        raw: list[float],
        opened: tuple[int, ...],
        hits: list[Hit],
        texts: tuple[str | None, ...],
    ) -> TagResult:
        """Add the themes the learned layer confirms: not assigned by the keywords, but with
        some keyword evidence, and a model probability at or above its threshold."""
        model = self._learned
        assert model is not None
        assigned = result.theme_ids
        theme_ids = self._theme_ids
        candidates = [
            slot
            for slot, value in enumerate(raw[: len(theme_ids)])
            if value > 0 and theme_ids[slot] not in assigned
        ]
        if not candidates:
            return result
        summary = texts[1] if len(texts) > 1 else None
        reading = model.read(model_text(texts[0] or "", summary or ""))
        probabilities = reading.probabilities
        added = []
        # A relevant item with no theme at all is the case the guide says should not happen:
        # there the model's best guess among the themes with evidence needs less to be taken.
        best = max(candidates, key=probabilities.__getitem__) if not assigned else -1
        for slot in candidates:
            probability = float(probabilities[slot])
            if probability >= model.threshold or (slot == best and probability >= ORPHAN_THRESHOLD):
                strongest = ", ".join(model.strongest(slot, reading))
                note = Evidence(f"learned {probability:.2f}: {strongest}", "model", 1)
                evidence = self._scorer.theme_evidence(hits, slot, opened) + (note,)
                added.append(build_theme_score(theme_ids[slot], round3(probability), evidence))
        if not added:
            return result
        themes = sorted(result.themes + tuple(added), key=lambda theme: -theme.score)
        return build_tag_result(result.relevance, result.relevant, tuple(themes))

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
        """Like `tag`, plus raw evidence per slot and the relevance signals that matched.

        Counts entry by entry (`Matcher.count`), the plain way the fast path must agree with.
        """
        texts = (
            normalize(title),
            normalize(summary) if summary else None,
            normalize(body) if body else None,
        )
        lang_code = _lang_code(lang, texts)
        li = _LANG_INDEX[lang_code]
        fields = self._matcher.count(li, texts)
        raw, opened, hits = self._scorer.raw(fields, li)
        signals = {
            name: self._scorer.signal_evidence(fields, slot) for name, slot in self._signal_slots
        }
        named_raw = {
            name: round(value, 3)
            for name, value in zip(self._slot_names, raw, strict=True)
            if value
        }
        result = self._scorer.result(raw, opened, hits, li)
        if self._learned is not None and result.relevant:
            result = self._with_learned(result, raw, opened, hits, texts)
        return Explanation(result, lang_code, named_raw, signals)


def tag_many(tagger: Tagger, items: Iterable[Mapping[str, Any]]) -> list[TagResult]:
    """Module-level alias of `Tagger.tag_many` for callers holding a tagger."""
    return tagger.tag_many(items)


class _HintIndex(dict):
    """Language hint ("ko", "ja-JP", "EN"...) -> 1 or 2 for Japanese or Korean, 0 when the
    script decides; filled on first use, since feeds repeat a handful of hints."""

    def __missing__(self, hint: str) -> int:
        index = _LANG_INDEX.get(hint[:2].lower(), 0)
        if len(self) < 256:
            self[hint] = index
        return index


def _detected_index(texts: tuple[str | None, ...]) -> int:
    """The automaton index for the script of the first non-ASCII text (English if none)."""
    for text in texts:
        if text is not None and not text.isascii():
            return _LANG_INDEX[detect_lang(text)]
    return 0


def _lang_code(hint: str | None, texts: tuple[str | None, ...]) -> str:
    if hint:
        prefix = hint[:2].lower()
        if prefix in ("ja", "ko"):
            return prefix
    for text in texts:
        if text is not None and not text.isascii():
            return detect_lang(text)
    return "en"
