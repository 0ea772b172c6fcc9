"""The tagger's shortcuts agree with the plain definitions they stand in for.

`normalize` skips work (ASCII table, NFKC by replacement for "…" and the ideographic space); the
result builders skip the dataclass __init__. Each is checked here against the straightforward
computation, on generated input that leans on the characters the shortcuts care about.
"""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.tagging import Evidence, TagResult, ThemeScore
from ingest.tagging.results import build_tag_result, build_theme_score
from ingest.tagging.text import normalize

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


def test_fast_builders_give_the_same_values_as_the_constructors() -> None:
    evidence = (Evidence("missile", "title", 1), Evidence("launch", "summary", 2))
    built = build_theme_score("nk_weapons", 0.625, evidence)
    plain = ThemeScore("nk_weapons", 0.625, evidence)
    assert built == plain and repr(built) == repr(plain) and hash(built) == hash(plain)
    result = build_tag_result(0.81, True, (built,))
    assert result == TagResult(0.81, True, (plain,))
    assert repr(result) == repr(TagResult(0.81, True, (plain,)))
    assert result.to_json() == TagResult(0.81, True, (plain,)).to_json()
