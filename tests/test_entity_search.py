"""Which entity a query names (``db.entity_search.expand``): pure, on a real gazetteer file."""

from __future__ import annotations

from pathlib import Path

import pytest

from jkwatch.db.entity_search import expand
from jkwatch.entities import load_gazetteer
from tests.search_corpus import write_gazetteer


@pytest.fixture(scope="module")
def gazetteer(tmp_path_factory):
    return load_gazetteer(write_gazetteer(tmp_path_factory.mktemp("gazetteer")))


@pytest.mark.parametrize(
    "query, matched, rest",
    [
        ("독도", "독도", ""),
        ("  takeshima ", "takeshima", ""),
        ('"Liancourt Rocks"', "Liancourt Rocks", ""),
        ("「竹島」", "竹島", ""),
        ("Liancourt   Rocks", "Liancourt Rocks", ""),
        ("독도 방어훈련", "독도", "방어훈련"),
        ('drill "Liancourt Rocks" navy', "Liancourt Rocks", "drill navy"),
        ("navy Liancourt Rocks drill", "Liancourt Rocks", "navy drill"),
        ("Dokdo GSOMIA", "Dokdo", "GSOMIA"),
    ],
)
def test_the_named_entity_and_the_words_left(gazetteer, query, matched, rest):
    expansion = expand(query, gazetteer)
    assert expansion is not None
    assert (expansion.entity_id, expansion.matched, expansion.rest) == ("dokdo", matched, rest)
    assert expansion.label == "Dokdo / Takeshima"
    assert expansion.names[:3] == ("Dokdo", "Takeshima", "Liancourt Rocks")
    assert {"竹島", "독도", "獨島"} <= set(expansion.names)


def test_the_other_names_leave_out_the_one_typed(gazetteer):
    expansion = expand("DOKDO", gazetteer)
    assert expansion is not None and "Dokdo" not in expansion.other_names()
    assert expansion.other_names()[0] == "Takeshima"


@pytest.mark.parametrize("query", ["", "   ", "missile", "독도법", "Liancourt", "竹"])
def test_no_entity(gazetteer, query):
    assert expand(query, gazetteer) is None


def test_no_gazetteer_no_expansion():
    assert expand("독도", None) is None


@pytest.mark.parametrize(
    "names",
    [
        ("독도", "竹島", "Dokdo", "Takeshima", "獨島"),
        ("북한", "北朝鮮", "North Korea"),
        ("지소미아", "GSOMIA"),
    ],
)
def test_the_shipped_gazetteer_gives_every_name_one_entity(names):
    shipped = load_gazetteer(Path(__file__).resolve().parents[1] / "config" / "entities.toml")
    found = {name: expand(name, shipped) for name in names}
    assert all(x is not None for x in found.values()), found
    assert len({x.entity_id for x in found.values() if x is not None}) == 1
