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

_CJK_CLASS = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\u1100-\u11ff"  # Hangul jamo
    "\u3130-\u318f"  # Hangul compatibility jamo
)
# One pass over the text: a run of CJK characters, or a run of other word characters.
_RUNS = re.compile(f"([{_CJK_CLASS}]+)|([^\\W{_CJK_CLASS}]+)")
_ONE_CJK = re.compile(f"[{_CJK_CLASS}]")


def _is_cjk(char: str) -> bool:
    return _ONE_CJK.fullmatch(char) is not None


def tokens(text: str) -> list[str]:
    """Search tokens: lower-cased words, CJK runs as bigrams (a lone CJK char stays itself)."""
    normal = unicodedata.normalize("NFKC", text or "").casefold()
    out: list[str] = []
    for cjk, word in _RUNS.findall(normal):
        if word:
            out.append(word)
        elif len(cjk) == 1:
            out.append(cjk)
        else:
            out.extend(cjk[i : i + 2] for i in range(len(cjk) - 1))
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
