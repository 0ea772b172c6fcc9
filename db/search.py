"""Text prepared for full-text search, shared by the writer and the search query.

FTS5's ``unicode61`` tokenizer and PostgreSQL's ``simple`` configuration split on spaces
and punctuation, which leaves Japanese (no spaces) as one huge token and Korean words glued
to their particles. Like Lucene's CJK analyzer we index CJK runs as overlapping character
bigrams; a query is segmented the same way and matched as a phrase, so "北朝鮮" finds
"北朝鮮が" and "미사일" finds "미사일을". Other text is lower-cased and kept as words.
"""

from __future__ import annotations

import re
import unicodedata

_CJK_RANGES = (
    ("\u3040", "\u30ff"),  # hiragana, katakana
    ("\u3400", "\u4dbf"),  # CJK extension A
    ("\u4e00", "\u9fff"),  # CJK unified ideographs
    ("\uf900", "\ufaff"),  # CJK compatibility ideographs
    ("\uac00", "\ud7af"),  # Hangul syllables
    ("\u1100", "\u11ff"),  # Hangul jamo
    ("\u3130", "\u318f"),  # Hangul compatibility jamo
)
_TOKEN = re.compile(r"\w+", re.UNICODE)


def _is_cjk(char: str) -> bool:
    return any(low <= char <= high for low, high in _CJK_RANGES)


def _split_runs(word: str) -> list[tuple[bool, str]]:
    """Split a word into alternating CJK / non-CJK runs."""
    runs: list[tuple[bool, str]] = []
    for char in word:
        cjk = _is_cjk(char)
        if runs and runs[-1][0] == cjk:
            runs[-1] = (cjk, runs[-1][1] + char)
        else:
            runs.append((cjk, char))
    return runs


def tokens(text: str) -> list[str]:
    """Search tokens: lower-cased words, CJK runs as bigrams (a lone CJK char stays itself)."""
    normal = unicodedata.normalize("NFKC", text or "").casefold()
    out: list[str] = []
    for word in _TOKEN.findall(normal):
        for cjk, run in _split_runs(word):
            if not cjk or len(run) == 1:
                out.append(run)
            else:
                out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def search_text(title: str, summary: str) -> str:
    """The indexed text of an item: its title and summary, tokenised."""
    return " ".join(tokens(f"{title}\n{summary}"))


def query_phrases(query: str) -> list[list[str]]:
    """A user's query as phrases (one per whitespace-separated term), each a token list.

    Quotes, operators and wildcards are not syntax here: every term is matched literally,
    so user input can never be read as FTS5 or tsquery syntax.
    """
    phrases = []
    for term in (query or "").split():
        toks = tokens(term)
        if toks:
            phrases.append(toks)
    return phrases


def single_char_tokens(phrase: list[str]) -> bool:
    """True when the phrase is one lone CJK character, matched as a prefix of bigrams."""
    return len(phrase) == 1 and len(phrase[0]) == 1 and _is_cjk(phrase[0])
