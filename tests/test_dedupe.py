"""Near-duplicate stories: copies and retouched headlines cluster; different stories do not."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from jkwatch.ingest.dedupe import StoryIndex, hamming, simhash, title_tokens
from jkwatch.model import EntryIn, Fingerprint

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)


def entry(key: str, title: str, summary: str = "", at: datetime = T0) -> EntryIn:
    return EntryIn(entry_key=key, title=title, summary=summary, published_at=at, content_hash=key)


def test_simhash_is_stable_signed_64_bit_and_close_for_close_texts() -> None:
    a = simhash("North Korea fires ballistic missile into East Sea, JCS says")
    b = simhash("North Korea fires ballistic missile into East Sea, JCS said")
    c = simhash("Nikkei closes higher as chip stocks rally in Tokyo trading")
    assert a == simhash("North Korea fires ballistic missile into East Sea, JCS says")
    assert -(2**63) <= a < 2**63
    assert hamming(a, b) < hamming(a, c)


def test_cjk_titles_tokenise_into_bigrams() -> None:
    assert {"弾道", "道ミ"} <= title_tokens("北朝鮮が弾道ミサイル")
    assert "북" not in title_tokens("북한 미사일") and "북한" in title_tokens("북한 미사일")


def test_retouched_wire_headline_from_another_outlet_joins_the_existing_story() -> None:
    stored = [
        Fingerprint(7, 7, simhash("x"), "N. Korea fires ballistic missile into East Sea: JCS", T0)
    ]
    index = StoryIndex.from_fingerprints(stored)
    (result,) = index.assign(
        [
            entry(
                "b",
                "North Korea fires ballistic missile into East Sea, says JCS",
                at=T0 + timedelta(hours=2),
            )
        ]
    )
    assert result.story_id == 7 and result.story_of_entry is None
    assert result.simhash != 0


def test_copies_within_one_batch_point_at_the_first_entry() -> None:
    index = StoryIndex()
    first, second, other = index.assign(
        [
            entry("a", "北, 동해상으로 탄도미사일 발사…합참"),
            entry("b", "北, 동해상으로 탄도미사일 발사"),
            entry("c", "한일전 축구, 2-1 역전승"),
        ]
    )
    assert first.story_id is None and first.story_of_entry is None
    assert second.story_of_entry == "a"
    assert other.story_of_entry is None and other.story_id is None


def test_after_storing_a_later_batch_joins_by_story_id() -> None:
    index = StoryIndex()
    index.assign([entry("a", "日韓防衛相が会談、北朝鮮ミサイル情報の即時共有で一致")])
    index.add_stored({"a": 41})
    (later,) = index.assign([entry("z", "日韓防衛相が会談　北朝鮮ミサイル情報を即時共有へ")])
    assert later.story_id == 41


def test_stories_do_not_join_outside_the_time_window() -> None:
    stored = [Fingerprint(1, 1, 0, "North Korea fires ballistic missile into East Sea", T0)]
    index = StoryIndex.from_fingerprints(stored, window=timedelta(hours=72))
    (late,) = index.assign(
        [entry("x", "North Korea fires ballistic missile into East Sea", at=T0 + timedelta(days=5))]
    )
    assert late.story_id is None


def test_different_stories_on_the_same_topic_stay_apart() -> None:
    index = StoryIndex()
    a, b = index.assign(
        [
            entry("a", "North Korea fires ballistic missile into East Sea"),
            entry("b", "South Korea and Japan agree to expand GSOMIA intelligence sharing"),
        ]
    )
    assert b.story_of_entry is None and b.story_id is None


def test_languages_never_share_a_story() -> None:
    index = StoryIndex()
    _, ja = index.assign(
        [
            entry("en", "North Korea fires ballistic missile"),
            entry("ja", "北朝鮮が弾道ミサイル発射"),
        ]
    )
    assert ja.story_of_entry is None


def test_rolled_back_entries_are_not_joined() -> None:
    index = StoryIndex()
    index.assign([entry("a", "North Korea fires ballistic missile into East Sea")])
    index.forget_pending()
    (b,) = index.assign([entry("b", "North Korea fires ballistic missile into East Sea")])
    assert b.story_of_entry is None and b.story_id is None


def test_clustering_scales_with_candidates_not_with_stored_items() -> None:
    fingerprints = [
        Fingerprint(i, i, 0, f"Story number {i} about topic{i % 997} and place{i % 331}", T0)
        for i in range(20_000)
    ]
    index = StoryIndex.from_fingerprints(fingerprints)
    batch = [entry(str(i), f"Fresh headline {i} mentions place{i % 331}") for i in range(1_000)]
    began = time.perf_counter()
    index.assign(batch)
    assert time.perf_counter() - began < 2.0


def test_batch_simhash_gives_the_same_signatures_as_one_at_a_time():
    from jkwatch.ingest.dedupe import simhash, simhash_many

    texts = [
        "North Korea fires ballistic missile toward East Sea, JCS says",
        "北朝鮮が弾道ミサイル発射　防衛省",
        "北, 동해상으로 탄도미사일 발사…합참",
        "",
        "abc",
        "  spaced   out   text  ",
    ]
    assert simhash_many(texts) == [simhash(text) for text in texts]
