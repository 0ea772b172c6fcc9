"""The shipped gazetteer (config/entities.toml): enough entities, every one well formed, and no
name that could mean two things.

Pure and fast: the file is read as TOML for the mechanical rules, and once more through the
loader the pipeline uses. docs/entities.md states the rules these tests pin down.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from typing import Any

import pytest

from jkwatch.config import shipped
from jkwatch.entities import ENTITY_TYPES, load_gazetteer, name_key

LANGUAGES = ("en", "ja", "ko")

# Entities that may lack names in a language, with the reason. An entity the Japanese or Korean
# press never names in its own script (only in Latin letters, which match in every language)
# belongs here; everything else has names in all three languages.
MISSING_LANGUAGE_ALLOWED: dict[str, frozenset[str]] = {
    # Japan's missile alert system: Korean reports describe it rather than name it.
    "j_alert": frozenset({"ko"}),
}

# One-character names, by language: Korean headline hanja that stand alone for one entity,
# and 북, 러 and 괌 (one syllable); Japanese country abbreviations, which the matcher counts only
# inside a run of them that is a word (日韓, 日米豪). None in English.
ONE_CHARACTER_NAMES = {
    "ko": frozenset("北日韓美中露尹李文북러괌한남미일중"),
    "ja": frozenset("日韓米中露ロ豪英比北朝"),
    "en": frozenset(),
}

# English words that are names of many people or ordinary words: never a name on their own.
AMBIGUOUS_ENGLISH = frozenset(
    {
        "kim",
        "lee",
        "moon",
        "park",
        "choi",
        "cho",
        "han",
        "shin",
        "us",
        "korean",
        "north",
        "south",
        "patriot",
        "aegis",
        "lai",
        "li",
        "wang",
        "austin",
        "hayashi",
        "hamada",
        "kaga",
    }
)


def _normal(name: str) -> str:
    """The form the loader and the matcher compare (NFKC, case, spaces and hyphens)."""
    return name_key(name)


@pytest.fixture(scope="module")
def entities() -> list[dict[str, Any]]:
    with shipped("entities.toml").open("rb") as handle:
        data = tomllib.load(handle)
    found = data["entity"]
    assert isinstance(found, list)
    return found


def test_the_gazetteer_has_at_least_150_entities(entities):
    assert len(entities) >= 150


def test_ids_are_unique_lowercase_words(entities):
    ids = [entity["id"] for entity in entities]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9_]+", entity_id) for entity_id in ids)


def test_every_type_is_one_the_loader_knows(entities):
    assert {entity["type"] for entity in entities} <= set(ENTITY_TYPES)


def test_every_entity_has_names_in_english_japanese_and_korean(entities):
    for entity in entities:
        allowed_missing = MISSING_LANGUAGE_ALLOWED.get(entity["id"], frozenset())
        assert entity.get("en"), entity["id"]
        for language in ("ja", "ko"):
            if language not in allowed_missing:
                assert entity.get(language), f"{entity['id']}: no {language} names"


def test_names_are_clean_non_empty_strings_listed_once(entities):
    for entity in entities:
        for language in LANGUAGES:
            names = entity.get(language, [])
            assert all(isinstance(name, str) and name == name.strip() and name for name in names)
            normal = [_normal(name) for name in names]
            assert len(normal) == len(set(normal)), f"{entity['id']}.{language} repeats a name"


def test_no_name_belongs_to_two_entities_in_one_language(entities):
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for entity in entities:
        for language in LANGUAGES:
            for name in entity.get(language, []):
                owners[(language, _normal(name))].add(entity["id"])
    shared = {key: ids for key, ids in owners.items() if len(ids) > 1}
    assert shared == {}


def test_a_name_listed_in_two_languages_is_the_same_entity_in_both(entities):
    """Search looks a name up in any language, so 竹島 cannot be one thing in Japanese and
    another in Korean (and 東海, the Tokai region in Japanese, is listed only in Korean)."""
    owners: dict[str, set[str]] = defaultdict(set)
    for entity in entities:
        for language in LANGUAGES:
            for name in entity.get(language, []):
                owners[_normal(name)].add(entity["id"])
    assert {name: ids for name, ids in owners.items() if len(ids) > 1} == {}


def test_one_character_names_are_only_the_headline_abbreviations(entities):
    for entity in entities:
        for language in LANGUAGES:
            for name in entity.get(language, []):
                if len(name) == 1:
                    assert name in ONE_CHARACTER_NAMES[language], (entity["id"], language, name)


def test_no_english_name_is_a_bare_common_surname_or_word(entities):
    for entity in entities:
        for name in entity.get("en", []):
            assert _normal(name) not in AMBIGUOUS_ENGLISH, (entity["id"], name)


def test_japanese_short_forms_that_make_ordinary_words_exclude_those_words(entities):
    """In a run of Japanese short forms 北 makes 北米 (North America) and 朝 makes 朝日 (the
    Asahi): the entities that list them exclude those words. 台 would make 台中 (Taichung) and
    東海 is the Tokai region in Japanese (East Sea only in Korean): neither is a Japanese name."""
    japanese = {name for entity in entities for name in entity.get("ja", [])}
    assert not japanese & {"台", "東海"}
    by_id = {entity["id"]: entity for entity in entities}
    assert {"北米", "朝日"} <= set(by_id["north_korea"]["exclude"])
    assert "北米" in by_id["united_states"]["exclude"]
    assert "朝日" in by_id["japan"]["exclude"]


def test_the_shipped_file_loads_with_the_pipeline_loader(entities):
    gazetteer = load_gazetteer(shipped("entities.toml"))
    assert len(gazetteer.entities) == len(entities)
    dokdo = gazetteer.get("dokdo")
    assert dokdo is not None and dokdo.type == "place"
    assert dokdo.label == "Dokdo / Takeshima"
    assert "竹島" in dokdo.names["ja"] and "독도" in dokdo.names["ko"]
    # Labels default to the first English name.
    japan = gazetteer.get("japan")
    assert japan is not None and japan.label == "Japan"


@pytest.mark.parametrize(
    ("name", "entity_id"),
    [
        ("독도", "dokdo"),
        ("竹島", "dokdo"),
        ("Takeshima", "dokdo"),
        ("ｇｓｏｍｉａ", "gsomia"),
        ("지소미아", "gsomia"),
        ("石破", "ishiba_shigeru"),
        ("이시바", "ishiba_shigeru"),
        ("kim jong-un", "kim_jong_un"),
        ("KIM JONG UN", "kim_jong_un"),
        ("金総書記", "kim_jong_un"),
        ("北", "north_korea"),
        ("火星18型", "hwasong_18"),
        ("화성-18", "hwasong_18"),
    ],
)
def test_any_name_in_any_language_looks_up_its_entity(name, entity_id):
    found = load_gazetteer(shipped("entities.toml")).lookup(name)
    assert found is not None and found.id == entity_id
