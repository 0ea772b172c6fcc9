"""Regression floors on the labelled sets, and the evaluation arithmetic itself.

The floors pin the quality the tagger reaches today (see `jkwatch eval`); a taxonomy or matcher
change that drops below them fails here. Three sets are tuned on (dev, dev2, dev3: three writers'
phrasing; dev3 also trains the learned layer); the holdout and the two blind sets are only measured
(the blind ones were written without sight of the taxonomy) and must meet the issue's targets:
relevance F1 >= 0.95, theme micro-F1 >= 0.85 and every theme's F1 >= 0.7. See tests/data/README.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jkwatch.ingest.tagging import THEME_IDS
from jkwatch.ingest.tagging.evaluation import (
    PRF,
    EvalReport,
    evaluate,
    format_report,
    parse_labelled,
)
from tests.factories import shared_tagger

DATA = Path(__file__).resolve().parent / "data"
TARGET_RELEVANCE_F1 = 0.95
TARGET_MICRO_F1 = 0.85
TARGET_THEME_F1 = 0.7
# (relevance F1, theme micro-F1) floors: a little below today's measurements (keywords, word
# matching and the learned layer), which are dev 1.000/0.976, dev2 0.994/0.938, dev3 1.000/0.941,
# holdout 0.987/0.880, blind 0.988/0.908, blind2 0.964/0.903 (bench/results/issue14/quality.txt).
FLOORS = {
    "eval_dev.jsonl": (0.99, 0.96),
    "eval_dev2.jsonl": (0.98, 0.92),
    "eval_dev3.jsonl": (0.99, 0.92),
    "eval_holdout.jsonl": (0.97, 0.86),
    "eval_blind.jsonl": (0.97, 0.89),
    "eval_blind2.jsonl": (0.95, 0.88),
}
UNSEEN = ("eval_holdout.jsonl", "eval_blind.jsonl", "eval_blind2.jsonl")


def report_for(name: str) -> EvalReport:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not written yet: the labelled set comes from the eval-data issue")
    items = parse_labelled(path.read_text(encoding="utf-8").splitlines())
    return evaluate(shared_tagger(), items)


@pytest.fixture(scope="module", params=sorted(FLOORS))
def labelled(request: pytest.FixtureRequest) -> tuple[str, EvalReport]:
    return request.param, report_for(request.param)


def test_floors_are_never_below_the_targets_on_unseen_sets() -> None:
    for name in UNSEEN:
        relevance, micro = FLOORS[name]
        assert relevance >= TARGET_RELEVANCE_F1 and micro >= TARGET_MICRO_F1


def test_relevance_f1_stays_above_its_floor(labelled: tuple[str, EvalReport]) -> None:
    name, report = labelled
    assert report.relevance.f1 >= FLOORS[name][0]


def test_theme_micro_f1_stays_above_its_floor(labelled: tuple[str, EvalReport]) -> None:
    name, report = labelled
    assert report.micro.f1 >= FLOORS[name][1]


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_every_theme_reaches_the_target_f1(name: str) -> None:
    report = report_for(name)
    low = {t: round(m.f1, 3) for t, m in report.themes.items() if m.f1 < TARGET_THEME_F1}
    assert not low


def test_prf_counts_give_precision_recall_and_f1() -> None:
    m = PRF(tp=3, fp=1, fn=2)
    assert (m.precision, m.recall) == (0.75, 0.6)
    assert m.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert PRF().f1 == 1.0 and PRF(0, 1, 1).f1 == 0.0


def test_predicted_themes_of_an_item_judged_irrelevant_do_not_count() -> None:
    lines = [
        '{"id": "a", "lang": "en", "title": "NATO summit opens in Brussels", "summary": "",'
        ' "relevant": false, "themes": []}',
        '{"id": "b", "lang": "en", "title": "North Korea fires ballistic missile, JCS says",'
        ' "summary": "", "relevant": true, "themes": ["nk_weapons"]}',
    ]
    report = evaluate(shared_tagger(), parse_labelled(lines))
    assert report.relevance == PRF(1, 0, 0)
    assert report.themes["nk_weapons"] == PRF(1, 0, 0)
    assert report.themes["collective_security"] == PRF(0, 0, 0)
    assert report.misses == ()


def test_a_miss_lists_missing_and_extra_themes() -> None:
    line = (
        '{"id": "m1", "title": "North Korea fires ballistic missile", "relevant": true,'
        ' "themes": ["russia_nk"]}'
    )
    report = evaluate(shared_tagger(), parse_labelled([line]))
    (miss,) = report.misses
    assert miss.missing == ("russia_nk",) and miss.extra == ("nk_weapons",)
    text = format_report(report)
    assert "m1" in text and "missing: russia_nk; extra: nk_weapons" in text


def test_a_bad_labelled_line_names_its_line_number() -> None:
    with pytest.raises(ValueError, match="line 2: unknown theme id 'space'"):
        parse_labelled(
            [
                '{"title": "x", "relevant": true}',
                '{"title": "y", "relevant": true, "themes": ["space"]}',
            ]
        )
    with pytest.raises(ValueError, match="line 1: missing field 'relevant'"):
        parse_labelled(['{"title": "x"}'])


def test_the_report_has_a_row_per_theme() -> None:
    report = evaluate(shared_tagger(), [])
    text = format_report(report)
    assert all(theme_id in text for theme_id in THEME_IDS)
    assert "relevance" in text and "micro" in text and "macro" in text
