"""The pure story clustering: features, the linking rule, near-duplicates, corrections,
determinism, explanations, the representative headline, and the evaluation's arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jkwatch.ingest.stories import Doc, Settings, cluster, features
from jkwatch.ingest.stories.evaluation import score
from jkwatch.model import StoryCorrections

T0 = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
FILLER = [
    "Chip exports rise for a fifth month on memory demand",
    "Coast guard rescues eight fishermen near Hokkaido",
    "Cherry blossoms open early in Osaka, weather office says",
    "Central bank holds rates steady as inflation cools",
    "Baseball league opens season with record crowds",
    "Rail operator adds late trains for the holiday week",
]


def _doc(item_id: int, title: str, hours: float = 0, lang: str = "en", **kw: object) -> Doc:
    return Doc(
        item_id,
        T0 + timedelta(hours=hours),
        lang,
        features(title, "", lang),
        **kw,  # type: ignore[arg-type]
    )


def _pool(*docs: Doc) -> list[Doc]:
    filler = [_doc(900 + n, title, hours=n) for n, title in enumerate(FILLER)]
    return [*docs, *filler]


def _stories(assignments) -> dict[int, int]:  # type: ignore[no-untyped-def]
    return {a.item_id: a.story_id for a in assignments}


def test_features_keep_nouns_of_japanese_and_korean_and_content_words_of_english() -> None:
    assert "ミサイル" in features("北朝鮮が弾道ミサイル発射", "", "ja")
    assert "が" not in features("北朝鮮が弾道ミサイル発射", "", "ja")
    assert "미사일" in features("북한, 탄도미사일 발사", "", "ko")
    english = features("North Korea fires missiles", "The launch was detected.", "en")
    assert english.count("missile") == 2  # title words count twice
    assert "the" not in english and "launch" in english


def test_two_outlets_reports_of_one_event_form_one_story_with_the_words_that_linked_them() -> None:
    docs = _pool(
        _doc(1, "North Korea fires ballistic missile from Wonsan toward East Sea"),
        _doc(2, "Pyongyang launches ballistic missile from Wonsan, Seoul says", hours=2),
        _doc(3, "Defence ministers agree on military hotline in Tokyo", hours=3),
    )
    result = {a.item_id: a for a in cluster(docs)}
    assert result[2].story_id == 1
    assert result[3].story_id == 3
    assert {"wonsan", "ballistic"} <= set(result[2].linked_by)
    assert result[2].similarity >= Settings().assisted_threshold


def test_the_same_words_outside_the_window_or_in_another_language_start_a_new_story() -> None:
    docs = _pool(
        _doc(1, "North Korea fires ballistic missile from Wonsan toward East Sea"),
        _doc(2, "North Korea fires ballistic missile from Wonsan toward East Sea", hours=80),
        _doc(3, "North Korea fires ballistic missile from Wonsan toward East Sea", lang="und"),
    )
    stories = _stories(cluster(docs))
    assert stories[2] == 2 and stories[3] == 3


def test_near_duplicate_copies_stay_together_whatever_their_words() -> None:
    docs = _pool(
        _doc(1, "North Korea fires ballistic missile", near_dup=1),
        _doc(2, "Update: totally reworded copy of the wire", hours=1, near_dup=1),
    )
    result = {a.item_id: a for a in cluster(docs)}
    assert result[2].story_id == 1 and result[2].linked_by == ("(near-duplicate)",)


def test_a_split_item_stands_alone_and_a_merge_joins_two_stories() -> None:
    docs = _pool(
        _doc(1, "North Korea fires ballistic missile from Wonsan toward East Sea"),
        _doc(2, "Pyongyang launches ballistic missile from Wonsan, Seoul says", hours=2),
        _doc(3, "Defence ministers agree on military hotline in Tokyo", hours=3),
    )
    split = _stories(cluster(docs, StoryCorrections(splits=frozenset({2}))))
    assert split[2] == 2 and split[1] == 1
    merged = _stories(cluster(docs, StoryCorrections(merges=((3, 1),))))
    assert merged[3] == merged[1] == merged[2] == 1


def test_context_members_keep_their_story_and_new_items_join_it() -> None:
    context = Doc(
        50,
        T0,
        "en",
        features("North Korea fires ballistic missile from Wonsan toward East Sea", "", "en"),
        story_id=40,
    )
    docs = _pool(context, _doc(60, "Pyongyang launches ballistic missile from Wonsan", hours=5))
    result = _stories(cluster(docs))
    assert 50 not in result and result[60] == 40


def test_clustering_is_deterministic_whatever_the_input_order() -> None:
    docs = _pool(
        _doc(1, "North Korea fires ballistic missile from Wonsan toward East Sea"),
        _doc(2, "Pyongyang launches ballistic missile from Wonsan, Seoul says", hours=2),
        _doc(3, "Japan protests Wonsan ballistic missile launch", hours=4),
        _doc(4, "Defence ministers agree on military hotline in Tokyo", hours=3),
    )
    forward = cluster(docs)
    assert cluster(list(reversed(docs))) == forward


def test_the_title_is_the_member_most_similar_to_the_others() -> None:
    docs = _pool(
        _doc(1, "Missile launch from Wonsan"),
        _doc(2, "North Korea ballistic missile launch from Wonsan, Japan protests", hours=1),
        _doc(3, "Japan protests North Korea ballistic missile", hours=2),
    )
    result = cluster(docs, settings=Settings(threshold=0.1, assisted_threshold=0.1))
    story = {a.item_id: a for a in result}
    assert story[2].story_id == story[3].story_id == 1
    assert [a.title_item_id for a in result if a.title_item_id is not None][0] == 2


def test_pairwise_and_b_cubed_scores_follow_their_definitions() -> None:
    gold = {"a": 1, "b": 1, "c": 1, "d": 2}
    predicted = {"a": "x", "b": "x", "c": "y", "d": "y"}
    scores = score(gold, predicted)
    assert scores.precision == pytest.approx(1 / 2)  # pairs ab (right) and cd (wrong)
    assert scores.recall == pytest.approx(1 / 3)  # gold pairs ab, ac, bc
    assert scores.b3_precision == pytest.approx((1 + 1 + 0.5 + 0.5) / 4)
    assert scores.b3_recall == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4)
    perfect = score(gold, gold)
    assert perfect.f1 == 1.0 and perfect.b3_f1 == 1.0
