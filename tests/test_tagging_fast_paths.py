"""The tagger's shortcuts agree with the plain definitions they stand in for.

`normalize` skips work (ASCII table, NFKC by replacement for "…" and the ideographic space, a
table-driven word regex for BMP-only text); the result builders skip the dataclass __init__. Each is checked here against the straightforward
computation, on generated input that leans on the characters the shortcuts care about.
"""

from __future__ import annotations

import re
import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from jkwatch.ingest.tagging import Evidence, TagResult, ThemeScore
from jkwatch.ingest.tagging import text as text_module
from jkwatch.ingest.tagging.results import build_tag_result, build_theme_score
from jkwatch.ingest.tagging.text import normalize

_WORD_RUNS = re.compile(r"[a-z0-9]+|[^\W\x00-\x7f]+")

# Characters around the shortcuts: the two NFKC replacements, combining marks and voiced-sound
# marks that compose, full- and half-width forms, compatibility squares, CJK, Hangul and jamo.
_TRICKY = (
    "…\u3000 .,-_'\"aZ9ßİΣς\u0301\u0308\u3099\u309a゛ｶﾞｱ가\u1100\u1161\u11a8"
    "日本北朝鮮한국Ａｚ０㎞㎜ﬁ①Ⅳ\u200b\ufeff🇯🇵"
)


def reference_normalize(text: str) -> str:
    """The definition: NFKC, casefold, words joined by single spaces, padded."""
    words = _WORD_RUNS.findall(unicodedata.normalize("NFKC", text).casefold())
    return " " + " ".join(words) + " " if words else " "


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(_TRICKY), max_size=40))
def test_normalize_matches_its_definition_on_tricky_text(text: str) -> None:
    assert normalize(text) == reference_normalize(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_normalize_matches_its_definition_on_any_text(text: str) -> None:
    assert normalize(text) == reference_normalize(text)


def test_ellipsis_and_ideographic_space_are_separators() -> None:
    assert normalize("北朝鮮…ミサイル\u3000発射") == " 北朝鮮 ミサイル 発射 "
    # Beside a mark that composes, the full normalisation still decides.
    assert normalize("か\u3099…") == reference_normalize("か\u3099…") == " が "


def test_the_bmp_word_regex_classifies_every_bmp_character_like_the_category_regex() -> None:
    bmp_words = text_module._bmp_words()
    for code in range(0x10000):
        char = chr(code)
        assert bool(bmp_words.fullmatch(char)) == bool(_WORD_RUNS.fullmatch(char)), hex(code)


def test_only_text_within_the_bmp_takes_the_bmp_regex() -> None:
    def takes_bmp_regex(text: str) -> bool:
        return sys.getsizeof(text) == text_module._UCS2_BASE + 2 * len(text)

    assert takes_bmp_regex("北朝鮮が弾道ミサイル") and takes_bmp_regex("한국 THAAD")
    for text in ("𠮟る北朝鮮", "北🇯🇵", "abc", "café", "", "x" * 300 + "𠮟"):
        assert not takes_bmp_regex(text), text
    # Characters beyond the BMP still join the words around them, as the definition says.
    assert normalize("𠮟る、北朝鮮") == reference_normalize("𠮟る、北朝鮮") == " 𠮟る 北朝鮮 "


def test_fast_builders_give_the_same_values_as_the_constructors() -> None:
    evidence = (Evidence("missile", "title", 1), Evidence("launch", "summary", 2))
    built = build_theme_score("nk_weapons", 0.625, evidence)
    plain = ThemeScore("nk_weapons", 0.625, evidence)
    assert built == plain and repr(built) == repr(plain) and hash(built) == hash(plain)
    result = build_tag_result(0.81, True, (built,))
    assert result == TagResult(0.81, True, (plain,))
    assert repr(result) == repr(TagResult(0.81, True, (plain,)))
    assert result.to_json() == TagResult(0.81, True, (plain,)).to_json()
