"""The compiled matcher: every taxonomy term in per-language Aho-Corasick automata, built once.

`Matcher.count(li, texts)` scans each normalised field once and returns, per field, how often
each taxonomy entry (a term of a theme or relevance list) matched. The hot path does no Python
work per match: an automaton's value is the entry id itself (inflections of one term share it),
so a C-level counter over the scan gives the entry counts directly. `count_values`, the tagger's
path, leaves keys that mean several entries (a "special" value) unexpanded where that is safe:
the scorer expands them through tables built once.

Why one automaton per text language: pyahocorasick looks up a character among the children of a
node linearly, and falls back to the root after every mismatch. With all 5,000 keys together the
root has hundreds of children (the first characters of every Japanese and Korean key), which every
English letter paid for. The English automaton holds only padded English keys (its root has one
child, the space); the Japanese and Korean ones add only their own keys, which also stops the
Korean abbreviation 北 from firing (and being discarded) inside 北海道 in Japanese copy. The
Japanese and Korean roots still have hundreds of children, so keys are inserted with the commonest
first characters first, and common characters that start no key get a root child that never
matches (`_root_friendly`): a miss then costs a few comparisons, not hundreds.

Matching rules. English keys are padded (" missile ") and scanned against padded, punctuation-free
text (see `text.normalize`), so they only match whole words; plural and -ed/-ing forms are
generated at build time. Japanese and Korean keys are bare (particles attach to nouns) and only
apply to text in their language; a match counts only where it is a word or a run of words
(`segment`): one with a space at both ends is (nearly all), and only a field holding another is
analysed, then counted by positions without the matches that fall inside a word (`_count_words`). English keys apply to every text (THAAD, GSOMIA in CJK
copy), except that a term listed in both English and the text's language is matched by the latter
only, so it is not counted twice. An `exclude` phrase masks the matches it overlaps ("security
guard" hides "security"); a theme's own exclusions only mask that theme's terms. Texts containing
an exclusion phrase take a slower path for that field, which compares match positions.

Context rules cost no extra scan: a theme's `needs_anchor` terms get a slot of their own (the
"gated" slot) and its anchor groups get slots too; the tagger adds the gated slot's evidence to
the theme only when every anchor slot of the theme matched.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter

import ahocorasick

from jkwatch.ingest.tagging.schema import LANGS, Taxonomy, Term
from jkwatch.ingest.tagging.segment import word_edges
from jkwatch.ingest.tagging.text import english_variants, normalize, strip_cjk_spaces

try:  # the C helper behind Counter.update: counts an iterable into a dict without Python code
    # private, so absent from typeshed: hence the ignore; the fallback below covers its absence
    from collections import _count_elements  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other Pythons

    def _count_elements(mapping: dict[int, int], iterable: Iterable[int]) -> None:
        get = mapping.get
        for element in iterable:
            mapping[element] = get(element, 0) + 1


__all__ = ["ALL_SLOTS", "Entry", "Matcher", "term_keys"]

ALL_SLOTS = -1  # mask target of relevance exclusions: every slot except off-topic
_second = itemgetter(1)


@dataclass(slots=True)
class Entry:
    """One distinct term of one slot (a theme, or a relevance list)."""

    slot: int
    term: str
    weight: float
    langs: set[str]


def term_keys(term: Term) -> set[str]:
    """Automaton keys for a term: padded inflections in English, bare substrings in CJK."""
    if term.lang == "en":
        return {f" {form} " for form in english_variants(term.text, exact=term.exact) if form}
    key = normalize(term.text).strip()
    return {key, strip_cjk_spaces(f" {key} ").strip()}


class Matcher:
    """Compiled automata for a taxonomy; `slots` are the themes then actors, security, off-topic."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        off_slot: int,
        gated: Mapping[int, int] | None = None,
        anchors: Sequence[tuple[int, Iterable[Term]]] = (),
    ) -> None:
        """`gated` maps a theme's slot to the slot of its `needs_anchor` terms (themes without
        anchors keep them in their own slot); `anchors` are (slot, terms) anchor groups."""
        self.off_slot = off_slot
        gated = gated or {}
        themes = taxonomy.themes
        relevance = taxonomy.relevance
        sources: list[tuple[int, Iterable[Term]]] = []
        for slot, theme in enumerate(themes):
            gslot = gated.get(slot, slot)
            sources.append((slot, [t for t in theme.terms if not t.needs_anchor]))
            sources.append((gslot, [t for t in theme.terms if t.needs_anchor]))
        sources += [
            (off_slot - 2, relevance.actors),
            (off_slot - 1, relevance.security),
            (off_slot, relevance.off_topic),
        ]
        sources += list(anchors)
        entries: list[Entry] = []
        entry_ids: dict[tuple[int, str], int] = {}
        keys: dict[str, dict[str, set[int]]] = {}  # key -> lang -> entry ids
        masks: dict[str, dict[str, set[int]]] = {}  # key -> lang -> masked slots
        for slot, terms in sources:
            for term in terms:
                identity = (slot, normalize(term.text))
                eid = entry_ids.get(identity)
                if eid is None:
                    eid = entry_ids[identity] = len(entries)
                    entries.append(Entry(slot, term.text, term.weight, set()))
                entry = entries[eid]
                entry.weight = max(entry.weight, term.weight)
                entry.langs.add(term.lang)
                for key in term_keys(term):
                    keys.setdefault(key, {}).setdefault(term.lang, set()).add(eid)
        exclusions: list[tuple[int, Iterable[Term]]] = [(ALL_SLOTS, relevance.exclude)]
        exclusions += [(slot, theme.exclude) for slot, theme in enumerate(themes)]
        exclusions += [(gated[slot], themes[slot].exclude) for slot in gated]
        for slot, terms in exclusions:
            for term in terms:
                for key in term_keys(term):
                    masks.setdefault(key, {}).setdefault(term.lang, set()).add(slot)

        self.entries: tuple[Entry, ...] = tuple(entries)
        self.slot_of: tuple[int, ...] = tuple(e.slot for e in entries)
        # English keys first: the space then becomes the root's first child, found at once.
        ordered = sorted(set(keys) | set(masks), key=lambda k: (not k.startswith(" "), k))
        self._build_positional(ordered, keys, masks)
        self._build_fast(ordered)

    # -- building -------------------------------------------------------------------------

    def _build_positional(
        self,
        ordered: Sequence[str],
        keys: dict[str, dict[str, set[int]]],
        masks: dict[str, dict[str, set[int]]],
    ) -> None:
        """Per language: what each key means (entry ids, masked slots), and a positional
        automaton (value: key index) for the fields that contain an exclusion phrase."""
        entries = self.entries
        key_ids: list[list[tuple[int, ...]]] = [[] for _ in LANGS]
        key_masks: list[list[tuple[int, ...]]] = [[] for _ in LANGS]
        spans: list[tuple[int, int]] = []
        words: list[list[tuple[str, int]]] = [[] for _ in LANGS]
        for index, key in enumerate(ordered):
            by_lang = keys.get(key, {})
            mask_by_lang = masks.get(key, {})
            for li, text_lang in enumerate(LANGS):
                ids = set(by_lang.get(text_lang, ()))
                if text_lang != "en":
                    ids |= {e for e in by_lang.get("en", ()) if text_lang not in entries[e].langs}
                key_ids[li].append(tuple(sorted(ids)))
                slots = mask_by_lang.get(text_lang, set()) | mask_by_lang.get("en", set())
                key_masks[li].append(tuple(sorted(slots)))
                if ids or slots:
                    words[li].append((key, index))
            padded = key.startswith(" ")
            # (start, end) offsets from the reported end index: the word without its padding.
            spans.append((len(key) - 2 if padded else len(key) - 1, 1 if padded else 0))
        automata = []
        for li, text_lang in enumerate(LANGS):
            # The same insertion order as the fast automata (see `_root_friendly`): it changes
            # no match, only how fast a character is found among a node's children.
            automaton = ahocorasick.Automaton()
            for key, value in _root_friendly(words[li], _COMMON.get(text_lang, "")):
                automaton.add_word(key, value)
            automaton.make_automaton()
            automata.append(automaton)
        self._ordered = tuple(ordered)
        self._key_ids = tuple(tuple(ids) for ids in key_ids)
        self._key_masks = tuple(tuple(m) for m in key_masks)
        self._spans = tuple(spans)
        self._bare = tuple(not key.startswith(" ") for key in ordered)  # Japanese/Korean keys
        self._positional = tuple(automaton.iter for automaton in automata)
        # Per language and key: (start offset, stop offset, entry ids, masked slots) in one row,
        # so the masked path looks a match up once.
        self._key_rows = tuple(
            tuple(
                (back, front, ids, masks)
                for (back, front), ids, masks in zip(spans, key_ids[li], key_masks[li], strict=True)
            )
            for li in range(len(LANGS))
        )

    def _build_fast(self, ordered: Sequence[str]) -> None:
        """Per language, an automaton of only the keys that mean something in that language.

        A key's value is its entry id when it means exactly one entry and masks nothing (nearly
        all keys); otherwise a "special" id >= len(entries), expanded after counting.
        """
        n = len(self.entries)
        iters = []
        specials_by_lang = []
        masked_by_lang = []
        exact_only = []
        partners_by_lang: list[dict[int, frozenset[int]]] = []
        for li, text_lang in enumerate(LANGS):
            automaton = ahocorasick.Automaton()
            signatures: dict[tuple[tuple[int, ...], bool], int] = {}
            specials: list[tuple[int, ...]] = []
            masked: set[int] = set()
            direct: set[int] = set()
            words: list[tuple[str, int]] = []
            for index, key in enumerate(ordered):
                if text_lang == "en" and not key.startswith(" "):
                    continue  # CJK keys never apply to English text
                ids, slots = self._key_ids[li][index], self._key_masks[li][index]
                if not ids and not slots:
                    continue
                if len(ids) == 1 and not slots:
                    words.append((key, ids[0]))
                    direct.add(ids[0])
                    continue
                signature = (ids, bool(slots))
                value = signatures.get(signature)
                if value is None:
                    value = signatures[signature] = n + len(specials)
                    specials.append(ids)
                if slots:
                    masked.add(value)
                words.append((key, value))
            for key, value in _root_friendly(words, _COMMON.get(text_lang, "")):
                automaton.add_word(key, value)
            automaton.make_automaton()
            iters.append(automaton.iter)
            specials_by_lang.append(tuple(specials))
            masked_by_lang.append(frozenset(masked))
            partners = _partners(n, direct, specials)
            partners_by_lang.append(partners)
            exact_only.append(frozenset(masked) | frozenset(partners))
        self._iters = tuple(iters)
        self._specials = tuple(specials_by_lang)
        self._masked = tuple(masked_by_lang)
        self.special_entries = self._specials
        self._exact_only = tuple(exact_only)
        self._partners = tuple(partners_by_lang)

    # -- counting -------------------------------------------------------------------------

    def count(self, li: int, texts: Sequence[str | None]) -> list[dict[int, int]]:
        """Entry id -> match count, per field, for normalised `texts` in language index `li`.

        A field that is None or has no matches gets an empty dict.
        """
        scan = self._iters[li]
        n = len(self.entries)
        out: list[dict[int, int]] = []
        special = False
        for text in texts:
            counts: dict[int, int] = {}
            if text is not None:
                _count_elements(counts, map(_second, scan(text)))
                if counts and li:
                    words = self._count_words(li, text)
                    if words is not None:
                        counts = words
                if counts and max(counts) >= n:
                    special = True
            out.append(counts)
        if not special:
            return out
        masked, specials = self._masked[li], self._specials[li]
        for fi, counts in enumerate(out):
            if not masked.isdisjoint(counts):
                out[fi] = self._count_masked(li, texts[fi] or "")
                continue
            for value in [value for value in counts if value >= n]:
                hits = counts.pop(value)
                for eid in specials[value - n]:
                    counts[eid] = counts.get(eid, 0) + hits
        return out

    def count_values(self, li: int, texts: Sequence[str | None]) -> list[dict[int, int]]:
        """Like `count`, but cheaper: a special value stays unexpanded when it is all a field
        says about its entries, since the tagger expands it through plans built once.

        Value -> match count, per field. A value below `len(entries)` is that entry; a value
        above it stands for `special_entries[li][value - len(entries)]`, entries that no other
        value of the field reaches, each counted as often as the value. Fields with an exclusion
        phrase, or where two values of the field reach a common entry (whose counts must then be
        merged), come back expanded exactly as `count` expands them (entry ids only).
        """
        scan = self._iters[li]
        exact_only = self._exact_only[li]
        out: list[dict[int, int]] = []
        for text in texts:
            counts: dict[int, int] = {}
            if text is not None:
                _count_elements(counts, map(_second, scan(text)))
                if counts and li:
                    words = self._count_words(li, text)
                    if words is not None:
                        out.append(words)
                        continue
                if not exact_only.isdisjoint(counts):
                    counts = self._expand(li, text, counts)
            out.append(counts)
        return out

    def _expand(self, li: int, text: str, counts: dict[int, int]) -> dict[int, int]:
        """Entry id -> count for one field's value counts (what `count` returns for it), or the
        value counts unchanged when no two of its values reach a common entry.

        Left unexpanded, a special value's entries are summed after the plain ones in order of
        first appearance: the order expansion would leave them in, so sums stay bit-identical.
        """
        if not self._masked[li].isdisjoint(counts):
            return self._count_masked(li, text)
        partners = self._partners[li]
        for value in counts:
            shared = partners.get(value)
            if shared is not None and not shared.isdisjoint(counts):
                break
        else:
            return counts  # entangled values, but none of their partners: nothing to merge
        n, specials = len(self.entries), self._specials[li]
        for value in [value for value in counts if value >= n]:
            hits = counts.pop(value)
            for eid in specials[value - n]:
                counts[eid] = counts.get(eid, 0) + hits
        return counts

    def _count_words(self, li: int, text: str) -> dict[int, int] | None:
        """Entry counts for a Japanese or Korean field where a term matched inside a word, or
        None when every match is a word (or run of words) of the field and counts stand.

        Matches with a space (a word edge of the normalised text) at both ends need no
        analyser (`text` is padded, so `start - 2` is at worst the last character, a space);
        for any other, the words around it are analysed (`segment.word_edges`), and only if
        the analysis rejects a match are the counts rebuilt from positions (the exclusion
        path). Exclusion phrases still mask as substrings.
        """
        rows, bare, lang = self._key_rows[li], self._bare, LANGS[li]
        found = list(self._positional[li](text))
        rejected: set[tuple[int, int]] = set()
        for end, key in found:
            if not bare[key]:
                continue
            start, stop = end - rows[key][0], end + 1  # the match is text[start:stop]
            # A space is a word edge, unless `normalize` put it between a number and CJK:
            # 日 in "5 日朝" is the day counter of "5日朝" (the morning of the 5th).
            if text[start - 1] == " " and text[stop] == " " and not text[start - 2].isdigit():
                continue
            # Analyse the words around the match, one more on each side for context: analysis
            # costs by the character (Kiwi: about 5 us each), and short windows recur, so the
            # cache in `segment` serves most of them.
            left = text.rfind(" ", 0, text.rfind(" ", 0, start))
            right = text.find(" ", text.find(" ", stop) + 1)
            left = max(left, 0)
            right = len(text) if right < 0 else right + 1
            starts, ends = word_edges(lang, text[left:right])
            if start - left not in starts or stop - left not in ends:
                rejected.add((end, key))
        if not rejected:
            return None
        return self._count_masked(li, text, found, rejected)

    def _count_masked(
        self,
        li: int,
        text: str,
        found: Iterable[tuple[int, int]] | None = None,
        rejected: Container[tuple[int, int]] = (),
    ) -> dict[int, int]:
        """The slow path, for texts containing an exclusion phrase or a term that matched
        inside a word: compare positions. `found` are the field's (end, key) matches (scanned
        here if not given); `rejected` ones count for nothing but still mask what they overlap.
        """
        rows = self._key_rows[li]
        located = []
        masks = []
        for end, key in self._positional[li](text) if found is None else found:
            back, front, ids, slots = rows[key]
            start, stop = end - back, end - front
            if ids and (end, key) not in rejected:
                located.append((start, stop, ids))
            for slot in slots:
                masks.append((start, stop, slot))
        slot_of, off_slot = self.slot_of, self.off_slot
        counts: dict[int, int] = {}
        get = counts.get
        for start, stop, ids in located:
            # The masks this match overlaps; nearly always none, and then nothing is hidden.
            over = None
            for a, b, mask in masks:
                if a <= stop and start <= b:
                    if over is None:
                        over = [mask]
                    else:
                        over.append(mask)
            for eid in ids:
                if over is not None:
                    slot = slot_of[eid]
                    if slot in over or (ALL_SLOTS in over and slot != off_slot):
                        continue
                counts[eid] = get(eid, 0) + 1
        return counts


