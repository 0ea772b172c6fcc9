"""The gazetteer's loader and matcher, and entities stored with items, on SQLite and
PostgreSQL: the pipeline fills ``item_entities``, an update replaces them, ``entities
rematch`` and ``db upgrade`` refresh them after the gazetteer changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from jkwatch.cli.main import cli
from jkwatch.db.entities import entities_of_items, stored_fingerprint
from jkwatch.db.feeds import get_feed, upsert_feed
from jkwatch.db.models import Item
from jkwatch.entities import EntitiesError, load_gazetteer
from jkwatch.ingest.entities import EntityMatcher
from jkwatch.ingest.fetch import FetchSettings
from jkwatch.ingest.pipeline import Pipeline, PipelineSettings
from jkwatch.model import EntityMatch, FeedSpec
from tests.factories import RSS_TYPE, Story, rss
from tests.feedserver import Response
from tests.small_gazetteer import GAZETTEER


@pytest.fixture
def gazetteer_file(tmp_path: Path) -> Path:
    path = tmp_path / "entities.toml"
    path.write_text(GAZETTEER, encoding="utf-8")
    return path


@pytest.fixture
def matcher(gazetteer_file: Path) -> EntityMatcher:
    return EntityMatcher(load_gazetteer(gazetteer_file))


def _ids(matches: tuple[EntityMatch, ...]) -> set[str]:
    return {m.entity_id for m in matches}


# -- the loader ------------------------------------------------------------------------


def test_lookup_finds_an_entity_by_any_of_its_names_whatever_the_spelling(gazetteer_file):
    gazetteer = load_gazetteer(gazetteer_file)
    assert len(gazetteer) == 7
    for name in ("독도", "竹島", "dokdo", "TAKESHIMA", "Liancourt  Rocks", "獨島"):
        entity = gazetteer.lookup(name)
        assert entity is not None and entity.id == "dokdo", name
    kim = gazetteer.lookup("kim jong-un")
    assert kim is not None and kim.id == "kim_jong_un" and kim.type == "person"
    assert gazetteer.lookup("Kim") is None
    assert gazetteer.get("dokdo") is not None and gazetteer.get("nothing") is None
    assert gazetteer.get("north_korea").label == "North Korea"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('id = "Bad Id"\ntype = "place"\nen = ["X"]', "entity 8: field 'id'"),
        ('id = "x"\ntype = "planet"\nen = ["X"]', "entity 'x': field 'type' must be one of"),
        ('id = "x"\ntype = "place"\nen = "X"\nfr = ["X"]', "entity 'x': unknown field(s) fr"),
        ('id = "x"\ntype = "place"\nen = [1]', "entity 'x': field 'en' holds an empty"),
        ('id = "x"\ntype = "place"', "entity 'x': no names"),
        ('id = "x"\ntype = "place"\nen = ["X"]\nexclude = [""]', "entity 'x': field 'exclude'"),
        (
            'id = "x"\ntype = "place"\nko = ["독도"]',
            "entity 'x': field 'ko': name '독도' is already",
        ),
        ('id = "dokdo"\ntype = "place"\nen = ["Y"]', "entity 'dokdo': field 'id' is used twice"),
        ('id = "x"\ntype = "place"\nja = ["Dokdo"]', "name 'Dokdo' is already a name of entity"),
    ],
)
def test_a_bad_entry_names_the_entity_and_the_field(tmp_path, entry, message):
    path = tmp_path / "entities.toml"
    path.write_text(f"{GAZETTEER}\n[[entity]]\n{entry}\n", encoding="utf-8")
    with pytest.raises(EntitiesError) as caught:
        load_gazetteer(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_an_unreadable_or_invalid_file_is_a_clear_error(tmp_path):
    with pytest.raises(EntitiesError, match="cannot read"):
        load_gazetteer(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[[entity]\nid=", encoding="utf-8")
    with pytest.raises(EntitiesError, match="not valid TOML"):
        load_gazetteer(broken)


def test_the_shipped_gazetteer_loads():
    assert len(load_gazetteer()) > 0


# -- the matcher -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "ko",
            '北, 동해상으로 탄도미사일 발사…日 "독도는 일본땅" 억지',
            {"north_korea", "japan", "dokdo"},
        ),
        (
            "ko",
            "[속보] 韓美日 외교장관, 北 도발 규탄",
            {"south_korea", "united_states", "japan", "north_korea"},
        ),
        ("ko", '김정은, 미사일총국 방문…"지소미아 파기 노린 도발"', {"kim_jong_un", "gsomia"}),
        (
            "ja",
            "日米韓が共同訓練　北朝鮮をけん制",
            {"japan", "united_states", "south_korea", "north_korea"},
        ),
        ("ja", "政府、竹島の日式典に政務官派遣", {"dokdo"}),
        ("ja", "北海道で大雪、5日朝から交通に乱れ", set()),
        ("ja", "北の大地を走るローカル線", set()),
        (
            "en",
            "Kim Jong-un oversees test as DPRK warns of 'GSOMIA' revival",
            {"kim_jong_un", "north_korea", "gsomia"},
        ),
        ("en", "Japanese tourists flock to Dokdo-themed museum", {"dokdo"}),
        ("en", "GSOMIAs and dokdoism are not words", set()),
        ("en", "Koreans in Japanese cities", set()),
    ],
)
def test_names_match_as_words_in_every_language(matcher, lang, text, expected):
    assert _ids(matcher.match(text, "", lang)) == expected


def test_the_evidence_is_the_gazetteer_spelling_of_each_name_that_matched(matcher):
    found = matcher.match("독도 방어훈련", "獨島 주변 해역에서 Dokdo", "ko")
    assert found == (EntityMatch("dokdo", ("독도", "獨島", "Dokdo")),)
    assert matcher.match("KIM JONG UN speaks", "", "en") == (
        EntityMatch("kim_jong_un", ("Kim Jong Un",)),
    )


def test_an_excluded_word_hides_its_entity_inside_it_only(tmp_path):
    path = tmp_path / "entities.toml"
    path.write_text(
        GAZETTEER.replace('ko = ["독도", "獨島"]', 'ko = ["독도", "獨島"]\nexclude = ["독도법"]'),
        encoding="utf-8",
    )
    matcher = EntityMatcher(load_gazetteer(path))
    assert matcher.match("야간 독도법 훈련", "", "ko") == ()
    assert _ids(matcher.match("독도법 훈련 뒤 독도 경비", "", "ko")) == {"dokdo"}


def test_english_names_apply_to_japanese_and_korean_copy_but_not_the_reverse(matcher):
    assert _ids(matcher.match("GSOMIA破棄を撤回", "", "ja")) == {"gsomia"}
    assert _ids(matcher.match("The word 독도 in English copy", "", "en")) == set()


# -- storage, on both engines ------------------------------------------------------------

T0 = datetime(2026, 2, 22, 3, 0, tzinfo=UTC)
FAST = FetchSettings(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=5)
REPORTS = [
    ("ja", "竹島の日式典に政府が政務官を派遣", "韓国は独島への領有権主張を批判した。"),
    (
        "ko",
        "정부, 日 '다케시마의 날' 행사에 항의…독도 영유권 재확인",
        "외교부는 대변인 성명을 냈다.",
    ),
    ("en", "Seoul protests Japan's Takeshima Day ceremony", "The ministry summoned a diplomat."),
]


def _refresh(sessions, feed_server, tagger, matcher, title_suffix: str = "") -> list[int]:  # type: ignore[no-untyped-def]
    stories = {
        lang: Story(
            guid=f"g-{lang}",
            title=title + title_suffix,
            link=f"https://{lang}.example/1",
            published=T0 + timedelta(hours=n),
            description=summary,
        )
        for n, (lang, title, summary) in enumerate(REPORTS)
    }
    for lang, story in stories.items():
        url = feed_server.route(f"/{lang}.xml", Response(200, rss([story]), RSS_TYPE))
        with sessions.begin() as s:
            upsert_feed(s, FeedSpec(url=url, name=f"Outlet {lang}", language=lang))
    with sessions() as s:
        feeds = [get_feed(s, feed_server.url(f"/{lang}.xml")) for lang in stories]
    pipeline = Pipeline(
        sessions, PipelineSettings(fetch=FAST), tagger=tagger, entity_matcher=matcher
    )
    pipeline.refresh(feeds)
    with sessions() as s:
        return list(s.scalars(select(Item.id).order_by(Item.published_at)))


def test_the_pipeline_stores_the_entities_of_every_item(sessions, feed_server, tagger, matcher):
    ja, ko, en = _refresh(sessions, feed_server, tagger, matcher)
    with sessions() as s:
        stored = entities_of_items(s, [ja, ko, en])
    assert stored[ja] == (
        EntityMatch("dokdo", ("竹島", "独島")),
        EntityMatch("south_korea", ("韓国",)),
    )
    assert _ids(stored[ko]) == {"dokdo", "japan"}
    assert _ids(stored[en]) == {"dokdo", "japan"}
    # A changed entry replaces its entities; rerunning leaves one set.
    _refresh(sessions, feed_server, tagger, matcher, title_suffix=" (GSOMIA)")
    _refresh(sessions, feed_server, tagger, matcher, title_suffix=" (GSOMIA)")
    with sessions() as s:
        again = entities_of_items(s, [ja, ko, en])
    assert all("gsomia" in _ids(again[i]) for i in (ja, ko, en))
    assert [m.entity_id for m in again[ja]] == ["dokdo", "gsomia", "south_korea"]


def _cli(url: str, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--db", url, *args], env=env)


def test_rematch_and_db_upgrade_refresh_entities_after_the_gazetteer_changed(
    engine, sessions, feed_server, tagger, matcher, gazetteer_file, tmp_path
):
    url = engine.url.render_as_string(hide_password=False)
    env = {"JKWATCH_ENTITIES": str(gazetteer_file)}
    ja, ko, en = _refresh(sessions, feed_server, tagger, matcher)
    with sessions() as s:  # an empty database took the gazetteer it was first filled with
        assert stored_fingerprint(s) == matcher.gazetteer.fingerprint
    first = _cli(url, "db", "upgrade", env=env)
    assert first.exit_code == 0 and "matching" not in first.output  # nothing to redo

    edited = tmp_path / "edited.toml"
    edited.write_text(GAZETTEER.replace('ja = ["竹島", "独島"]', 'ja = ["独島"]'), encoding="utf-8")
    env = {"JKWATCH_ENTITIES": str(edited)}
    check = _cli(url, "entities", "check", env=env)
    assert check.exit_code == 0 and "7 entities" in check.output
    upgraded = _cli(url, "db", "upgrade", env=env)
    assert upgraded.exit_code == 0 and "matching the stored items" in upgraded.output
    with sessions() as s:
        stored = entities_of_items(s, [ja, ko, en])
        assert stored_fingerprint(s) == load_gazetteer(edited).fingerprint
    assert stored[ja][0] == EntityMatch("dokdo", ("独島",))
    assert _ids(stored[ko]) == {"dokdo", "japan"}
    again = _cli(url, "entities", "rematch", env=env)  # explicit, and safe to rerun
    assert again.exit_code == 0 and "re-matched 3 items (3 name an entity)" in again.output
    with sessions() as s:
        assert entities_of_items(s, [ja, ko, en]) == stored


def test_entities_match_and_check_explain_an_edit(gazetteer_file, tmp_path):
    env = {"JKWATCH_ENTITIES": str(gazetteer_file)}
    shown = CliRunner().invoke(cli, ["entities", "match", "北, 독도 인근서 도발"], env=env)
    assert shown.exit_code == 0
    assert "dokdo" in shown.output and "north_korea" in shown.output and "독도" in shown.output
    none = CliRunner().invoke(cli, ["entities", "match", "--lang", "en", "Weather"], env=env)
    assert none.exit_code == 0 and "no entities" in none.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[[entity]]\nid = "x"\ntype = "moon"\nen = ["X"]\n', encoding="utf-8")
    failed = CliRunner().invoke(cli, ["entities", "check"], env={"JKWATCH_ENTITIES": str(bad)})
    assert failed.exit_code == 2 and "field 'type'" in failed.output


def test_rematch_on_a_missing_database_creates_nothing(tmp_path):
    path = tmp_path / "none.db"
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{path}", "entities", "rematch"])
    assert result.exit_code == 2 and not path.exists()


def test_a_broken_entities_file_stops_ingest_with_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[entity]]\nid = "x"\ntype = "moon"\nen = ["X"]\n', encoding="utf-8")
    feeds = tmp_path / "feeds.toml"
    feeds.write_text('[[feeds]]\nurl = "http://127.0.0.1:9/feed.xml"\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["--db", f"sqlite:///{tmp_path / 'x.db'}", "ingest", "--feeds", str(feeds)],
        env={"JKWATCH_ENTITIES": str(bad)},
    )
    assert result.exit_code == 2
    assert "entity 'x': field 'type'" in result.output and "Traceback" not in result.output
