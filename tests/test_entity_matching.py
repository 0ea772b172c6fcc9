"""The shipped gazetteer and the matcher on headlines in real outlets' phrasing.

Each line of ``tests/data/entity_headlines.jsonl`` is a headline (and sometimes a lead) written
for this suite in the style of Yonhap, Chosun, NHK, Kyodo, Yomiuri, Asahi, the Japan Times, the
Korea Herald, wire flashes and opinion pages, with the exact set of entity ids it names. The
negatives are the words a substring matcher gets wrong (북한산, 중국집, 北海道, 新米, "Korean Air",
"under the aegis"). A line with ``known_gap`` is a case the matcher cannot get right yet; it is
an expected failure with the reason, and the test says so the day it starts to pass.

Decisions the cases pin down (docs/entities.md): a country named inside a word the analyser
splits counts (미국산 = made in the US, 韓国語 = Korean); in overlaps the longer name wins
(在日米軍 is USFJ, "Sea of Japan" is the sea); surnames shared by many people name nobody
("Lee", "Kim", "이 대통령").
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from jkwatch.config import shipped
from jkwatch.entities import Gazetteer, load_gazetteer
from jkwatch.ingest.entities import EntityMatcher

CASES_PATH = Path(__file__).parent / "data" / "entity_headlines.jsonl"


def _cases() -> list[dict[str, Any]]:
    with CASES_PATH.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


CASES = _cases()


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer(shipped("entities.toml"))


@pytest.fixture(scope="module")
def matcher(gazetteer: Gazetteer) -> EntityMatcher:
    return EntityMatcher(gazetteer)


def _params() -> list[Any]:
    out = []
    for case in CASES:
        marks = []
        if case.get("known_gap"):
            marks.append(pytest.mark.xfail(reason=case["known_gap"], strict=True))
        out.append(pytest.param(case, id=case["id"], marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_a_headline_names_exactly_its_entities(case, matcher):
    found = matcher.match(case["title"], case["summary"], case["lang"])
    assert sorted(match.entity_id for match in found) == sorted(case["entities"])


def test_the_suite_covers_each_language_with_negatives():
    by_language = Counter(case["lang"] for case in CASES)
    assert len(CASES) >= 60
    assert all(by_language[lang] >= 30 for lang in ("en", "ja", "ko"))
    negatives = Counter(case["lang"] for case in CASES if not case["entities"])
    assert all(negatives[lang] >= 3 for lang in ("en", "ja", "ko"))
    assert len({case["id"] for case in CASES}) == len(CASES)


def test_every_expected_id_is_an_entity_of_the_gazetteer(gazetteer):
    expected = {entity_id for case in CASES for entity_id in case["entities"]}
    assert {entity_id for entity_id in expected if gazetteer.get(entity_id) is None} == set()


@pytest.mark.parametrize(
    ("title", "language", "entity_id", "names"),
    [
        # The evidence is the gazetteer's spelling of what the text said.
        ("石破首相、李在明大統領と会談", "ja", "ishiba_shigeru", ("石破首相",)),
        ("尹, 기시다와 정상회담", "ko", "yoon_suk_yeol", ("尹",)),
        ("KIM JONG-UN INSPECTS MISSILE FACTORY", "en", "kim_jong_un", ("Kim Jong Un",)),
        # Every name that matched is kept, once, in the order first seen.
        ('北, 동해상 발사…북한 "자위권"', "ko", "north_korea", ("北", "북한")),
    ],
)
def test_a_match_carries_the_names_that_matched(title, language, entity_id, names, matcher):
    found = {match.entity_id: match.names for match in matcher.match(title, "", language)}
    assert found[entity_id] == names


def test_one_event_in_three_languages_shares_its_entities(matcher):
    """The cross-language link the gazetteer exists for: the same summit, three presses."""
    reports = [
        ("日韓首脳、奈良で会談　高市首相と李大統領がシャトル外交継続を確認", "ja"),
        ('李대통령-다카이치 총리, 나라서 정상회담…"셔틀외교 궤도 올라"', "ko"),
        ("Lee Jae-myung, Takaichi reaffirm shuttle diplomacy at Nara summit", "en"),
    ]
    sets = [{m.entity_id for m in matcher.match(title, "", lang)} for title, lang in reports]
    shared = set.intersection(*sets)
    assert {"lee_jae_myung", "takaichi_sanae", "shuttle_diplomacy"} <= shared
