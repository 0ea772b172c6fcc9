"""Language of an entry: the feed's declared language first, else a guess from the script.

Script counting is enough for what jkwatch reads (English, Japanese, Korean) and costs one pass
over the text. Mixed scripts are weighed, not voted: any kana means Japanese (Korean never uses
kana), Hangul outweighs the single Chinese characters Korean headlines use as abbreviations
(北 for North Korea, 日 for Japan, 美 for the US), and Latin acronyms (SDF, GSOMIA) do not make
Japanese or Korean text English.
"""

from __future__ import annotations

import re

from jkwatch.model import UNKNOWN_LANGUAGE

_TAG = re.compile(r"^[a-z]{2,3}$")
_ALIASES = {"jp": "ja", "kr": "ko", "jpn": "ja", "kor": "ko", "eng": "en"}


def normalize_language(declared: str | None) -> str | None:
    """``ja-JP`` → ``ja``, ``EN_us`` → ``en``; None when the value is not a language tag."""
    if not declared:
        return None
    primary = re.split(r"[-_\s.,;]", declared.strip().lower(), maxsplit=1)[0]
    primary = _ALIASES.get(primary, primary)
    return primary if _TAG.match(primary) and primary != UNKNOWN_LANGUAGE else None


def _counts(text: str) -> tuple[int, int, int, int, int]:
    hangul = kana = han = latin = other = 0
    for char in text:
        code = ord(char)
        if code < 0x80:
            if char.isalpha():
                latin += 1
        elif 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
            hangul += 1
        elif 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D:
            kana += 1
        elif 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
            han += 1
        elif 0xFF21 <= code <= 0xFF5A or 0xC0 <= code <= 0x24F:
            latin += 1
        elif char.isalpha():
            other += 1
    return hangul, kana, han, latin, other


def detect_language(text: str) -> str:
    """Guess ``ko``, ``ja``, ``en`` or ``und`` from the scripts in ``text``."""
    hangul, kana, han, latin, other = _counts(text)
    if hangul and hangul >= kana:
        return "ko"
    if kana:
        return "ja"
    if han:
        # Han without kana or Hangul ("防衛省発表", "日韓首脳会談"): Japanese, for what we read.
        return "ja"
    if latin and latin >= other:
        return "en"
    return UNKNOWN_LANGUAGE


def entry_language(declared: str | None, title: str, summary: str = "") -> str:
    """The declared language when there is one, else the language of title and summary."""
    language = normalize_language(declared)
    if language in ("ja", "ko", "zh"):
        return language
    detected = detect_language(f"{title} {summary[:500]}")
    if language and detected not in ("ja", "ko"):
        return language
    # A feed declared English (or anything else) that carries Korean or Japanese text: trust
    # the script (news-search feeds often declare one language for all results).
    return detected
