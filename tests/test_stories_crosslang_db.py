"""Cross-language stories in storage, on SQLite and PostgreSQL: the builder links a summit's
and a launch's reports in three languages from their stored entities and themes, keeps a later
launch and another leader's meeting apart, stores the evidence, rebuilds to the same stories,
keeps corrections, and the reads list each story's languages and outlets per country."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import insert, select, update

from jkwatch.cli.main import cli
from jkwatch.db import feeds as feed_store
from jkwatch.db import items as item_store
from jkwatch.db.models import Feed, ItemEntity, StoryMember
from jkwatch.db.stories import stories_in_range, story_detail, story_id_of_item
from jkwatch.db.stories.inputs import add_correction
from jkwatch.db.stories.writes import copy_item_columns
from jkwatch.db.themes import ThemeInfo, sync_themes
from jkwatch.ingest.story_builder import StoryBuilder
from jkwatch.model import CROSS_LANGUAGE
from tests.factories import entry, feed_spec

T0 = datetime(2026, 5, 11, 2, 0, tzinfo=UTC)
THEMES = [
    ThemeInfo("nk_weapons", "NK weapons", "", 0),
    ThemeInfo("jk_cooperation", "Japan–Korea cooperation", "", 1),
]
TYPES = {
    "ishiba": "person",
    "lee_jae_myung": "person",
    "albanese": "person",
    "hwasong_18": "weapon",
    "east_sea": "place",
    "japan": "country",
    "south_korea": "country",
    "north_korea": "country",
    "australia": "country",
}
FEEDS = {  # name: (language, country)
    "Tokyo Shimpo": ("ja", "jp"),
    "Hanbit Ilbo": ("ko", "kr"),
    "Korea Wire": ("en", "kr"),
    "Global Desk": ("en", "other"),
}
# (key, outlet, hours after T0, title, theme, {entity: names used})
ITEMS = [
    ("s1", "Korea Wire", 0, "Lee and Ishiba agree to deepen defence talks at Seoul summit",
     "jk_cooperation", {"ishiba": ["Ishiba"], "lee_jae_myung": ["Lee"], "japan": ["Japan"]}),
    ("s2", "Tokyo Shimpo", 2, "石破首相、李在明大統領と会談 防衛対話の深化で一致",
     "jk_cooperation", {"ishiba": ["石破"], "lee_jae_myung": ["李在明"]}),
    ("s3", "Hanbit Ilbo", 5, "이재명 대통령·이시바 총리 정상회담…국방 대화 심화 합의",
     "jk_cooperation", {"ishiba": ["이시바"], "lee_jae_myung": ["이재명"]}),
    ("m1", "Hanbit Ilbo", 20, "북한, 동해상으로 화성-18형 발사", "nk_weapons",
     {"north_korea": ["북한"], "hwasong_18": ["화성-18형"], "east_sea": ["동해"]}),
    ("m2", "Tokyo Shimpo", 21, "北朝鮮、火星18を日本海へ発射", "nk_weapons",
     {"north_korea": ["北朝鮮"], "hwasong_18": ["火星18"], "east_sea": ["日本海"]}),
    ("m3", "Global Desk", 26, "North Korea fires a Hwasong-18 into the East Sea", "nk_weapons",
     {"north_korea": ["North Korea"], "hwasong_18": ["Hwasong-18"], "east_sea": ["East Sea"]}),
    ("a1", "Global Desk", 6, "Ishiba hosts Albanese as Australia eyes frigate deal",
     "jk_cooperation", {"ishiba": ["Ishiba"], "albanese": ["Albanese"],
                        "australia": ["Australia"]}),
    ("m4", "Tokyo Shimpo", 20 + 96, "北朝鮮、再び火星18発射 日本海に落下", "nk_weapons",
     {"north_korea": ["北朝鮮"], "hwasong_18": ["火星18"], "east_sea": ["日本海"]}),
    ("m5", "Hanbit Ilbo", 20 + 98, "북한, 나흘 만에 또 화성-18형 도발", "nk_weapons",
     {"north_korea": ["북한"], "hwasong_18": ["화성-18형"]}),
]  # fmt: skip


def _store(sessions, builder: StoryBuilder | None = None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ids: dict[str, int] = {}
    builder = builder or StoryBuilder(entity_types=TYPES)
    with sessions.begin() as s:
        sync_themes(s, THEMES)
        feeds = {}
        for n, (name, (language, country)) in enumerate(FEEDS.items(), start=1):
            feeds[name] = feed_store.upsert_feed(s, feed_spec(n, name=name, language=language))[0]
            s.execute(update(Feed).where(Feed.id == feeds[name].id).values(country=country))
        for key, outlet, hours, title, theme, names in ITEMS:
            published = T0 + timedelta(hours=hours)
            stored = item_store.store_entries(
                s,
                feeds[outlet],
                [
                    entry(
                        key,
                        title=title,
                        summary="",
                        published=published,
                        themes=(theme,),
                        url=f"https://news.example/{key}",
                        language=FEEDS[outlet][0],
                    )
                ],
            )
            ids[key] = stored.new_ids[0]
            s.execute(
                insert(ItemEntity),
                [
                    {"entity_id": e, "item_id": ids[key], "day": published.date(), "names": n}
                    for e, n in names.items()
                ],
            )
        builder.assign(s, list(ids.values()))
    return ids


def _stories(sessions, ids: dict[str, int]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return {key: story_id_of_item(s, item_id) for key, item_id in ids.items()}  # type: ignore[misc]


def test_reports_in_three_languages_form_one_story_per_event_and_show_their_evidence(sessions):
    ids = _store(sessions)
    story = _stories(sessions, ids)
    assert story["s1"] == story["s2"] == story["s3"] == ids["s1"]
    assert story["m1"] == story["m2"] == story["m3"] == ids["m1"]
    assert story["a1"] == ids["a1"]  # the same leader meeting someone else
    assert story["m4"] == story["m5"] == ids["m4"]  # the same actors four days later
    with sessions() as s:
        detail = story_detail(s, ids["s1"])
    assert detail is not None
    assert detail.summary.languages == ("en", "ja", "ko")
    assert dict(detail.summary.outlets_by_country) == {
        "jp": ("Tokyo Shimpo",),
        "kr": ("Hanbit Ilbo", "Korea Wire"),
    }
    by_item = {m.item_id: m for m in detail.members}
    assert by_item[ids["s2"]].country == "jp"
    assert by_item[ids["s2"]].linked_by == (
        CROSS_LANGUAGE,
        "Ishiba = 石破",
        "Lee = 李在明",
        "2 hours apart",
    )
    for member in detail.members[1:]:
        assert member.linked_by and member.linked_by[0] == CROSS_LANGUAGE


def test_the_members_keep_their_entities_and_themes_for_later_items(sessions):
    ids = _store(sessions)
    with sessions() as s:
        entities, themes = s.execute(
            select(StoryMember.entities, StoryMember.themes).where(StoryMember.item_id == ids["m2"])
        ).one()
    assert sorted(entities) == ["east_sea", "hwasong_18", "north_korea"]
    assert themes == ["nk_weapons"]


def test_a_range_lists_the_story_with_its_languages_and_countries(sessions):
    ids = _store(sessions)
    with sessions() as s:
        top = stories_in_range(s, date(2026, 5, 11), date(2026, 5, 12), limit=10)
    launch = next(t for t in top if t.story_id == ids["m1"])
    assert launch.items == 3 and launch.languages == ("en", "ja", "ko")
    assert dict(launch.outlets_by_country) == {
        "jp": ("Tokyo Shimpo",),
        "kr": ("Hanbit Ilbo",),
        "other": ("Global Desk",),
    }


def test_rebuild_gives_the_same_stories_and_keeps_a_split_and_a_merge(sessions):
    ids = _store(sessions)
    before = _stories(sessions, ids)
    builder = StoryBuilder(entity_types=TYPES)
    builder.rebuild(sessions)
    assert _stories(sessions, ids) == before
    with sessions.begin() as s:
        add_correction(s, "split", ids["m2"], None, "kim", T0)
        add_correction(s, "merge", ids["a1"], ids["s1"], "kim", T0)
    builder.rebuild(sessions)
    after = _stories(sessions, ids)
    assert after["m2"] == ids["m2"] and after["m3"] == after["m1"] == ids["m1"]
    assert after["a1"] == after["s2"] == after["s3"] == ids["s1"]


def test_without_entity_types_the_builder_keeps_stories_per_language(sessions):
    ids = _store(sessions, StoryBuilder(entity_types={}))
    story = _stories(sessions, ids)
    assert len({story["s1"], story["s2"], story["s3"]}) == 3


def test_a_retag_refreshes_the_members_themes(sessions):
    ids = _store(sessions)
    with sessions.begin() as s:
        from jkwatch.db.models import ItemTheme

        s.execute(
            update(ItemTheme).where(ItemTheme.item_id == ids["s2"]).values(theme_id="nk_weapons")
        )
        copy_item_columns(s, [ids["s2"]])
    with sessions() as s:
        themes = s.scalar(select(StoryMember.themes).where(StoryMember.item_id == ids["s2"]))
    assert themes == ["nk_weapons"]


def test_stories_show_prints_countries_and_the_cross_language_evidence(engine, sessions):
    ids = _store(sessions)
    url = engine.url.render_as_string(hide_password=False)
    shown = CliRunner().invoke(cli, ["--db", url, "stories", "show", str(ids["s1"])])
    assert shown.exit_code == 0, shown.output
    assert "Japan: Tokyo Shimpo" in shown.output
    assert "South Korea: Hanbit Ilbo, Korea Wire" in shown.output
    assert "across languages: Ishiba = 石破" in shown.output


GAZETTEER = """
[[entity]]
id = "gsomia"
type = "agreement"
en = ["GSOMIA"]
ja = ["GSOMIA", "日韓秘密軍事情報保護協定"]
ko = ["지소미아", "GSOMIA"]

