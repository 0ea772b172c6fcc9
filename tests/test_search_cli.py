"""``jkwatch search`` end to end (CliRunner) on SQLite and PostgreSQL: a name of an entity finds
its items in every language, never an item that only holds the name's characters inside
another word; ``--exact`` is the plain full-text match; options, the row shape of ``export``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.entity_search import expand
from jkwatch.db.query_filters import Filters
from jkwatch.db.search import iter_matches, search_items
from jkwatch.entities import default_gazetteer
from tests.processes import invoke
from tests.search_corpus import DOKDO, PLAN, newest_first, seeded_database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request, tmp_path_factory) -> Iterator[tuple[str, dict[str, int], Path]]:
    """One seeded database per backend for the whole module: every test here only reads."""
    with seeded_database(request.param, tmp_path_factory.mktemp("search")) as built:
        yield built


@pytest.fixture
def seeded(database, monkeypatch) -> tuple[str, dict[str, int]]:
    url, ids, gazetteer = database
    monkeypatch.setenv("JKWATCH_ENTITIES", str(gazetteer))
    return url, ids


@pytest.fixture
def sessions(seeded) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(seeded[0])
    yield make_sessionmaker(engine)
    engine.dispose()


TITLES = {p.key: p.title for p in PLAN}
PLAN_BY_KEY = {p.key: p for p in PLAN}


def _keys(output: str, ids: dict[str, int]) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id[json.loads(line)["id"]] for line in output.splitlines()]


def test_a_korean_name_finds_the_japanese_and_english_items_newest_first(seeded):
    url, ids = seeded
    result = invoke(url, "search", "독도")
    assert result.exit_code == 0, result.output
    found = _keys(result.output, ids)
    assert found == newest_first(DOKDO)
    assert "ja-takeshima-protest" in found and "en-dokdo-drill" in found


def test_a_name_inside_another_word_is_not_the_entity(seeded):
    url, ids = seeded
    expected = newest_first(["ko-gsomia", "ja-nk-launch"])
    for name in ("北", "北朝鮮", "북한", "DPRK"):
        assert _keys(invoke(url, "search", name).output, ids) == expected
    # As plain text, 北 is also the first character of 北海道 (Hokkaido).
    exact = _keys(invoke(url, "search", "--exact", "北").output, ids)
    assert exact == newest_first(["ja-nk-launch", "ja-hokkaido-snow"])


@pytest.mark.parametrize("name", ["竹島", "Takeshima", "DOKDO", '"Liancourt Rocks"', "獨島"])
def test_every_name_in_every_language_finds_the_same_items(seeded, name):
    url, ids = seeded
    assert _keys(invoke(url, "search", name).output, ids) == newest_first(DOKDO)


def test_a_multi_word_name_needs_no_quotes(seeded):
    url, ids = seeded
    assert _keys(invoke(url, "search", "Liancourt", "Rocks").output, ids) == newest_first(DOKDO)


def test_exact_turns_the_expansion_off(seeded):
    url, ids = seeded
    found = _keys(invoke(url, "search", "--exact", "독도").output, ids)
    assert found == ["ko-dokdo-drill"]  # the full-text match: the Korean item only
    assert _keys(invoke(url, "search", "--exact", "竹島").output, ids) == ["ja-takeshima-protest"]


def test_a_name_and_other_words_are_the_entity_and_the_words(seeded):
    url, ids = seeded
    assert _keys(invoke(url, "search", "竹島", "drill").output, ids) == ["en-dokdo-drill"]
    assert _keys(invoke(url, "search", "drill", "독도").output, ids) == ["en-dokdo-drill"]
    assert _keys(invoke(url, "search", "독도", "방어훈련").output, ids) == ["ko-dokdo-drill"]
    assert _keys(invoke(url, "search", "독도", "nothing").output, ids) == []


def test_relevant_only_and_limit(seeded):
    url, ids = seeded
    relevant = _keys(invoke(url, "search", "--relevant-only", "Dokdo").output, ids)
    assert relevant == newest_first([k for k in DOKDO if k != "en-liancourt-essay"])
    assert (
        _keys(invoke(url, "search", "--limit", "2", "Dokdo").output, ids)
        == (newest_first(DOKDO)[:2])
    )


def test_a_query_that_is_no_entity_is_a_full_text_search(seeded):
    url, ids = seeded
    assert _keys(invoke(url, "search", "概算要求").output, ids) == ["ja-unrelated"]
    assert _keys(invoke(url, "search", "지소미아").output, ids) == ["ko-gsomia"]


def test_the_rows_are_the_export_rows(seeded):
    url, ids = seeded
    exported = {
        row["id"]: row for row in map(json.loads, invoke(url, "export").output.splitlines())
    }
    rows = [json.loads(line) for line in invoke(url, "search", "독도").output.splitlines()]
    assert rows and all(row == exported[row["id"]] for row in rows)
    assert list(rows[0]) == list(exported[rows[0]["id"]])


def test_the_table_names_the_expanded_entity(seeded):
    url, _ = seeded
    text = invoke(url, "search", "--format", "table", "독도").output
    first, header = text.splitlines()[:2]
    assert first.startswith("Dokdo / Takeshima: also Dokdo, Takeshima, Liancourt Rocks, 竹島")
    assert "독도" not in first.split("also", 1)[1]  # the name typed is not repeated
    assert header.split() == ["published", "(UTC)", "lang", "rel", "source", "title"]
    assert "竹島周辺での韓国軍訓練に政府が抗議" in text
    assert "No items match." in invoke(url, "search", "--format", "table", "zzz").output


def test_more_than_a_page_reads_in_chunks_with_the_same_answer(seeded, sessions):
    expansion = expand("Dokdo", default_gazetteer())
    with sessions() as session:
        chunks = [
            hit.id
            for chunk in iter_matches(session, "Dokdo", Filters(), chunk=2, expansion=expansion)
            for hit in chunk
        ]
        page = [hit.id for hit in search_items(session, "Dokdo", Filters(), 1, 25, expansion).items]
    assert chunks == page
    url, ids = seeded
    assert _keys(invoke(url, "search", "--limit", "500", "독도").output, ids) == (
        newest_first(DOKDO)
    )


def test_an_entity_with_many_items_has_a_capped_total(seeded, sessions, monkeypatch):
    from jkwatch.db import search as text_search

    expansion = expand("독도", default_gazetteer())
    with sessions() as session:
        every = search_items(session, "독도", Filters(), 1, 2, expansion)
        second = search_items(session, "독도", Filters(), 2, 2, expansion)
        monkeypatch.setattr(text_search, "SEARCH_COUNT_LIMIT", 3)
        capped = search_items(session, "독도", Filters(), 1, 2, expansion)
    assert (every.total, every.total_exact, every.pages) == (len(DOKDO), True, 2)
    assert [h.title for h in every.items + second.items] == [TITLES[k] for k in newest_first(DOKDO)]
    assert (capped.total, capped.total_exact) == (3, False)
    assert [h.id for h in capped.items] == [h.id for h in every.items]


def test_the_date_range_and_filters_apply_to_the_entity_items(seeded, sessions):
    expansion = expand("독도", default_gazetteer())
    first_day = PLAN[0].published_at.date()
    with sessions() as session:
        day_one = search_items(
            session, "독도", Filters(start=first_day, end=first_day), 1, 25, expansion
        )
        japanese = search_items(session, "독도", Filters(languages=("ja",)), 1, 25, expansion)
    in_day = [k for k in newest_first(DOKDO) if PLAN_BY_KEY[k].published_at.date() == first_day]
    assert [h.title for h in day_one.items] == [TITLES[k] for k in in_day]
    assert 0 < len(in_day) < len(DOKDO)
    assert [h.title for h in japanese.items] == [TITLES["ja-takeshima-protest"]]


@pytest.mark.parametrize("rare_words", [2_000, 1], ids=["a rare word", "a common word"])
def test_an_entity_and_a_word_give_the_same_items_either_way(
    seeded, sessions, monkeypatch, rare_words
):
    from jkwatch.db import search as text_search

    monkeypatch.setattr(text_search, "RARE_MATCHES", rare_words)
    with sessions() as session:
        for query, keys in (("독도 drill", ["en-dokdo-drill"]), ("북한 정보", ["ko-gsomia"])):
            found = search_items(
                session, query, Filters(), 1, 5, expand(query, default_gazetteer())
            )
            assert [h.title for h in found.items] == [TITLES[k] for k in keys], query
            assert found.total == len(keys)


def test_a_missing_database_is_exit_2(tmp_path: Path):
    result = invoke(f"sqlite:///{tmp_path / 'none.db'}", "search", "독도")
    assert result.exit_code == 2
    assert "no database at" in result.output and not (tmp_path / "none.db").exists()


def test_an_empty_query_is_a_usage_error(seeded):
    url, _ = seeded
    assert invoke(url, "search").exit_code == 2
    assert invoke(url, "search", "  ").exit_code == 2
