"""Language: declared language first (normalised), else the script decides, mixed scripts weighed."""

from __future__ import annotations

import pytest

from jkwatch.ingest.language import detect_language, entry_language, normalize_language


@pytest.mark.parametrize(
    ("declared", "expected"),
    [("ja-JP", "ja"), ("en-us", "en"), ("KO_kr", "ko"), ("jp", "ja"), ("", None), ("12", None)],
)
def test_declared_language_tags_are_normalised(declared: str, expected: str | None) -> None:
    assert normalize_language(declared) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("North Korea fires ballistic missile into East Sea", "en"),
        ("北朝鮮が弾道ミサイル発射　日本のEEZ外に落下か", "ja"),
        ("北, 동해상으로 탄도미사일 발사…합참", "ko"),
        ('韓日 정상회담…美 "안보 협력 강화"', "ko"),
        ("防衛省発表", "ja"),
        ("SDFとGSOMIAに関するQ&A", "ja"),
        ("Yoon says ROK-US-Japan drills 'vital' — 한미일 훈련", "ko"),
        ("", "und"),
        ("12:00 — 2026", "und"),
    ],
)
def test_script_detection(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_declared_language_wins_over_detection() -> None:
    assert entry_language("ja", "GSOMIA extended", "") == "ja"


def test_korean_text_in_a_feed_declared_english_is_korean() -> None:
    assert entry_language("en", "북한, 탄도미사일 발사", "") == "ko"


def test_english_text_in_a_feed_declared_english_stays_english() -> None:
    assert entry_language("en-GB", "Tokyo and Seoul hold talks", "") == "en"


def test_no_declaration_and_no_text_is_undetermined() -> None:
    assert entry_language(None, "", "") == "und"