[[entity]]
id = "hwasong_18"
type = "weapon"
label = "Hwasong-18"
en = ["Hwasong-18"]
ja = ["火星18"]
ko = ["화성-18형", "화성-18"]

[[entity]]
id = "east_sea"
type = "place"
label = "East Sea / Sea of Japan"
en = ["East Sea", "Sea of Japan"]
ja = ["日本海"]
ko = ["동해", "동해상"]

[[entity]]
id = "japan"
type = "country"
en = ["Japan"]
ja = ["日本", "日"]
ko = ["일본", "日"]

[[entity]]
id = "south_korea"
type = "country"
en = ["South Korea"]
ja = ["韓国", "韓"]
ko = ["한국", "韓"]

[[entity]]
id = "north_korea"
type = "country"
en = ["North Korea"]
ja = ["北朝鮮"]
ko = ["북한", "北"]
"""
# outlet (language), hours after T0, headline: the pipeline tags them and names their entities
PIPELINE_ITEMS = {
    "ko": [
        (0, "정부, 지소미아 정상화 결정…日에 통보"),
        (20, "북한, 동해상으로 화성-18형 ICBM 발사"),
        (20 + 96, "북한, 나흘 만에 또 화성-18형 발사…동해상 낙하"),
    ],
    "ja": [
        (2, "韓国政府、GSOMIA正常化を決定 日本に通告"),
        (21, "北朝鮮が火星18を発射 日本海に落下"),
    ],
    "en": [
        (4, "South Korea restores GSOMIA intelligence pact with Japan"),
        (23, "North Korea fires Hwasong-18 ICBM into the East Sea"),
    ],
}


def test_the_real_pipeline_links_reports_across_languages_and_corrections_hold(
    engine, sessions, feed_server, tagger, tmp_path, monkeypatch
):
    """Feeds over local HTTP, the real tagger and entity matcher, then ``stories split`` and
    ``stories rebuild`` from the command line (the configured gazetteer: $JKWATCH_ENTITIES)."""
    from jkwatch.db.feeds import get_feed, upsert_feed
    from jkwatch.db.models import Item
    from jkwatch.entities import load_gazetteer
    from jkwatch.ingest.entities import EntityMatcher
    from jkwatch.ingest.fetch import FetchSettings
    from jkwatch.ingest.pipeline import Pipeline, PipelineSettings
    from jkwatch.model import FeedSpec
    from tests.factories import RSS_TYPE, Story, rss
    from tests.feedserver import Response

    path = tmp_path / "entities.toml"
    path.write_text(GAZETTEER, encoding="utf-8")
    monkeypatch.setenv("JKWATCH_ENTITIES", str(path))
    urls = []
    for language, rows in PIPELINE_ITEMS.items():
        stories = [
            Story(
                guid=f"{language}-{n}",
                title=title,
                link=f"https://{language}.example/{n}",
                published=T0 + timedelta(hours=hours),
                description="",
            )
            for n, (hours, title) in enumerate(rows)
        ]
        url = feed_server.route(f"/{language}.xml", Response(200, rss(stories), RSS_TYPE))
        urls.append(url)
        with sessions.begin() as s:
            upsert_feed(s, FeedSpec(url=url, name=f"Outlet {language}", language=language))
    with sessions() as s:
        feeds = [get_feed(s, url) for url in urls]
    fast = FetchSettings(connect_timeout_s=5, read_timeout_s=5, total_timeout_s=10)
    matcher = EntityMatcher(load_gazetteer(path))
    Pipeline(sessions, PipelineSettings(fetch=fast), tagger=tagger, entity_matcher=matcher).refresh(
        feeds
    )
    with sessions() as s:
        stored = set(s.scalars(select(Item.title)))
    assert stored == {title for rows in PIPELINE_ITEMS.values() for _, title in rows}, stored

    def stories() -> dict[str, int]:
        with sessions() as s:
            rows = s.execute(select(Item.id, Item.title)).all()
            return {title: story_id_of_item(s, item_id) for item_id, title in rows}  # type: ignore[misc]

    def event(index: int) -> set[int]:
        found = stories()
        return {found[rows[index][1]] for rows in PIPELINE_ITEMS.values() if len(rows) > index}

    assert len(event(0)) == 1 and len(event(1)) == 1  # GSOMIA, the launch: one story each
    later = stories()[PIPELINE_ITEMS["ko"][2][1]]
    assert later not in event(1)  # the same weapon and sea four days later: another story
    with sessions() as s:
        gsomia = story_detail(s, event(0).pop())
    assert gsomia is not None and gsomia.summary.languages == ("en", "ja", "ko")
    evidence = [set(line.split(" = ")) for m in gsomia.members for line in m.linked_by]
    assert {"지소미아", "GSOMIA"} in evidence  # each side's name (which came first varies)
    assert all(m.linked_by[0] == CROSS_LANGUAGE for m in gsomia.members if m.linked_by)

    url = engine.url.render_as_string(hide_password=False)
    japanese = next(m for m in gsomia.members if m.language == "ja")
    runner = CliRunner()
    env = {"JKWATCH_ANALYST": "kim", "JKWATCH_ENTITIES": str(path)}
    split = runner.invoke(cli, ["--db", url, "stories", "split", str(japanese.item_id)], env=env)
    assert split.exit_code == 0, split.output
    assert runner.invoke(cli, ["--db", url, "stories", "rebuild"], env=env).exit_code == 0
    after = stories()
    assert after[PIPELINE_ITEMS["ja"][0][1]] == japanese.item_id  # the split holds
    assert after[PIPELINE_ITEMS["ko"][0][1]] == after[PIPELINE_ITEMS["en"][0][1]]
    assert len(event(1)) == 1  # the rebuild keeps the cross-language launch story


def test_a_broken_entities_file_stops_rebuild_and_split_with_a_one_line_error(
    engine, sessions, tmp_path
):
    ids = _store(sessions)
    broken = tmp_path / "entities.toml"
    broken.write_text('[[entity]]\nid = "Bad Id"\ntype = "person"\n', encoding="utf-8")
    url = engine.url.render_as_string(hide_password=False)
    env = {"JKWATCH_ANALYST": "kim", "JKWATCH_ENTITIES": str(broken)}
    for args in (["stories", "rebuild"], ["stories", "split", str(ids["s2"])]):
        result = CliRunner().invoke(cli, ["--db", url, *args], env=env)
        assert result.exit_code == 2, result.output
        assert "entities" in result.output and "Traceback" not in result.output
    assert _stories(sessions, ids)["s2"] == ids["s1"]  # the split was not recorded
