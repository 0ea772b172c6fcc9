"""Matching and scoring behaviour of the tagger, on the real taxonomy and on a tiny one."""

from __future__ import annotations

import pytest

from jkwatch.ingest.tagging import THEME_IDS, Tagger, TagResult, parse_taxonomy
from jkwatch.ingest.tagging.text import english_variants, normalize

TINY_HEADER = """
version = 1
[relevance]
threshold = 0.5
[relevance.actors]
en = ["Japan:2", "North Korea:2"]
ko = ["北:2", "日:2", "韓:2"]
[relevance.security]
en = ["defense:2", "=security:1"]
[relevance.exclude]
en = ["security guard"]
"""


def tiny_tagger(nato_terms: str = '"NATO:3"', exclude: str = "") -> Tagger:
    """One theme (collective_security) with chosen terms; the others get a never-seen term."""
    blocks = []
    for theme_id in THEME_IDS:
        en = nato_terms if theme_id == "collective_security" else '"zzqx"'
        extra = exclude if theme_id == "collective_security" else ""
        blocks.append(
            f'[[themes]]\nid = "{theme_id}"\nlabel = "L"\ndescription = "D"\n'
            f'[themes.terms]\nen = [{en}]\nja = ["日米豪印:3"]\nko = ["쿼드:3"]\n{extra}'
        )
    return Tagger(parse_taxonomy(TINY_HEADER + "\n".join(blocks)))


def themes(result: TagResult) -> set[str]:
    return set(result.theme_ids)


def test_full_width_and_half_width_text_match_the_same_terms(tagger: Tagger) -> None:
    half = tagger.tag("Japan, South Korea agree to restore GSOMIA")
    full = tagger.tag("Ｊａｐａｎ, Ｓｏｕｔｈ Ｋｏｒｅａ agree to restore ＧＳＯＭＩＡ")
    assert "jk_cooperation" in themes(half)
    assert full.theme_ids == half.theme_ids
    assert full.relevance == half.relevance


def test_half_width_katakana_is_folded_before_matching(tagger: Tagger) -> None:
    result = tagger.tag("北朝鮮が弾道ﾐｻｲﾙを発射")
    assert "nk_weapons" in themes(result) and result.relevant


def test_matching_ignores_case(tagger: Tagger) -> None:
    assert (
        tagger.tag("NORTH KOREA FIRES BALLISTIC MISSILE").theme_ids
        == tagger.tag("north korea fires ballistic missile").theme_ids
    )


def test_english_terms_match_only_whole_words() -> None:
    tiny = tiny_tagger()
    assert tiny.tag("Japan joins NATO partners in drills").theme_ids == ("collective_security",)
    assert tiny.tag("Japan fans cheer Donato at final").theme_ids == ()


def test_english_terms_match_their_plurals(tagger: Tagger) -> None:
    result = tagger.tag("North Korea fires two ballistic missiles")
    evidence = {e.term for t in result.themes for e in t.evidence}
    assert "ballistic missile" in evidence


def test_english_inflection_generates_plural_and_verb_forms_but_not_for_acronyms() -> None:
    assert {"drill", "drills", "drilled", "drilling"} <= english_variants("drill")
    assert english_variants("US") == {"us"}
    assert english_variants("=ROK".lstrip("="), exact=True) == {"rok"}


def test_japanese_terms_match_with_particles_attached(tagger: Tagger) -> None:
    result = tagger.tag("北朝鮮が日本海に弾道ミサイルを発射、防衛省")
    assert result.relevant
    assert "nk_weapons" in themes(result)


def test_korean_terms_match_with_particles_attached(tagger: Tagger) -> None:
    result = tagger.tag("북한이 동해상으로 탄도미사일을 발사했다고 합참이 밝혔다")
    assert result.relevant
    assert "nk_weapons" in themes(result)


def test_korean_headline_abbreviations_count_as_actors(tagger: Tagger) -> None:
    result = tagger.tag("北, 동해상으로 탄도미사일 발사…日 EEZ 밖 낙하", lang="ko")
    assert result.relevant and "nk_weapons" in themes(result)
    result = tagger.tag("韓日 국방장관, 안보협력 강화 합의", lang="ko")
    assert result.relevant and "jk_cooperation" in themes(result)


def test_korean_abbreviations_do_not_fire_inside_japanese_words(tagger: Tagger) -> None:
    result = tagger.tag("北海道で大雪、交通に乱れ", lang="ja")
    assert not result.relevant


def test_spaces_between_korean_words_are_optional(tagger: Tagger) -> None:
    spaced = tagger.tag("한일 정상회담 개최…안보 협력 논의")
    glued = tagger.tag("한일정상회담 개최…안보 협력 논의")
    assert "jk_cooperation" in themes(spaced) and "jk_cooperation" in themes(glued)


def test_latin_acronyms_glued_to_cjk_still_match(tagger: Tagger) -> None:
    result = tagger.tag("日韓GSOMIAが正常化、防衛相会談で確認")
    assert any(e.term == "GSOMIA" for t in result.themes for e in t.evidence)


def test_a_relevance_exclusion_hides_the_word_it_contains() -> None:
    tiny = tiny_tagger()
    assert tiny.explain("Japan security defense plan").raw["security"] > 0
    assert tiny.explain("Japan hires security guard").raw.get("security", 0) == 0


def test_a_theme_exclusion_hides_only_that_themes_matches() -> None:
    tiny = tiny_tagger('"NATO:3"', '[themes.exclude]\nen = ["NATO Street"]')
    assert tiny.tag("Japan NATO Street festival").theme_ids == ()
    assert tiny.tag("Japan NATO partners").theme_ids == ("collective_security",)


