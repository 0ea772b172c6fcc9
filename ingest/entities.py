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
  with UniDic, Kiwi): 北 in 北海道, 日 in "5日", 독도 in 독도법 are not entities, 北 in a Korean
  headline's 北·美 is. Matches that already have a separator at both ends skip the analyser.
- One-character short forms (北, 日, 韓, 米, 中) are what headlines abbreviate countries to. In
  Korean copy Kiwi reads a run of hanja as one token whose every character is a word (北·美,
  韓美日), so they match like other names. Japanese writes them as compounds (日韓, 日米韓, 米朝)
  that UniDic keeps whole, and alone they are ordinary words (日 = day, 北 = north): there they
  count only inside a run of two or more short forms that is itself a word or run of words
  (日韓首脳会談, 日米韓), never alone (竹島の日, 北の大地) and never against a counter (5日朝).
- Overlapping matches keep the longest (北朝鮮 over 北 and 朝鮮); ties go to the earliest.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from jkwatch.entities import Gazetteer, default_gazetteer, name_key
from jkwatch.ingest.tagging.segment import word_edges
from jkwatch.model import EntityMatch

__all__ = ["EntityMatcher", "fold", "default_matcher"]

_SEPARATORS = re.compile(r"[\s\-‐‑–·・]+")
_ANALYSED = ("ja", "ko")


def fold(text: str) -> str:
    """Text as names are compared (see the module docstring); offsets refer to this string."""
    return _SEPARATORS.sub(" ", unicodedata.normalize("NFKC", text or "").casefold())


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
        self._ja_short: dict[str, _Name] = {}
        for entity in gazetteer.entities:
            for lang, names in entity.names.items():
                for name in names:
                    key = name_key(name)
                    value = _Name(entity.id, name, key.isascii())
                    if value.latin:
                        shared.setdefault(key, value)
                    elif lang == "ja" and len(key) == 1:
                        self._ja_short.setdefault(key, value)
                    elif lang in own:
                        own[lang].setdefault(key, value)
        self._automata["*"] = _automaton(shared)
        for lang, keys in own.items():
            self._automata[lang] = _automaton({**shared, **keys})
        self._ja_runs = (
            re.compile("[" + "".join(re.escape(c) for c in sorted(self._ja_short)) + "]{2,}")
            if self._ja_short
            else None
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
        if len(automaton) == 0:
            return []
        hits = [
            _Hit(end + 1 - len(key), end + 1, value) for end, (key, value) in automaton.iter(text)
        ]
        hits = [h for h in hits if self._is_word(text, h, language)]
        if language == "ja" and self._ja_runs is not None:
            hits.extend(self._short_forms(text))
        return _longest(hits)

    def _short_forms(self, text: str) -> list[_Hit]:
        """Japanese one-character short forms inside a run that is a word (see the docstring)."""
        assert self._ja_runs is not None
        hits: list[_Hit] = []
        for run in self._ja_runs.finditer(text):
            starts, ends = word_edges("ja", text)
            if run.start() in starts and run.end() in ends:
                hits.extend(
                    _Hit(i, i + 1, self._ja_short[text[i]]) for i in range(run.start(), run.end())
                )
        return hits

    def _is_word(self, text: str, hit: _Hit, language: str) -> bool:
        before = text[hit.start - 1] if hit.start > 0 else " "
        after = text[hit.end] if hit.end < len(text) else " "
        if hit.name.latin:
            first, last = text[hit.start], text[hit.end - 1]
            return not (_latin(before) and _latin(first)) and not (_latin(after) and _latin(last))
        if _separator(before) and _separator(after):
            return True
        if language not in _ANALYSED:
            return False
        starts, ends = word_edges(language, text)
        return hit.start in starts and hit.end in ends


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
