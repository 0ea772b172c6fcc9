"""Text normalisation shared by the taxonomy compiler and the tagger.

Terms and item text go through the same `normalize`, so matching is case- and width-insensitive
by construction: NFKC folds full-/half-width forms (ＧＳＯＭＩＡ, ｶﾀｶﾅ), casefold folds case,
and every run of punctuation, symbols or whitespace becomes one space. The result is padded with a
space on each side, which lets English terms be stored as " term " keys: the automaton then only
reports English matches on word boundaries ("NATO" never fires inside "Donato"), with no per-match
boundary check. Japanese and Korean terms are stored unpadded, because particles attach to nouns
(北朝鮮が, 북한이); the matcher checks their word edges with an analyser (see `segment`).

Normalisation is a large share of tagging time, so it is two passes at most: pure ASCII goes
through one `bytes.translate` and `split`; other text gets NFKC only when a quick check says it is
not already normalised, then casefold and one regex `findall` of its words. That regex tests a
Unicode category per character, the costliest step for Japanese and Korean copy; text without
characters beyond the BMP (nearly all of it) uses an equivalent regex that looks each character up
in a bitmap instead (`_BMP_WORDS`).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable

__all__ = ["detect_lang", "english_variants", "normalize", "strip_cjk_spaces"]

# ASCII: letters folded to lower case, digits kept, everything else (punctuation, "_") -> space.
_ASCII_TABLE = bytes.maketrans(
    bytes(range(128)),
    bytes((c | 0x20) if chr(c).isalpha() else c if chr(c).isdigit() else 0x20 for c in range(128)),
)
# The words of non-ASCII text, in one regex pass: runs of other word characters (CJK, Hangul,
# accented Latin), and runs of ASCII letters/digits. Everything else (punctuation, symbols,
# spaces, "_") separates words, and an ASCII run glued to CJK ("THAAD배치", "日韓GSOMIA") becomes
# its own word, so English keys still find it. The branches start with disjoint characters (the
# text is casefolded first), so their order changes no result; the non-ASCII branch comes first
# because most of this text is Japanese or Korean.
_WORDS = re.compile(r"[^\W\x00-\x7f]+|[a-z0-9]+")


def _bmp_word_class() -> str:
    """The non-ASCII BMP characters `_WORDS` counts as word characters, as a class body of
    ranges. Python's regex compiler turns a class of plain ranges into a 64k-bit table."""
    chars = "".join(map(chr, range(0x80, 0x10000)))
    runs = re.finditer(r"[^\W\x00-\x7f]+", chars)
    return "".join(
        f"{re.escape(chr(run.start() + 0x80))}-{re.escape(chr(run.end() + 0x7F))}" for run in runs
    )


def _bmp_words() -> re.Pattern[str]:
    """`_WORDS` for text of BMP characters only: the same matches, a table lookup per character.
    Built on first use (about 20 ms), so importing the tagger stays cheap."""
    global _bmp_findall
    pattern = re.compile(f"[{_bmp_word_class()}]+|[a-z0-9]+")
    _bmp_findall = pattern.findall
    return pattern


_bmp_findall: Callable[[str], list[str]] | None = None
# CPython stores a string in 2 bytes per character exactly when its widest character is in the
# BMP beyond Latin-1; `sys.getsizeof` then equals this base plus 2 per character. No string
# holding a character beyond the BMP (4 bytes each) can match that size, so the check never
# sends such text to the BMP regex; other text that misses it simply takes `_WORDS`.
_sizeof = sys.getsizeof
_UCS2_BASE = _sizeof("\u0100") - 2 if sys.implementation.name == "cpython" else -(10**9)
_HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff]")
_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7a3"
_CJK_SPACE = re.compile(f"(?<=[{_CJK_CHARS}]) (?=[{_CJK_CHARS}])")
_is_normalized = unicodedata.is_normalized
_nfkc = unicodedata.normalize


