"""The default search queries, one per language, built from the taxonomy (pure).

A query asks for items that name Japan or South Korea *and* use security vocabulary:
``(J1 OR J2 OR K1 OR K2 ...) (S1 OR S2 ...)``. The names are the first terms of the two anchor
groups of the theme that has one group per country (Japan–South Korea cooperation); the security
terms are the strongest terms of ``[relevance.security]``, added until the service's limit:

- Google News: at most 32 words, the limit Google Search documents for a query (every word
  counts, ``OR`` included); longer queries are silently cut, so we stay under it.
- GDELT DOC 2.0: no length limit is documented; we keep queries under 250 characters and leave
  out keywords shorter than 3 characters, which the API rejects as too short. GDELT searches the
  English machine translation of every article (native-language search was phased out), so its
  queries are English for every language and ``sourcelang:`` picks the language.

``--query`` (repeatable) replaces the defaults: each text is used as given, for each language.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from jkwatch.ingest.tagging import Taxonomy
from jkwatch.ingest.tagging.schema import Term

LANGUAGES = ("en", "ja", "ko")
GOOGLE_MAX_WORDS = 32
GDELT_MAX_CHARS = 250
GDELT_MIN_KEYWORD = 3
_NAMES_PER_COUNTRY = 3


@dataclass(frozen=True)
class SearchQuery:
    """One query text for one language; ``key`` identifies its progress rows."""

    language: str
    text: str

    @property
    def key(self) -> str:
        return query_key(self.language, self.text)


def query_key(language: str, text: str) -> str:
    """A stable hash of language and query: a changed query set starts its own progress."""
    return hashlib.sha256(f"{language}\x1f{text}".encode()).hexdigest()[:32]


def _quoted(text: str) -> str:
    return f'"{text}"' if any(ch.isspace() or ch in "-." for ch in text) else text


def _usable(term: Term, source: str) -> bool:
    text = term.text
    if source == "gdelt":
        return len(text) >= GDELT_MIN_KEYWORD and '"' not in text
    # One CJK character (日, 韓, 李) is a headline abbreviation, not a search word.
    return len(text) >= 2 and '"' not in text


def _country_names(taxonomy: Taxonomy, lang: str, source: str) -> list[str]:
    for theme in taxonomy.themes:
        if len(theme.anchors) == 2 and theme.id == "jk_cooperation":
            names: list[str] = []
            for group in theme.anchors:
                picked = [t.text for t in group if t.lang == lang and _usable(t, source)]
                names.extend(n for n in picked[:_NAMES_PER_COUNTRY] if n not in names)
            return names
    fallback = {"en": ["Japan", "South Korea"], "ja": ["日本", "韓国"], "ko": ["일본", "한국"]}
    return fallback[lang]


def _security_terms(taxonomy: Taxonomy, lang: str, source: str) -> list[str]:
    terms = [t for t in taxonomy.relevance.security if t.lang == lang and _usable(t, source)]
    ordered = sorted(terms, key=lambda t: -t.weight)  # stable: file order among equal weights
    return list(dict.fromkeys(t.text for t in ordered))


def _group(words: list[str]) -> str:
    return "(" + " OR ".join(_quoted(w) for w in words) + ")"


def _words(query: str) -> int:
    return len(query.split())


def build_query(names: list[str], security: list[str], fits: object) -> str:
    """``(names) (security...)`` with as many security terms as ``fits(query)`` allows."""
    assert callable(fits)
    chosen: list[str] = []
    for term in security:
        candidate = f"{_group(names)} {_group([*chosen, term])}"
        if not fits(candidate):
            break
        chosen.append(term)
    if not chosen:
        return _group(names)
    return f"{_group(names)} {_group(chosen)}"


def default_query(taxonomy: Taxonomy, source: str, language: str) -> str:
    """The default query text of ``source`` for items in ``language``."""
    term_lang = "en" if source == "gdelt" else language
    names = _country_names(taxonomy, term_lang, source)
    security = _security_terms(taxonomy, term_lang, source)
    if source == "gdelt":
        return build_query(names, security, lambda q: len(q) <= GDELT_MAX_CHARS)
    return build_query(names, security, lambda q: _words(q) <= GOOGLE_MAX_WORDS)


def queries_for(
    taxonomy: Taxonomy, source: str, languages: tuple[str, ...], given: tuple[str, ...] = ()
) -> list[SearchQuery]:
    """The queries to run at ``source``: ``given`` texts for every language, else the defaults."""
    if given:
        return [SearchQuery(lang, text) for lang in languages for text in given]
    return [SearchQuery(lang, default_query(taxonomy, source, lang)) for lang in languages]
