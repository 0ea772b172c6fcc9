"""The taxonomy file: the real one loads, and every kind of mistake is reported where it is."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from jkwatch.ingest.tagging import (
    DEFAULT_PATH,
    THEME_IDS,
    TaxonomyError,
    load_taxonomy,
    parse_taxonomy,
)

EXPECTED_IDS = (
    "jk_cooperation",
    "collective_security",
    "us_alliance",
    "nk_weapons",
    "inter_korean",
    "russia_nk",
    "china_pressure",
    "taiwan_strait",
    "missile_defense",
    "defense_buildup",
    "security_autonomy",
    "history_disputes",
    "ukraine_war",
    "defense_industry",
)

THEME = """
[[themes]]
id = "{id}"
label = "Label"
description = "A description."
[themes.terms]
en = ["missile:2"]
ja = ["ミサイル"]
ko = ["미사일"]
"""

HEADER = """
version = 1
[relevance]
threshold = 0.5
[relevance.actors]
en = ["Japan"]
[relevance.security]
en = ["defense"]
"""


def minimal(theme_block: str = "", header: str = HEADER, skip: str | None = None) -> str:
    """A valid taxonomy text, with `theme_block` replacing the first theme if given."""
    blocks = [THEME.format(id=theme_id) for theme_id in THEME_IDS if theme_id != skip]
    if theme_block:
        blocks[0] = theme_block
    return header + "".join(blocks)


def error_of(text: str) -> str:
    with pytest.raises(TaxonomyError) as info:
        parse_taxonomy(text)
    return str(info.value)


def test_the_real_config_loads_with_the_fourteen_theme_ids_in_order() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.theme_ids == EXPECTED_IDS
    assert THEME_IDS == EXPECTED_IDS


def test_the_real_config_relevance_threshold_is_the_one_storage_relies_on() -> None:
    assert load_taxonomy().relevance.threshold == 0.5


def test_every_real_theme_has_a_label_a_description_and_terms_in_all_three_languages() -> None:
    for theme in load_taxonomy().themes:
        assert theme.label and len(theme.description) > 80
        langs = {term.lang for term in theme.terms}
        assert langs == {"en", "ja", "ko"}, theme.id
        assert len(theme.terms) >= 40, f"{theme.id} has only {len(theme.terms)} terms"


def test_the_real_config_lists_the_theme_ids_in_display_order_in_the_file() -> None:
    doc = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    assert tuple(theme["id"] for theme in doc["themes"]) == EXPECTED_IDS


def test_the_real_config_starts_with_a_comment_block_documenting_the_format() -> None:
    head = DEFAULT_PATH.read_text(encoding="utf-8").split("\nversion")[0]
    assert head.startswith("#")
    for word in ("weight", "exclude", "threshold", "[[themes]]"):
        assert word in head


def test_the_fingerprint_changes_when_the_file_changes() -> None:
    assert parse_taxonomy(minimal()).fingerprint != parse_taxonomy(minimal() + "\n").fingerprint
    assert re.fullmatch("[0-9a-f]{64}", load_taxonomy().fingerprint)


def test_the_taxonomy_path_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "themes.toml"
    path.write_text(minimal(), encoding="utf-8")
    monkeypatch.setenv("JKWATCH_THEMES", str(path))
    assert load_taxonomy().theme("nk_weapons").label == "Label"


def test_a_missing_file_is_reported_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="nope.toml: cannot read"):
        load_taxonomy(tmp_path / "nope.toml")


def test_invalid_toml_is_reported_as_such() -> None:
    assert "invalid TOML" in error_of("version = = 1")


def test_a_missing_theme_is_named() -> None:
    assert "missing theme ids: russia_nk" in error_of(minimal(skip="russia_nk"))


def test_an_unknown_theme_id_is_named_with_the_allowed_ones() -> None:
    message = error_of(minimal(THEME.format(id="space_race")))
    assert "themes[0]" in message and "unknown theme id 'space_race'" in message


def test_a_duplicate_theme_id_is_named() -> None:
    text = minimal() + THEME.format(id="nk_weapons")
    assert "theme 'nk_weapons': duplicate theme id" in error_of(text)


def test_a_bad_weight_names_the_theme_the_field_and_the_problem() -> None:
    block = THEME.format(id="jk_cooperation").replace('"missile:2"', '"missile:heavy"')
    message = error_of(minimal(block))
    assert "theme 'jk_cooperation': terms.en[0]: weight must be a positive number" in message


def test_a_negative_weight_in_a_table_term_is_rejected() -> None:
    block = THEME.format(id="jk_cooperation").replace(
        '"missile:2"', '{term = "missile", weight = -1}'
    )
    assert "terms.en[0]: weight must be a positive number" in error_of(minimal(block))


def test_an_empty_language_list_names_the_theme_and_language() -> None:
    block = THEME.format(id="jk_cooperation").replace('ko = ["미사일"]', "ko = []")
    assert "theme 'jk_cooperation': terms.ko: must not be empty" in error_of(minimal(block))


def test_a_missing_language_names_the_theme_and_language() -> None:
    block = THEME.format(id="jk_cooperation").replace('ja = ["ミサイル"]', "")
    assert "theme 'jk_cooperation': terms.ja: must be a list of terms" in error_of(minimal(block))


def test_an_unknown_language_is_rejected() -> None:
    block = THEME.format(id="jk_cooperation").replace(
        'ko = ["미사일"]', 'ko = ["미사일"]\nzh = ["导弹"]'
    )
    assert "terms.zh: unknown language" in error_of(minimal(block))


def test_a_duplicate_term_points_at_both_positions() -> None:
    block = THEME.format(id="jk_cooperation").replace('"missile:2"', '"Missile", "ＭＩＳＳＩＬＥ"')
    assert "terms.en[1]: duplicate term 'ＭＩＳＳＩＬＥ' (same as terms.en[0])" in error_of(
        minimal(block)
    )


def test_a_missing_label_names_the_theme_and_field() -> None:
    block = THEME.format(id="jk_cooperation").replace('label = "Label"', "")
    assert "theme 'jk_cooperation': label: must be a non-empty string" in error_of(minimal(block))


def test_an_unknown_theme_field_is_named() -> None:
    block = THEME.format(id="jk_cooperation").replace('label = "Label"', 'label = "L"\ncolour = 3')
    assert "theme 'jk_cooperation': unknown field 'colour'" in error_of(minimal(block))


def test_exact_matching_is_refused_for_cjk_terms() -> None:
    block = THEME.format(id="jk_cooperation").replace('"ミサイル"', '"=ミサイル"')
    assert "terms.ja[0]: exact matching" in error_of(minimal(block))


def test_a_negative_actor_share_is_rejected() -> None:
    block = THEME.format(id="jk_cooperation").replace(
        'label = "Label"', 'label = "L"\nactor_share = -1'
    )
    assert "theme 'jk_cooperation': actor_share: must be a number >= 0" in error_of(minimal(block))


def test_a_threshold_outside_zero_and_one_is_rejected() -> None:
    header = HEADER.replace("threshold = 0.5", "threshold = 1.5")
    assert "relevance.threshold: must be between 0 and 1" in error_of(minimal(header=header))


def test_a_missing_relevance_section_is_reported() -> None:
    assert "missing [relevance] table" in error_of(minimal(header="version = 1\n"))


def test_a_bad_relevance_term_names_the_list() -> None:
    header = HEADER.replace('en = ["defense"]', 'en = ["defense", 3]')
    assert "relevance: security.en[1]: must be a string or {term, weight} table" in error_of(
        minimal(header=header)
    )