def normalize(text: str) -> str:
    """Return `text` NFKC-normalised, casefolded, punctuation-free and padded with spaces.

    Words are separated by exactly one space and the string starts and ends with one, so
    " missile " is found in every normalised text that contains the word "missile".
    """
    if text.isascii():
        words = text.encode("ascii").translate(_ASCII_TABLE).decode().split()
        return " " + " ".join(words) + " " if words else " "
    if not _is_normalized("NFKC", text):
        text = _nfkc_fast(text)
    text = text.casefold()
    if _sizeof(text) == _UCS2_BASE + 2 * len(text):
        words = (_bmp_findall or _bmp_words().findall)(text)
    else:
        words = _WORDS.findall(text)
    return " " + " ".join(words) + " " if words else " "


def _nfkc_fast(text: str) -> str:
    """NFKC of a text that is not NFKC already, cheaply when only "…" or an ideographic space
    (common in Japanese and Korean copy) keep it from being so.

    NFKC decomposes character by character and both have plain decompositions ("...", " ")
    with no combining marks, so replacing them first and finding the rest already normalised
    means the result is what NFKC returns, at a fraction of the cost of a full pass.
    """
    simple = text.replace("\u2026", "...").replace("\u3000", " ")
    return simple if _is_normalized("NFKC", simple) else _nfkc("NFKC", text)


def strip_cjk_spaces(normalized: str) -> str:
    """Drop spaces between two CJK characters (Korean headlines often omit them: 한일정상회담)."""
    return _CJK_SPACE.sub("", normalized)


def detect_lang(normalized: str) -> str:
    """Guess en/ja/ko from the script: Hangul means Korean, kana or other Han means Japanese."""
    if normalized.isascii():
        return "en"
    if _HANGUL.search(normalized):
        return "ko"
    if _KANA.search(normalized):
        return "ja"
    return "ja" if re.search(f"[{_CJK_CHARS}]", normalized) else "en"


_VOWELS = frozenset("aeiou")


def _plural(word: str) -> set[str]:
    if word.endswith(("ss", "sh", "ch", "x", "z")):
        return {word + "es"}
    if word.endswith("s"):
        return set()  # already plural ("talks", "arms") or invariant
    if len(word) > 2 and word.endswith("y") and word[-2] not in _VOWELS:
        return {word[:-1] + "ies"}
    return {word + "s"}


def _verb_forms(word: str) -> set[str]:
    if word.endswith("ie"):
        return {word + "d", word[:-2] + "ying"}
    if word.endswith("ee"):
        return {word + "d", word + "ing"}
    if word.endswith("e"):
        return {word + "d", word[:-1] + "ing"}
    if word.endswith("y") and word[-2] not in _VOWELS:
        return {word[:-1] + "ied", word + "ing"}
    forms = {word + "ed", word + "ing"}
    # One-syllable consonant-vowel-consonant stems double the final consonant (ban -> banned).
    if (
        len(word) <= 4
        and word[-1] not in _VOWELS | {"w", "x", "y"}
        and word[-2] in _VOWELS
        and word[-3] not in _VOWELS
    ):
        forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}
    return forms


def english_variants(term: str, *, exact: bool = False) -> set[str]:
    """The normalised forms an English term matches: itself, plural/3rd person, -ed and -ing.

    Only the last word inflects ("joint drill" -> "joint drills"). Acronyms (written in capitals)
    and words shorter than four letters only get a plural, so "US" never turns into "used".
    """
    base = normalize(term).strip()
    if exact or not base:
        return {base}
    head, _, last = base.rpartition(" ")
    original_last = term.strip().split()[-1] if term.strip() else ""
    if not last.isalpha():
        return {base}
    forms = {last} | _plural(last)
    acronym = original_last.isupper() and original_last.isalpha()
    if len(last) >= 4 and not acronym:
        forms |= _verb_forms(last)
    prefix = head + " " if head else ""
    return {prefix + form for form in forms}
