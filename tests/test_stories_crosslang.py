"""Cross-language story links (pure, hand-given entity ids): one story per event across
English, Japanese and Korean reports; later events with the same actors and events with other
actors stay apart; every link explains itself; order and corrections do not change the result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from jkwatch.ingest.stories import Doc, Settings, cluster, features
from jkwatch.ingest.stories.crosslang import CROSS_LANGUAGE, XSettings, gap_text
from jkwatch.model import StoryCorrections

T0 = datetime(2026, 5, 11, 2, 0, tzinfo=UTC)
TYPES = {
    "ishiba": "person",
    "lee_jae_myung": "person",
    "albanese": "person",
    "gsomia": "agreement",
    "hwasong_18": "weapon",
    "dokdo": "place",
    "east_sea": "place",
    "jcs": "military",
    "japan": "country",
    "south_korea": "country",
    "north_korea": "country",
    "australia": "country",
}
NAMES = {
    ("ishiba", "en"): ("Ishiba",),
    ("ishiba", "ja"): ("石破",),
    ("ishiba", "ko"): ("이시바",),
    ("gsomia", "en"): ("GSOMIA",),
    ("gsomia", "ja"): ("GSOMIA",),
    ("gsomia", "ko"): ("지소미아",),
}


def _doc(
    item_id: int,
    lang: str,
    title: str,
    hours: float,
    entities: tuple[str, ...],
    themes: tuple[str, ...],
    **kw: object,
) -> Doc:
    names = tuple((e, NAMES[(e, lang)]) for e in entities if (e, lang) in NAMES)
    return Doc(
        item_id,
        T0 + timedelta(hours=hours),
        lang,
        features(title, "", lang),
        entities=entities,
        themes=themes,
        entity_names=names,
        **kw,  # type: ignore[arg-type]
    )


SUMMIT = ("ishiba", "lee_jae_myung", "japan", "south_korea")
LAUNCH = ("north_korea", "hwasong_18", "east_sea", "jcs")


@cache
def events() -> dict[str, list[Doc]]:
    """Four events, each reported in English, Japanese and Korean (built on first use, so
    collecting the tests does not load the analysers)."""
    return {
        "summit": [
            _doc(
                1,
                "en",
                "Ishiba and Lee pledge closer security ties at Tokyo summit",
                0,
                SUMMIT,
                ("japan_korea",),
            ),
            _doc(
                2,
                "ja",
                "石破首相と李大統領が会談 安保協力の強化で一致",
                3,
                SUMMIT,
                ("japan_korea",),
            ),
            _doc(
                3,
                "ko",
                "이재명 대통령, 이시바 총리와 정상회담…안보협력 강화 합의",
                5,
                ("ishiba", "lee_jae_myung", "japan"),
                ("japan_korea",),
            ),
        ],
        "launch": [
            _doc(
                11,
                "ko",
                '북한, 동해상으로 화성-18형 발사…합참 "정밀 분석 중"',
                10,
                LAUNCH,
                ("nk_weapons",),
            ),
            _doc(
                12,
                "ja",
                "北朝鮮が火星18を発射 日本海に落下か",
                11,
                ("north_korea", "hwasong_18", "east_sea"),
                ("nk_weapons",),
            ),
            _doc(
                13,
                "en",
                "North Korea test-fires Hwasong-18 ICBM into the sea",
                14,
                ("north_korea", "hwasong_18", "east_sea"),
                ("nk_weapons",),
            ),
        ],
        "dokdo": [
            _doc(
                21,
                "ja",
                "竹島の日式典に抗議 韓国外務省が総括公使を呼ぶ",
                20,
                ("dokdo", "japan", "south_korea"),
                ("territorial",),
            ),
            _doc(
                22,
                "ko",
                '외교부, 日 "다케시마의 날" 행사에 항의…독도는 우리 땅',
                21,
                ("dokdo", "japan"),
                ("territorial",),
            ),
            _doc(
                23,
                "en",
                "Seoul protests Japan's Takeshima Day event over Dokdo",
                24,
                ("dokdo", "japan", "south_korea"),
                ("territorial",),
            ),
        ],
        "gsomia": [
            _doc(
                31,
                "ko",
                "정부, 지소미아 정상화 결정…日에 통보",
                30,
                ("gsomia", "japan"),
                ("japan_korea", "us_alliance"),
            ),
            _doc(
                32,
                "en",
                "South Korea restores GSOMIA intelligence pact with Japan",
                32,
                ("gsomia", "south_korea", "japan"),
                ("japan_korea",),
            ),
            _doc(
                33,
                "ja",
                "韓国、GSOMIAを正常化 日本政府に通告",
                35,
                ("gsomia", "south_korea", "japan"),
                ("japan_korea",),
            ),
        ],
    }


@cache
def all_docs() -> list[Doc]:
    return [doc for docs in events().values() for doc in docs]


def _run(docs: list[Doc], **kw: object) -> dict[int, object]:
    return {a.item_id: a for a in cluster(docs, entity_types=TYPES, **kw)}  # type: ignore[arg-type]


def _story(result: dict[int, object], item_id: int) -> int:
    return result[item_id].story_id  # type: ignore[attr-defined]


def test_reports_of_one_event_in_three_languages_form_one_story_per_event() -> None:
    result = _run(all_docs())
    for name, docs in events().items():
        stories = {_story(result, d.item_id) for d in docs}
        assert len(stories) == 1, name
    assert len({_story(result, d.item_id) for d in all_docs()}) == len(events())


def test_a_cross_language_link_names_each_sides_words_and_the_time_gap() -> None:
    result = _run(all_docs())
    assert result[32].linked_by == (CROSS_LANGUAGE, "지소미아 = GSOMIA", "2 hours apart")  # type: ignore[attr-defined]
    assert result[33].linked_by == (CROSS_LANGUAGE, "GSOMIA", "3 hours apart")  # type: ignore[attr-defined]
    summit = result[3].linked_by  # type: ignore[attr-defined]
    assert summit[0] == CROSS_LANGUAGE and summit[1] == "Ishiba = 이시바"
    assert summit[2] == "lee_jae_myung"  # no names known for that side: the label (here, id)
    for doc in all_docs():
        assignment = result[doc.item_id]
        if assignment.story_id != doc.item_id:  # type: ignore[attr-defined]
            assert assignment.linked_by, doc.item_id  # type: ignore[attr-defined]


def test_the_label_stands_in_when_neither_side_names_an_entity() -> None:
    result = _run(all_docs(), entity_labels={"lee_jae_myung": "Lee Jae-myung"})
    assert result[3].linked_by[2] == "Lee Jae-myung"  # type: ignore[attr-defined]


def test_a_launch_four_days_later_with_the_same_actors_is_another_story() -> None:
    later = [
        _doc(
            111,
            "ja",
            "北朝鮮がまた火星18発射 日本海へ",
            10 + 96,
            ("north_korea", "hwasong_18", "east_sea"),
            ("nk_weapons",),
        ),
        _doc(
            112,
            "en",
            "North Korea fires another Hwasong-18 days after last test",
            10 + 99,
            ("north_korea", "hwasong_18", "east_sea"),
            ("nk_weapons",),
        ),
    ]
    result = _run([*events()["launch"], *later])
    assert _story(result, 111) != _story(result, 11)
    assert _story(result, 112) == _story(result, 111)


def test_a_follow_up_two_days_on_does_not_chain_a_new_launch_into_the_old_story() -> None:
    follow_up = _doc(
        120,
        "en",
        "Analysts weigh Hwasong-18 test as Seoul and Tokyo confer",
        58,
        ("north_korea", "hwasong_18", "east_sea"),
        ("nk_weapons",),
    )
    new_launch = _doc(
        121,
        "ja",
        "北朝鮮、再び火星18を発射",
        10 + 90,
        ("north_korea", "hwasong_18", "east_sea"),
        ("nk_weapons",),
    )
    result = _run([*events()["launch"], follow_up, new_launch])
    assert _story(result, 120) == _story(result, 11)
    assert _story(result, 121) == 121


def test_a_meeting_of_one_leader_with_someone_else_is_another_story() -> None:
    other = _doc(
        40,
        "en",
        "Ishiba hosts Albanese, eyes Australia defence deal",
        4,
        ("ishiba", "albanese", "japan", "australia"),
        ("japan_korea",),
    )
    result = _run([*events()["summit"], other])
    assert _story(result, 40) == 40


def test_no_link_without_a_shared_theme_or_with_only_countries_shared() -> None:
    untagged = _doc(50, "ja", "石破首相と李大統領が夕食会", 2, SUMMIT, ())
    countries = _doc(
        51, "ko", "일본, 한국 수출규제 논의", 2, ("japan", "south_korea"), ("japan_korea",)
    )
    result = _run([*events()["summit"], untagged, countries])
    assert _story(result, 50) == 50 and _story(result, 51) == 51


def test_same_language_links_take_precedence_over_entity_links() -> None:
    english = _doc(
        60,
        "en",
        "Ishiba and Lee pledge closer security ties, summit ends",
        2,
        SUMMIT,
        ("japan_korea",),
    )
    result = _run([*events()["summit"], english])
    assert _story(result, 60) == 1
    assert CROSS_LANGUAGE not in result[60].linked_by  # type: ignore[attr-defined]


def test_without_entity_types_or_when_turned_off_stories_stay_per_language() -> None:
    plain = {a.item_id: a.story_id for a in cluster(all_docs())}
    assert plain[2] == 2 and plain[3] == 3
    off = Settings(xlang=XSettings(enabled=False))
    result = {a.item_id: a.story_id for a in cluster(all_docs(), settings=off, entity_types=TYPES)}
    assert result == plain


def test_the_result_is_the_same_whatever_the_input_order() -> None:
    forward = cluster(all_docs(), entity_types=TYPES)
    assert cluster(list(reversed(all_docs())), entity_types=TYPES) == forward
    assert cluster(all_docs()[1::2] + all_docs()[::2], entity_types=TYPES) == forward


def test_context_members_of_another_language_take_new_reports_into_their_story() -> None:
    context = _doc(
        70,
        "ko",
        "정부, 지소미아 정상화 결정…日에 통보",
        30,
        ("gsomia", "japan"),
        ("japan_korea",),
        story_id=65,
    )
    new = _doc(
        71, "ja", "韓国、GSOMIAを正常化", 33, ("gsomia", "south_korea", "japan"), ("japan_korea",)
    )
    result = _run([context, new], story_starts={65: context.published_at})
    assert 70 not in result and _story(result, 71) == 65


def test_an_analyst_split_keeps_a_report_alone_and_a_merge_still_joins_stories() -> None:
    split = _run(all_docs(), corrections=StoryCorrections(splits=frozenset({2})))
    assert _story(split, 2) == 2
    assert _story(split, 3) == 1  # linked through the English report instead
    merged = _run(all_docs(), corrections=StoryCorrections(merges=((21, 11),)))
    assert _story(merged, 23) == _story(merged, 13) == 11


def test_gap_text_reads_like_a_person_wrote_it() -> None:
    assert gap_text(timedelta(minutes=20)) == "under an hour apart"
    assert gap_text(timedelta(hours=1)) == "1 hour apart"
    assert gap_text(timedelta(hours=30)) == "1 day apart"
    assert gap_text(timedelta(hours=47)) == "2 days apart"
