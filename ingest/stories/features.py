"""The words a story is recognised by: nouns of Japanese and Korean copy, English content words.

``features(title, summary, lang)`` returns the item's terms as a tuple in which every title
term appears twice and every summary term once (a headline says what the event is; a summary
adds detail), so counting the tuple gives the term weights. Japanese and Korean nouns come
from the tagger's own analysers (``ingest.tagging.segment.nouns``: fugashi with UniDic, Kiwi),
loaded once per process and shared with the tagger. English (and any other Latin-script copy)
is split into words, lower-cased, stripped of a plural or possessive ``s``, without stop
words and one-letter words. Numbers are dropped: dates, counts and times differ between two
reports of one event more often than they agree.
"""

from __future__ import annotations

import re
import unicodedata

from jkwatch.ingest.tagging.segment import nouns

TITLE_WEIGHT = 2
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_STOP_WORDS = """a about above after again against all also am an and any are as at be been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just me more
    most my new no nor not now of off on once only or other our ours out over own said same says
    she should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which while who whom why will
    with would you your yours amid says say per via near"""
_STOP = frozenset(_STOP_WORDS.split())


def _english(text: str) -> list[str]:
    out: list[str] = []
    for raw in _WORD.findall(unicodedata.normalize("NFKC", text).casefold()):
        word = raw.replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if len(word) > 1 and word not in _STOP:
            out.append(word)
    return out


def _words(text: str, lang: str) -> list[str]:
    if not text.strip():
        return []
    if lang in ("ja", "ko"):
        normalized = unicodedata.normalize("NFKC", text)
        return [
            word.casefold()
            for word in nouns(lang, normalized)
            if not word.isdigit() and not (len(word) == 1 and word.isascii())
        ]
    return _english(text)


def features(title: str, summary: str, lang: str) -> tuple[str, ...]:
    """The item's terms, title terms twice (see the module docstring)."""
    head = _words(title, lang)
    return tuple(head * TITLE_WEIGHT + _words(summary, lang))