@pytest.mark.parametrize(
    "title",
    [
        "BTS member Jin begins mandatory military service",
        "한일전 야구 대표팀, 도쿄돔서 역전승",
        "日韓戦、サッカー代表が2-1で勝利",
        "Mall security guard arrested after Tokyo robbery",
        "Retailer confirms cybersecurity breach affecting Japan shoppers",
        "KOSPI rises as Samsung shares rally on chip demand",
        "Typhoon to hit Okinawa and Kyushu this weekend, weather agency warns",
        "Japan–Korea tunnel plan revived by Kyushu business leaders",
    ],
)
def test_false_friends_are_not_relevant(tagger: Tagger, title: str) -> None:
    result = tagger.tag(title)
    assert not result.relevant, (title, result)


@pytest.mark.parametrize(
    ("title", "theme"),
    [
        ("Japan, Philippines sign Reciprocal Access Agreement", "collective_security"),
        ("USFK commander says troop levels will stay at 28,500", "us_alliance"),
        ("Russia, North Korea deepen military cooperation after Kursk deployment", "russia_nk"),
        ("中国海警局の船が尖閣周辺の領海に侵入", "china_pressure"),
        ("石破首相、台湾有事は存立危機事態になり得ると答弁", "taiwan_strait"),
        ("Seoul says Kill Chain and KAMD upgrades on schedule", "missile_defense"),
        ("防衛費GDP比2%へ、政府が安保3文書改定を検討", "defense_buildup"),
        ("전작권 전환 목표연도 설정…자주국방 강조", "security_autonomy"),
        ("韓国、佐渡金山の追悼式に不参加　日韓の歴史問題再燃", "history_disputes"),
        ("Japan pledges more aid to Ukraine at G7 summit", "ukraine_war"),
        ("한화에어로스페이스, 폴란드와 K9 자주포 수출 계약", "defense_industry"),
        ("남북 군사합의 효력 정지…접경지역 훈련 재개", "inter_korean"),
    ],
)
def test_each_theme_is_found_in_typical_wire_headlines(
    tagger: Tagger, title: str, theme: str
) -> None:
    result = tagger.tag(title)
    assert result.relevant and theme in themes(result), result


def test_themes_are_filled_even_when_the_item_is_not_relevant() -> None:
    tiny = tiny_tagger()
    result = tiny.tag("NATO summit opens")  # a theme term, no Japan/Korea actor
    assert not result.relevant
    assert result.theme_ids == ("collective_security",)
    assert result.to_json()["themes"] == []


def test_evidence_names_the_term_the_field_and_the_count() -> None:
    tiny = tiny_tagger()
    result = tiny.tag("Japan and NATO", summary="NATO partners meet; NATO chief attends")
    evidence = [e.to_json() for e in result.themes[0].evidence]
    assert evidence == [
        {"term": "NATO", "field": "title", "count": 1},
        {"term": "NATO", "field": "summary", "count": 2},
    ]


def test_scores_are_between_zero_and_one_and_themes_are_ordered_by_score(tagger: Tagger) -> None:
    result = tagger.tag(
        "S. Korea, U.S., Japan begin real-time sharing of N. Korean missile warning data",
        "The three allies activated the trilateral mechanism under the Camp David framework.",
    )
    assert 0 <= result.relevance <= 1
    scores = [t.score for t in result.themes]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s < 1 for s in scores)


def test_the_language_hint_accepts_region_tags(tagger: Tagger) -> None:
    assert tagger.tag("北, 탄도미사일 발사", lang="ko-KR").relevant


def test_normalize_pads_and_folds_punctuation() -> None:
    assert normalize("N. Korea's ＩＣＢＭ—launch!") == " n korea s icbm launch "


def test_a_background_theme_only_in_the_summary_yields_to_a_stronger_title_theme() -> None:
    blocks = []
    for theme_id in THEME_IDS:
        en = {"missile_defense": '"interceptor:3"', "nk_weapons": '"missile launch:3"'}
        blocks.append(
            f'[[themes]]\nid = "{theme_id}"\nlabel = "L"\ndescription = "D"\n'
            f"[themes.terms]\nen = [{en.get(theme_id, chr(34) + 'zzqx' + chr(34))}]\n"
            'ja = ["日米豪印:3"]\nko = ["쿼드:3"]\n'
        )
    text = TINY_HEADER + "[scoring]\nsecondary_share = 0.9\n" + "\n".join(blocks)
    title = "Japan deploys interceptor, interceptor batteries"
    summary = "The move follows a North Korean missile launch."
    strict, lenient = (
        Tagger(parse_taxonomy(text)),
        Tagger(parse_taxonomy(TINY_HEADER + "\n".join(blocks))),
    )
    assert themes(strict.tag(title, summary)) == {"missile_defense"}
    assert themes(lenient.tag(title, summary)) == {"missile_defense", "nk_weapons"}
    assert "nk_weapons" in themes(strict.tag("North Korea missile launch; interceptor", summary))


def test_korean_and_english_text_use_separate_automata_with_the_same_results(
    tagger: Tagger,
) -> None:
    english = tagger.tag("N. Korea fires ballistic missile", lang="en")
    unhinted = tagger.tag("N. Korea fires ballistic missile")
    assert english == unhinted and "nk_weapons" in themes(english)
    assert "nk_weapons" in themes(tagger.tag("北, 탄도미사일 발사", lang="ko"))
