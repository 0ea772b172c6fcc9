"""Finds the gazetteer's entities in an item, as words, with the names that matched.

``EntityMatcher(gazetteer).match(title, summary, language)`` returns one ``EntityMatch`` per
entity named (sorted by id), carrying the gazetteer's spelling of each name that matched: the
evidence the dashboard shows and cross-language stories explain links with ("石破 = Ishiba").

Rules, the tagger's (``ingest.tagging.matcher``) applied to names:
- Text and names are compared folded (``fold``: NFKC, case-folded, runs of spaces, hyphens
  and middle dots made one space), so "Kim Jong-un", "KIM JONG UN" and "Kim Jong Un" agree.
- English (Latin-script) names apply to text in every language (GSOMIA, THAAD in Japanese and
  Korean copy) and match whole words: no Latin letter or digit may touch either end.
- Japanese names apply to Japanese text, Korean names to Korean text. A match counts only where
  it is a word or a run of words by the language's analyser (``segment.word_edges``: fugashi
  with UniDic, Kiwi): 北 in 北海道 and 日 in "5日" are not entities, 北 in a Korean headline's
  北·美 is. Matches that already have a separator at both ends skip the analyser; the others
  are checked on the words around them (``_Field``), not the whole field.
- One-character short forms (北, 日, 韓, 米, 中; 미, 북, 러) are how headlines abbreviate
  countries, and alone they are often ordinary words (日 = day, 北 = north, 한 = one). In Korean
  copy a hanja short form is a word wherever Kiwi's hanja token puts it (北·美, 韓美日), like any
  other name. A Hangul one (미, 중, 북, 러, 한, 일) counts when Kiwi reads it as a proper noun
  (미 국무부, 러 외무부; not 한 명 or 일 년), or inside a run of short forms that is a word or
  run of words (한미일, 북중러, 남북, 미중). Japanese writes them as compounds (日韓, 日米韓,
  米朝) that UniDic keeps whole and tags like any noun: there they count inside such a run of
  two or more, or alone when the word is the first of a compound of nouns or stands before a
  separator (米|国防|長官, 北、ミサイル発射, 豪・NZ), never before a particle (竹島の日, 北の大地)
  and never against a counter (5日朝).
- An entity's ``exclude`` words (독도법 = map reading, 中日ドラゴンズ) hide its matches inside them.
- Overlapping matches keep the longest (北朝鮮 over 北 and 朝鮮); ties go to the earliest.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from jkwatch.entities import Gazetteer, default_gazetteer, name_key
from jkwatch.ingest.tagging.segment import japanese_tokens, korean_tokens, word_edges
from jkwatch.model import EntityMatch

__all__ = ["EntityMatcher", "fold", "default_matcher"]

_SEPARATORS = re.compile(r"[\s\-‐‑–·・]+")
_ANALYSED = ("ja", "ko")
_HANGUL = re.compile("[\uac00-\ud7af]")
_PROPER_NOUN = "NNP"


def fold(text: str) -> str:
    """Text as names are compared (see the module docstring); offsets refer to this string."""
    return _SEPARATORS.sub(" ", unicodedata.normalize("NFKC", text or "").casefold())


_NON_WORD = re.compile(r"[^\w]")


class _Field:
    """One folded field and the analyses asked of it, each over the words around a place (one
    more on each side for context), not the whole field: analysis costs by the character, and
    most fields need it at one or two places if at all. Windows recur, so ``segment``'s caches
    serve many of them."""

    __slots__ = ("text", "language", "_seps")

    def __init__(self, text: str, language: str) -> None:
        self.text = text
        self.language = language
        self._seps: list[int] | None = None

    def window(self, start: int, stop: int) -> tuple[int, int]:
        if self._seps is None:
            self._seps = [m.start() for m in _NON_WORD.finditer(self.text)]
        seps = self._seps
        before = bisect_left(seps, start)
        after = bisect_left(seps, stop)
        left = seps[before - 2] + 1 if before >= 2 else 0
        right = seps[after + 1] if after + 1 < len(seps) else len(self.text)
        return left, right

    def is_words(self, start: int, stop: int) -> bool:
        """Whether text[start:stop] starts and ends on word edges of the analyser."""
        left, right = self.window(start, stop)
        starts, ends = word_edges(self.language, self.text[left:right])
        return start - left in starts and stop - left in ends

    def korean_tag(self, at: int) -> str | None:
        """Kiwi's tag of the one-syllable token at ``at``, if a token is exactly that syllable."""
        left, right = self.window(at, at + 1)
        for start, stop, tag in korean_tokens(self.text[left:right]):
            if start + left == at:
                return tag if stop + left == at + 1 else None
        return None

    def japanese_tokens(self, at: int) -> tuple[int, tuple[tuple[int, int, str, str], ...]]:
        """UniDic's tokens around ``at`` and the offset of their window in the field."""
        left, right = self.window(at, at + 1)
        return left, japanese_tokens(self.text[left:right])


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _separator(char: str) -> bool:
    return not char.isalnum()


