"""Japanese and Korean terms match words, not any run of characters (issue 14).

Each case is a headline written here in the phrasing Korean and Japanese outlets use. A term
inside a longer word (일제 in 일제히, 팬 in 팬데믹, 日朝 in "5日朝") must not count; a term
followed by a particle, at the start of a compound, spanning several words or written as a
single-hanja headline abbreviation (北·美·日) must. The analysers are the real ones.

The terms under test sit in a small taxonomy of this file's own, as actors, so the explanation
lists exactly which of them matched; the shipped taxonomy is checked once at the end.
"""

from __future__ import annotations

import pytest

from jkwatch.ingest.tagging import THEME_IDS, Tagger, load_taxonomy, parse_taxonomy
from jkwatch.ingest.tagging.segment import word_edges
from jkwatch.ingest.tagging.text import normalize

KO_TERMS = [
    *["일제", "팬", "조현", "통일", "경기", "화성", "배우", "북한", "발사", "미사일", "北"],
    *["美", "日", "中", "北美", "한미", "한미일", "주한미군", "강제동원", "해경"],
]
JA_TERMS = [
    *["日朝", "日米", "米韓", "日韓", "北朝鮮", "発射", "弾道ミサイル", "日米韓", "防衛", "軍"],
    *["艦", "株", "中国", "海警"],
]


def _quoted(terms: list[str]) -> str:
    return ", ".join(f'"{term}"' for term in terms)


TAXONOMY = (
    'version = 1\n[relevance]\nthreshold = 0.5\n[relevance.actors]\nen = ["zzqx"]\n'
    f"ja = [{_quoted(JA_TERMS)}]\nko = [{_quoted(KO_TERMS)}]\n"
    '[relevance.security]\nen = ["defense"]\n'
    + "\n".join(
        f'[[themes]]\nid = "{theme_id}"\nlabel = "L"\ndescription = "D"\n[themes.terms]\n'
        + (
            'en = ["zzqx"]\nja = ["日韓"]\nko = ["일제:3", "강제동원:2"]\n'
            if theme_id == "history_disputes"
            else 'en = ["zzqx"]\nja = ["zzqx"]\nko = ["zzqx"]\n'
        )
        for theme_id in THEME_IDS
    )
)


@pytest.fixture(scope="module")
def words_tagger() -> Tagger:
    return Tagger(parse_taxonomy(TAXONOMY))


def matched(tagger: Tagger, title: str, lang: str) -> dict[str, int]:
    """Term -> count of the test terms that matched `title`; also checks that the fast path
    (`tag`) agrees with the plain one (`explain`)."""
    explanation = tagger.explain(title, lang=lang)
    assert tagger.tag(title, lang=lang) == explanation.result
    return {e.term: e.count for e in explanation.signals["actors"]}


# -- Korean ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "absent"),
    [
        ("구청, 불법 주정차 차량 일제히 단속 나서", "일제"),  # the adverb 일제히 (all at once)
        ("팬데믹 이후 첫 해외 순방길 올라", "팬"),
        ("조현병 환자 치료 지원 확대", "조현"),  # not the foreign minister's name
        ("통일교 관련 압수수색 이틀째", "통일"),
        ("경기도 북부 대설주의보 발효", "경기"),
        ("화성시 공장서 불…작업자 3명 부상", "화성"),  # the city, not the missile
        ("은퇴 후 요리를 배우고 싶다는 직장인들", "배우"),  # the verb, not an actor
    ],
)
def test_a_korean_term_inside_a_longer_word_does_not_count(
    words_tagger: Tagger, title: str, absent: str
) -> None:
    assert absent not in matched(words_tagger, title, "ko")


@pytest.mark.parametrize(
    ("title", "present"),
    [
        ("북한이 동해상으로 탄도미사일 발사", {"북한", "미사일", "발사"}),  # particle after a noun
        ("북한은 18일 단거리 미사일을 발사했다", {"북한", "미사일", "발사"}),
        ("일제강점기 강제동원 피해자 배상 판결", {"일제", "강제동원"}),  # start of a compound
        ("北, 동해상으로 단거리 탄도미사일 발사", {"北", "미사일", "발사"}),
        ('美 국방부 "北 도발 용납 못해"', {"美", "北"}),
        ("北美 정상 다시 만나나…실무협상 재개", {"北美", "北", "美"}),  # a run of hanja
        ("日 정부, 中 해경 함정 영해 침입에 항의", {"日", "中", "해경"}),
        ("한미일 안보실장 회의 개최", {"한미일"}),
        ("주한미군 사령관 교체", {"주한미군"}),
        ("한미 연합훈련 다음주 시작", {"한미"}),
        ("조현 외교장관, 방일 일정 마무리", {"조현"}),
        ("한미일안보협력 강화", {"한미일"}),  # unspaced
    ],
)
def test_a_korean_term_that_is_a_word_still_counts(
    words_tagger: Tagger, title: str, present: set[str]
) -> None:
    assert present <= set(matched(words_tagger, title, "ko"))