# Characters frequent in Japanese and Korean news copy (particles, endings, common kanji and
# syllables), most frequent first; see `_root_friendly`.
_COMMON = {
    "ja": "のにはをたがでてとしいるなれかもらさこすまりくっきあうんつよおけせだえそちめみわろじ"
    "ーンスルトイクラリカシア日本国人年大中会政府米北朝鮮韓首相防衛軍党事発表者長議自明統領"
    "一月二三十上下出対関係",
    "ko": "이다는의에을를은가한하고지로서기대사국일정보도자시리수어인해적전부상제들과와으게있했나"
    "주여내장방회동관북미군통령면라성위선무중만연비실경공문원생화계말밝혔것등및또",
}
_NEVER = "\x00"  # never in normalised text (control characters become spaces)


def _root_friendly(words: Sequence[tuple[str, int]], common: str) -> list[tuple[str, int]]:
    """`words` in an insertion order that makes scanning CJK text cheaper; same matches.

    pyahocorasick finds a node's child by a linear search in insertion order, and every
    character that continues no match is looked up among the root's children: in Japanese and
    Korean automata, hundreds of first characters. So padded English keys go first (the space
    is the commonest character), then keys by how common their first character is (`common`,
    then code point order); and each common character that starts no key gets a root child of
    its own (a dummy key that never matches, since `_NEVER` never occurs), so it is found after
    a few comparisons instead of a full pass over the root's children.
    """
    if not common:
        return list(words)
    rank = {char: position for position, char in reversed(list(enumerate(common)))}
    english = [(key, value) for key, value in words if key.startswith(" ")]
    by_first: dict[str, list[tuple[str, int]]] = {}
    for key, value in words:
        if not key.startswith(" "):
            by_first.setdefault(key[0], []).append((key, value))
    firsts = set(by_first) | set(rank)
    out = english
    for char in sorted(firsts, key=lambda c: (rank.get(c, len(rank)), c)):
        out += by_first.get(char) or [(char + _NEVER, -1)]
    return out


def _partners(
    n: int, direct: set[int], specials: Sequence[tuple[int, ...]]
) -> dict[int, frozenset[int]]:
    """Special value (n + index) -> the other values of the same automaton that reach one of its
    entries: an entry with a key of its own (`direct`), or another special value listing it.
    Only values with partners appear. A field holding a value and one of its partners needs its
    counts merged per entry before scoring, so it takes the exact path.
    """
    owners: dict[int, list[int]] = {}
    for index, ids in enumerate(specials):
        for eid in ids:
            owners.setdefault(eid, []).append(n + index)
    partners: dict[int, set[int]] = {}
    for eid, values in owners.items():
        reach = set(values) | ({eid} if eid in direct else set())
        if len(reach) > 1:
            for value in values:
                partners.setdefault(value, set()).update(reach - {value})
    return {value: frozenset(others) for value, others in partners.items()}