@dataclass(frozen=True, slots=True)
class _Name:
    entity_id: str
    name: str
    """The gazetteer's spelling (shown as evidence)."""
    latin: bool


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    name: _Name


class EntityMatcher:
    """The gazetteer compiled into one automaton per text language, built once."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self._automata: dict[str, ahocorasick.Automaton] = {}
        shared: dict[str, _Name] = {}
        own: dict[str, dict[str, _Name]] = {lang: {} for lang in _ANALYSED}
        self._short: dict[str, dict[str, _Name]] = {lang: {} for lang in _ANALYSED}
        excluded: dict[str, set[str]] = {}
        for entity in gazetteer.entities:
            for word in entity.exclude:
                excluded.setdefault(name_key(word), set()).add(entity.id)
            for lang, names in entity.names.items():
                for name in names:
                    key = name_key(name)
                    value = _Name(entity.id, name, key.isascii())
                    if value.latin:
                        shared.setdefault(key, value)
                    elif lang in own and _run_only(lang, key):
                        self._short[lang].setdefault(key, value)
                    elif lang in own:
                        own[lang].setdefault(key, value)
        self._automata["*"] = _automaton(shared)
        for lang, keys in own.items():
            self._automata[lang] = _automaton({**shared, **keys})
        self._runs = {
            lang: re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]+")
            for lang, chars in self._short.items()
            if chars
        }
        self._excluded = _automaton(
            {key: _Name(",".join(sorted(ids)), key, key.isascii()) for key, ids in excluded.items()}
        )

    def match(self, title: str, summary: str, language: str) -> tuple[EntityMatch, ...]:
        """The entities ``title`` and ``summary`` name (see the module docstring)."""
        found: dict[str, dict[str, None]] = {}
        for text in (title, summary):
            for hit in self._field(fold(text), language):
                found.setdefault(hit.name.entity_id, {}).setdefault(hit.name.name, None)
        return tuple(EntityMatch(eid, tuple(names)) for eid, names in sorted(found.items()))

    def _field(self, text: str, language: str) -> list[_Hit]:
        if not text.strip():
            return []
        automaton = self._automata.get(language, self._automata["*"])
        field = _Field(text, language)
        hits: list[_Hit] = []
        if len(automaton):
            for end, (key, value) in automaton.iter(text):
                hit = _Hit(end + 1 - len(key), end + 1, value)
                if _is_word(field, hit):
                    hits.append(hit)
        if language in self._runs:
            covered = {i for h in hits for i in range(h.start, h.end)}
            hits.extend(self._short_forms(field, covered))
        if hits and len(self._excluded):
            hits = self._without_excluded(text, hits)
        return _longest(hits) if len(hits) > 1 else hits

    def _without_excluded(self, text: str, hits: list[_Hit]) -> list[_Hit]:
        spans = [
            (end + 1 - len(key), end + 1, frozenset(value.entity_id.split(",")))
            for end, (key, value) in self._excluded.iter(text)
        ]
        if not spans:
            return hits
        return [
            h
            for h in hits
            if not any(
                h.name.entity_id in ids and start <= h.start and h.end <= stop
                for start, stop, ids in spans
            )
        ]

    def _short_forms(self, field: _Field, covered: set[int]) -> list[_Hit]:
        """One-character short forms in their runs (see the module docstring); runs inside a
        longer name already found (북 in 북한, 米 in 米国) are skipped."""
        text, language = field.text, field.language
        short = self._short[language]
        hits: list[_Hit] = []
        for run in self._runs[language].finditer(text):
            start, end = run.start(), run.end()
            if all(i in covered for i in range(start, end)):
                continue
            if end - start >= 2 and field.is_words(start, end):
                hits.extend(_Hit(i, i + 1, short[text[i]]) for i in range(start, end))
                continue
            if language == "ko":
                hits.extend(
                    _Hit(i, i + 1, short[text[i]])
                    for i in range(start, end)
                    if _korean_short_form(text, i, field.korean_tag(i))
                )
            elif end - start == 1 and _japanese_prefix(field, start):
                hits.append(_Hit(start, end, short[text[start]]))
        return hits


def _is_word(field: _Field, hit: _Hit) -> bool:
    text = field.text
    before = text[hit.start - 1] if hit.start > 0 else " "
    after = text[hit.end] if hit.end < len(text) else " "
    if hit.name.latin:
        first, last = text[hit.start], text[hit.end - 1]
        return not (_latin(before) and _latin(first)) and not (_latin(after) and _latin(last))
    if _separator(before) and _separator(after):
        return True
    if field.language not in _ANALYSED:
        return False
    return field.is_words(hit.start, hit.end)


_JA_SEPARATORS = frozenset(" 、，,")
_KO_ORDINARY = frozenset({"MM", "NR", "NNB", "NNG", "MAG"})
"""Kiwi's readings of 한, 일, 중, 미 as ordinary words: one (determiner), a numeral, "during"
(dependent noun), work or beauty (common nouns), an adverb."""


def _korean_short_form(text: str, at: int, tag: str | None) -> bool:
    """Whether the Hangul syllable at ``at`` is a country's short form on its own: Kiwi reads
    it as a proper noun, or it stands between separators and Kiwi does not read it as an
    ordinary word (after a quote Kiwi may take 러 for an ending: "러 파병)."""
    if tag == _PROPER_NOUN:
        return True
    if tag is None or tag in _KO_ORDINARY:
        return False
    before = text[at - 1] if at > 0 else " "
    after = text[at + 1] if at + 1 < len(text) else " "
    return _separator(before) and _separator(after)


def _japanese_prefix(field: _Field, at: int) -> bool:
    """Whether the one character at ``at`` is a word of its own that begins a compound of nouns
    or stands before a separator (see the module docstring)."""
    text = field.text
    if at > 0 and not _separator(text[at - 1]) and text[at - 1] not in "「『（(":
        return False
    offset, tokens = field.japanese_tokens(at)
    for n, (start, end, pos1, _) in enumerate(tokens):
        if start + offset == at:
            if end + offset != at + 1 or pos1 != "名詞":
                return False
            if at + 1 < len(text) and text[at + 1] in _JA_SEPARATORS:
                return True
            following = tokens[n + 1] if n + 1 < len(tokens) else None
            return following is not None and following[0] == end and following[2] == "名詞"
    return False


def _run_only(lang: str, key: str) -> bool:
    """Whether a name is a one-character short form matched only as the docstring says: any
    in Japanese; in Korean a Hangul syllable (a hanja one is its own word in Kiwi's reading)."""
    if len(key) != 1:
        return False
    return lang == "ja" or _HANGUL.fullmatch(key) is not None


def _automaton(keys: dict[str, _Name]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for key, value in keys.items():
        automaton.add_word(key, (key, value))
    if keys:
        automaton.make_automaton()
    return automaton


def _longest(hits: Iterable[_Hit]) -> list[_Hit]:
    """Non-overlapping hits, longest first (ties: earliest)."""
    kept: list[_Hit] = []
    taken: list[tuple[int, int]] = []
    for hit in sorted(hits, key=lambda h: (-(h.end - h.start), h.start)):
        if all(hit.end <= s or hit.start >= e for s, e in taken):
            kept.append(hit)
            taken.append((hit.start, hit.end))
    return sorted(kept, key=lambda h: h.start)


_default: dict[str, EntityMatcher] = {}


def default_matcher() -> EntityMatcher:
    """The matcher of the configured gazetteer, built once per process and gazetteer version."""
    gazetteer = default_gazetteer()
    matcher = _default.get(gazetteer.fingerprint)
    if matcher is None:
        _default.clear()
        matcher = _default[gazetteer.fingerprint] = EntityMatcher(gazetteer)
    return matcher