def test_a_term_inside_a_longer_name_gives_way_to_the_name(words_tagger: Tagger) -> None:
    # 한미 is inside 주한미군 (US Forces Korea) only as characters: 주한|미군.
    assert "한미" not in matched(words_tagger, "주한미군 사령관 교체", "ko")


def test_kept_and_rejected_matches_of_one_term_in_one_field_are_counted_apart(
    words_tagger: Tagger,
) -> None:
    title = "일제히 열린 일제 강제동원 추모식"
    assert matched(words_tagger, title, "ko")["일제"] == 1


def test_evidence_still_names_the_matched_words(words_tagger: Tagger) -> None:
    result = words_tagger.tag("일제 강제동원 피해자들, 일제히 소송 제기", lang="ko")
    (theme,) = result.themes
    assert theme.theme_id == "history_disputes"
    assert {(e.term, e.count) for e in theme.evidence} == {("일제", 1), ("강제동원", 1)}
    assert words_tagger.explain("구청, 주정차 일제히 단속", lang="ko").result.themes == ()


# -- Japanese -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "absent"),
    [
        ("北朝鮮は5日朝、弾道ミサイルを発射した", "日朝"),  # the morning of the 5th
        ("米国務省は10日米韓演習の縮小を否定", "日米"),  # the 10th, then 米韓
        ("政府は3日韓国との協議を再開", "日韓"),  # the 3rd, then 韓国
        ("軍事費の膨張に懸念", "軍"),  # 軍 only as part of 軍事
    ],
)
def test_a_japanese_term_inside_a_longer_word_does_not_count(
    words_tagger: Tagger, title: str, absent: str
) -> None:
    assert absent not in matched(words_tagger, title, "ja")


@pytest.mark.parametrize(
    ("title", "present"),
    [
        ("北朝鮮が弾道ミサイルを発射", {"北朝鮮", "弾道ミサイル", "発射"}),  # particles
        ("日米韓の防衛相が電話会談", {"日米韓", "日米", "防衛"}),  # 日米|韓
        ("日朝首脳会談の早期実現を模索", {"日朝"}),
        ("米国務省は10日米韓演習の縮小を否定", {"米韓"}),
        ("中国海警局の船が領海に侵入", {"中国", "海警"}),  # 中国|海|警|局
        ("ロシア軍と北朝鮮軍が共同訓練", {"軍", "北朝鮮"}),  # 北朝鮮|軍
        ("海自の護衛艦が寄港", {"艦"}),  # 護衛|艦
        ("防衛費増額の財源論議", {"防衛"}),  # 防衛|費
        ("自社株買いを発表", {"株"}),
    ],
)
def test_a_japanese_term_that_is_a_word_still_counts(
    words_tagger: Tagger, title: str, present: set[str]
) -> None:
    assert present <= set(matched(words_tagger, title, "ja"))


def test_spaces_put_between_digits_and_kanji_do_not_skip_the_analyser(
    words_tagger: Tagger,
) -> None:
    # `normalize` turns "5日朝" into "5 日朝": the space is not a word edge there.
    assert normalize("5日朝") == " 5 日朝 "
    assert "日朝" not in matched(words_tagger, "北朝鮮は5日朝", "ja")
    assert "日朝" in matched(words_tagger, "北朝鮮は5日 日朝協議", "ja")


# -- the analysers and the shipped taxonomy ------------------------------------------------


def test_word_edges_mark_token_starts_and_ends_in_the_normalised_text() -> None:
    text = normalize("북한이 일제히")
    starts, ends = word_edges("ko", text)
    assert text.index("북한") in starts and text.index("북한") + 2 in ends
    assert text.index("일제히") in starts and text.index("일제히") + 2 not in ends
    starts, ends = word_edges("ja", normalize("北朝鮮は5日朝"))
    day = normalize("北朝鮮は5日朝").index("日")
    assert day not in starts and day + 1 in ends  # the counter 日 ends a word, starts none


def test_an_unknown_language_has_no_analyser() -> None:
    with pytest.raises(ValueError, match="no word analyser"):
        word_edges("zh", " 中国 ")


def test_the_shipped_taxonomy_no_longer_reads_all_at_once_as_imperial_japan() -> None:
    tagger = Tagger(load_taxonomy())
    crackdown = tagger.tag("구청, 불법 주정차 차량 일제히 단속 나서", lang="ko")
    assert "history_disputes" not in crackdown.theme_ids
    forced = tagger.tag("일제 강제동원 피해자 배상 판결 확정", lang="ko")
    assert "history_disputes" in forced.theme_ids
