"""Context rules: a theme's `needs_anchor` terms count only beside one of its anchors."""

from __future__ import annotations

import pytest

from jkwatch.ingest.tagging import THEME_IDS, Tagger, TaxonomyError, load_taxonomy, parse_taxonomy
from tests.factories import shared_tagger

HEADER = """
version = 1
[relevance]
threshold = 0.5
[relevance.actors]
en = ["Japan:2", "South Korea:2", "North Korea:2"]
ko = ["北:2", "한국:2"]
[relevance.security]
en = ["defense:2"]
"""


def taxonomy_text(block: str, theme_id: str = "nk_weapons") -> str:
    """Every theme gets a never-seen term, except `theme_id`, which gets `block`."""
    blocks = []
    for tid in THEME_IDS:
        body = (
            block
            if tid == theme_id
            else ('[themes.terms]\nen = ["zzqx"]\nja = ["ぞぞ"]\nko = ["쭝쭝"]\n')
        )
        blocks.append(f'[[themes]]\nid = "{tid}"\nlabel = "L"\ndescription = "D"\n{body}')
    return HEADER + "\n".join(blocks)


NK_BLOCK = """
[themes.anchors]
en = ["North Korea", "Pyongyang"]
ko = ["北", "북한"]
[themes.terms]
en = ["Hwasong:3", "~missile:2.5", {term = "launch", weight = 1, needs_anchor = true}]
ja = ["火星:3"]
ko = ["~미사일:2.5", "화성포:3"]
"""

JK_BLOCK = """
[[themes.anchors]]
en = ["Japan"]
[[themes.anchors]]
en = ["South Korea"]
[themes.terms]
en = ["GSOMIA:3", "~security cooperation:3"]
ja = ["日韓:3"]
ko = ["한일:3"]
"""


def error_of(text: str) -> str:
    with pytest.raises(TaxonomyError) as info:
        parse_taxonomy(text)
    return str(info.value)


@pytest.fixture(scope="module")
def nk() -> Tagger:
    return Tagger(parse_taxonomy(taxonomy_text(NK_BLOCK)))


def test_a_generic_term_counts_for_its_theme_beside_an_anchor(nk: Tagger) -> None:
    assert nk.tag("North Korea test-fires missile").theme_ids == ("nk_weapons",)
    assert nk.tag("北, 동해상으로 미사일 발사", lang="ko").theme_ids == ("nk_weapons",)


def test_a_generic_term_without_an_anchor_does_not_count(nk: Tagger) -> None:
    assert nk.tag("Japan deploys new missile").theme_ids == ()
    assert nk.explain("Japan deploys new missile").raw.get("nk_weapons", 0) == 0


def test_a_specific_term_needs_no_anchor(nk: Tagger) -> None:
    assert nk.tag("Hwasong test reported").theme_ids == ("nk_weapons",)


def test_an_anchor_in_the_title_opens_generic_terms_in_every_field(nk: Tagger) -> None:
    result = nk.tag("North Korea warns Seoul", "It will launch a missile soon.")
    assert result.theme_ids == ("nk_weapons",)


def test_an_anchor_in_the_summary_does_not_open_generic_terms_in_the_title(nk: Tagger) -> None:
    result = nk.tag("South Korea test-fires missile", "The test answers North Korea.")
    assert result.theme_ids == ()


def test_evidence_lists_generic_terms_only_when_their_gate_opened(nk: Tagger) -> None:
    result = nk.tag("North Korea missile launch", "A Hwasong missile.")
    terms = {(e.term, e.field) for e in result.themes[0].evidence}
    assert ("missile", "title") in terms and ("launch", "title") in terms
    assert ("missile", "summary") in terms and ("Hwasong", "summary") in terms
    closed = nk.tag("Japan missile launch", "A Hwasong test.")
    assert {e.term for e in closed.themes[0].evidence} == {"Hwasong"}


def test_a_theme_with_two_anchor_groups_needs_a_match_in_each() -> None:
    jk = Tagger(parse_taxonomy(taxonomy_text(JK_BLOCK, "jk_cooperation")))
    assert jk.tag("Japan, South Korea boost security cooperation").theme_ids == ("jk_cooperation",)
    assert jk.tag("Japan, Philippines boost security cooperation").theme_ids == ()


def test_anchors_alone_add_no_theme_evidence(nk: Tagger) -> None:
    assert nk.tag("North Korea Pyongyang North Korea").theme_ids == ()


def test_needs_anchor_without_anchors_is_an_error_naming_theme_and_term() -> None:
    block = '[themes.terms]\nen = ["~missile"]\nja = ["ミサイル"]\nko = ["미사일"]\n'
    message = error_of(taxonomy_text(block))
    assert "theme 'nk_weapons'" in message and "terms.en[0]" in message
    assert "defines no anchors" in message


def test_needs_anchor_outside_themes_is_an_error() -> None:
    text = taxonomy_text(NK_BLOCK).replace('en = ["defense:2"]', 'en = ["~defense:2"]')
    message = error_of(text)
    assert "relevance: security.en[0]" in message and "only applies to theme terms" in message


@pytest.mark.parametrize(
    ("anchors", "expected"),
    [
        ('anchors = "North Korea"', "anchors: must be a table of en/ja/ko lists"),
        ("anchors = []", "anchors: must be a table of en/ja/ko lists"),
        ('anchors = {fr = ["Corée du Nord"]}', "anchors.fr: unknown language"),
        ("anchors = {en = []}", "anchors: has no terms"),
        ('anchors = {en = ["North Korea", "north korea"]}', "duplicate term"),
        ("anchors = {en = [3]}", "anchors.en[0]: must be a string"),
    ],
)
def test_bad_anchors_are_reported_with_theme_and_field(anchors: str, expected: str) -> None:
    block = f'{anchors}\n[themes.terms]\nen = ["missile"]\nja = ["ミサイル"]\nko = ["미사일"]\n'
    message = error_of(taxonomy_text(block))
    assert "theme 'nk_weapons'" in message and expected in message


def test_needs_anchor_must_be_a_boolean() -> None:
    block = NK_BLOCK.replace("needs_anchor = true", 'needs_anchor = "yes"')
    assert "needs_anchor must be true or false" in error_of(taxonomy_text(block))


def test_the_real_taxonomy_gates_generic_words_of_the_four_contextual_themes() -> None:
    taxonomy = load_taxonomy()
    for theme_id, groups in (
        ("nk_weapons", 1),
        ("china_pressure", 1),
        ("us_alliance", 1),
        ("jk_cooperation", 2),
    ):
        theme = taxonomy.theme(theme_id)
        assert len(theme.anchors) == groups
        assert any(term.needs_anchor for term in theme.terms)


@pytest.mark.parametrize(
    ("title", "lang", "absent"),
    [
        ("S. Korea launches military spy satellite", "en", "nk_weapons"),
        ("Japan to deploy Tomahawk missiles early", "en", "nk_weapons"),
        ("US aircraft carrier arrives in Busan", "en", "china_pressure"),
        ("Japan, Philippines deepen alliance", "en", "us_alliance"),
        ("韓·필리핀 해양안보 협력 강화", "ko", "jk_cooperation"),
    ],
)
def test_the_real_taxonomy_does_not_read_generic_words_as_their_theme_without_context(
    title: str, lang: str, absent: str
) -> None:
    assert absent not in shared_tagger().tag(title, lang=lang).theme_ids
