"""The labelling guide (docs/themes.md) covers every theme, and ships with the package."""

from __future__ import annotations

from pathlib import Path

from jkwatch.config import shipped
from jkwatch.dashboard.guide import GUIDE_NAME, theme_section
from jkwatch.ingest.tagging import THEME_IDS

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "themes.md"


def test_every_theme_has_covers_does_not_and_borderline_cases() -> None:
    for theme_id in THEME_IDS:
        section = theme_section(theme_id)
        assert section, theme_id
        for part in ("Covers:", "Does not cover:", "Borderline:"):
            assert part in section, (theme_id, part)


def test_borderline_cases_come_in_all_three_languages() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    assert any("\u3040" <= ch <= "\u30ff" for ch in text)  # Japanese kana
    assert any("\uac00" <= ch <= "\ud7a3" for ch in text)  # Hangul
    assert "multi-label rule" in text


def test_the_shipped_copy_is_the_guide() -> None:
    assert shipped(GUIDE_NAME).read_text(encoding="utf-8") == GUIDE.read_text(encoding="utf-8")
