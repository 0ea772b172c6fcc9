"""Word edges of Japanese and Korean text, from real morphological analysers.

A Japanese or Korean taxonomy term counts only where it is a word (or a run of whole words) of
the field, not any run of characters: 일제 inside the adverb 일제히 ("all at once") is not
imperial Japan, 팬 inside 팬데믹 is not a fan, 日朝 in "5日朝" (the morning of the 5th) is not
Japan-North Korea. `word_edges(lang, text)` returns where a term may start and where it may end
in `text`; the matcher asks only for fields where the answer can change (a CJK match whose ends
are not at a space), so English copy and most fields never reach this module.

Edges. A match may span several tokens (日米韓 is 日米|韓, 북한이 is 북한|이 and keeps 북한), so
every token end is an end, and every token start is a start, except tokens that cannot begin a
word: in Korean suffixes, particles, endings and predicate stems (XS*, J*, E*, V*), which
rejects 배우 (actor) in the verb 배우고 (learning); in Japanese particles, auxiliaries and
counters (助詞, 助動詞, 接尾辞 of the 助数詞 kind), which rejects 日朝 where 日 is the day counter
of "5日朝". Other Japanese suffixes may start a term: UniDic tags 海 in 中国海警局 as one, and
海警 must still count there. Kiwi keeps a run of hanja as one SH token (北美, 韓美日); Korean
headlines use each hanja as a word of its own (北·美·日·中), so every character edge inside an
SH token counts.

Analysers, each loaded lazily once per process (kiwi takes about 2 s and 100 MB):
- Korean: kiwipiepy (Kiwi, with its model package from PyPI).
- Japanese: fugashi with unidic-lite (MeCab and UniDic short units). Measured against sudachipy
  0.7 + sudachidict-core in split mode A, which segments every homograph test the same way:
  fugashi takes about half the time per field (12 us against 26 us for a 60-character
  sentence), loads in milliseconds (sudachi: 40 ms), and its short units are the fine
  segmentation this rule wants (sudachi's default mode C keeps 防衛費 whole, which would hide
  防衛). Install size is similar (unidic-lite 250 MB, sudachidict-core 195 MB).

The matcher passes the words around a questionable match (one more on each side for context),
not the whole field: analysis costs by the character, and short windows recur ("북한이 동해상으로
탄도미사일을"), so the cache of recent windows below serves most calls.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

__all__ = ["Edges", "japanese_tokens", "korean_tokens", "nouns", "word_edges"]

# (starts, ends): character offsets where a term may start and where it may end.
Edges = tuple[frozenset[int], frozenset[int]]

_KO_NO_START = ("XS", "J", "E", "V")  # suffixes, particles, endings, predicate stems
_JA_NO_START = frozenset({"助詞", "助動詞"})
_JA_COUNTER = ("接尾辞", "助数詞")  # (pos1, pos3) of a counter suffix: 日 in 5日, 人 in 3人

_analysers: dict[str, Callable[[str], Edges]] = {}
_instances: dict[str, Any] = {}
_KO_NOUNS = ("NNG", "NNP", "SL", "SH")  # common and proper nouns, Latin words, hanja
_JA_NOUNS = frozenset({"普通名詞", "固有名詞"})  # pos2 of 名詞 (numbers excluded)


def word_edges(lang: str, text: str) -> Edges:
    """Where a term may start and end in `text` (normalised Japanese or Korean copy, a field
    or the words around a match), as offsets into `text`."""
    return _cached(lang, text)


@lru_cache(maxsize=8192)
def _cached(lang: str, text: str) -> Edges:
    analyse = _analysers.get(lang)
    if analyse is None:
        analyse = _analysers[lang] = _load(lang)
    return analyse(text)


def _load(lang: str) -> Callable[[str], Edges]:
    if lang == "ko":
        return _korean()
    if lang == "ja":
        return _japanese()
    raise ValueError(f"no word analyser for language {lang!r}")


def _instance(lang: str) -> Any:
    """The one analyser per language and process (word edges and nouns share it)."""
    found = _instances.get(lang)
    if found is None:
        if lang == "ko":
            from kiwipiepy import Kiwi

            # Without the multi-word dictionary (12 MB on disk): peak memory 528 -> 342 MB and
            # about a second less to load; all 1,554 golden tags, the entity headlines and the
            # story sets read the same (2026-12-06). Terms are single words, so it never helped.
            found = Kiwi(load_multi_dict=False)
        elif lang == "ja":
            import fugashi

            found = fugashi.Tagger()
        else:
            raise ValueError(f"no word analyser for language {lang!r}")
        _instances[lang] = found
    return found


def nouns(lang: str, text: str) -> tuple[str, ...]:
    """The nouns of Japanese or Korean ``text`` in order (Latin words and hanja included),
    for story features (``jkwatch.ingest.stories.features``)."""
    return _nouns_cached(lang, text)


@lru_cache(maxsize=4096)
def _nouns_cached(lang: str, text: str) -> tuple[str, ...]:
    if lang == "ko":
        return tuple(
            token.form for token in _instance("ko").tokenize(text) if token.tag in _KO_NOUNS
        )
    if lang == "ja":
        out: list[str] = []
        for word in _instance("ja")(text):
            feature = word.feature
            if feature.pos1 == "名詞" and feature.pos2 in _JA_NOUNS:
                out.append(word.surface)
            elif feature.pos1 == "記号" or not word.surface.strip():
                continue
            elif word.surface.isascii() and word.surface.isalnum() and not word.surface.isdigit():
                out.append(word.surface)  # ICBM, GSOMIA: tagged as 名詞 or 記号 by UniDic
        return tuple(out)
    raise ValueError(f"no word analyser for language {lang!r}")


def korean_tokens(text: str) -> tuple[tuple[int, int, str], ...]:
    """Kiwi's tokens of Korean ``text`` as (start, end, tag), cached: word edges are read off
    them, and the entity matcher asks whether a one-syllable short form (미, 북, 러) is a proper
    noun (NNP) or another word (한 = "one"), so one field is analysed once for both."""
    return _korean_tokens_cached(text)


@lru_cache(maxsize=4096)
def _korean_tokens_cached(text: str) -> tuple[tuple[int, int, str], ...]:
    return tuple(
        (token.start, token.start + token.len, token.tag)
        for token in _instance("ko").tokenize(text)
    )


def japanese_tokens(text: str) -> tuple[tuple[int, int, str, str], ...]:
    """UniDic's tokens of Japanese ``text`` as (start, end, pos1, pos3), cached: word edges are
    read off them, and the entity matcher asks whether a one-character short form (米, 北) is a
    word prefixed to a noun (米|国防|長官)."""
    return _japanese_tokens_cached(text)


@lru_cache(maxsize=4096)
def _japanese_tokens_cached(text: str) -> tuple[tuple[int, int, str, str], ...]:
    out: list[tuple[int, int, str, str]] = []
    position = 0
    for word in _instance("ja")(text):
        # MeCab drops the spaces between tokens; find each surface from where the last one
        # ended, so offsets stay right whatever it skipped.
        found = text.find(word.surface, position)
        if found < 0 or not word.surface:
            continue
        position = found + len(word.surface)
        out.append((found, position, word.feature.pos1, word.feature.pos3))
    return tuple(out)


def _korean() -> Callable[[str], Edges]:
    def edges(text: str) -> Edges:
        starts: set[int] = set()
        ends: set[int] = set()
        for start, stop, tag in korean_tokens(text):
            ends.add(stop)
            if tag == "SH":  # a run of hanja: each character is a headline word (北美, 韓美日)
                starts.update(range(start, stop))
                ends.update(range(start + 1, stop))
            elif not tag.startswith(_KO_NO_START):
                starts.add(start)
        return frozenset(starts), frozenset(ends)

    return edges


def _japanese() -> Callable[[str], Edges]:
    def edges(text: str) -> Edges:
        starts: set[int] = set()
        ends: set[int] = set()
        for start, stop, pos1, pos3 in japanese_tokens(text):
            ends.add(stop)
            if pos1 not in _JA_NO_START and (pos1, pos3) != _JA_COUNTER:
                starts.add(start)
        return frozenset(starts), frozenset(ends)

    return edges
