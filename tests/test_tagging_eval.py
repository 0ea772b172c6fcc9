"""Regression floors on the labelled sets, and the evaluation arithmetic itself.

The floors pin the quality the tagger reaches today (see `jkwatch eval`); a taxonomy or matcher
change that drops below them fails here. The dev set is the one we tune on; the holdout set is
only measured, and its floors sit a little below the measured values.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.tagging import THEME_IDS, Tagger, load_taxonomy
from ingest.tagging.evaluation import PRF, EvalReport, evaluate, format_report, parse_labelled

DATA = Path(__file__).resolve().parent / "data"
# Holdout floors: a little below what the tagger measures (never tuned on the holdout items).
HOLDOUT_RELEVANCE_FLOOR = 0.97
HOLDOUT_MICRO_FLOOR = 0.83
# Dev floors: a little below today's measurement (relevance 1.000, micro 0.970), never below the
# issue's targets (0.95, 0.85).
DEV_RELEVANCE_FLOOR = 0.99
DEV_MICRO_FLOOR = 0.96


def report_for(name: str) -> EvalReport:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not written yet: the labelled set comes from the eval-data issue")
    items = parse_labelled(path.read_text(encoding="utf-8").splitlines())
    return evaluate(Tagger(load_taxonomy()), items)


@pytest.fixture(scope="module")
def dev() -> EvalReport:
    return report_for("eval_dev.jsonl")


@pytest.fixture(scope="module")
def holdout() -> EvalReport:
    return report_for("eval_holdout.jsonl")


def test_dev_relevance_f1_is_at_least_the_target(dev: EvalReport) -> None:
    assert dev.relevance.f1 >= DEV_RELEVANCE_FLOOR >= 0.95


def test_dev_theme_micro_f1_is_at_least_the_target(dev: EvalReport) -> None:
    assert dev.micro.f1 >= DEV_MICRO_FLOOR >= 0.85


def test_every_theme_reaches_f1_of_at_least_the_target_on_dev(dev: EvalReport) -> None:
    low = {t: round(m.f1, 3) for t, m in dev.themes.items() if m.f1 < 0.7}
    assert not low


def test_holdout_relevance_f1_stays_above_its_floor(holdout: EvalReport) -> None:
    assert holdout.relevance.f1 >= HOLDOUT_RELEVANCE_FLOOR


def test_holdout_theme_micro_f1_stays_above_its_floor(holdout: EvalReport) -> None:
    assert holdout.micro.f1 >= HOLDOUT_MICRO_FLOOR


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
    report = evaluate(Tagger(load_taxonomy()), parse_labelled(lines))
    assert report.relevance == PRF(1, 0, 0)
    assert report.themes["nk_weapons"] == PRF(1, 0, 0)
    assert report.themes["collective_security"] == PRF(0, 0, 0)
    assert report.misses == ()


def test_a_miss_lists_missing_and_extra_themes() -> None:
    line = (
        '{"id": "m1", "title": "North Korea fires ballistic missile", "relevant": true,'
        ' "themes": ["russia_nk"]}'
    )
    report = evaluate(Tagger(load_taxonomy()), parse_labelled([line]))
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
    report = evaluate(Tagger(load_taxonomy()), [])
    text = format_report(report)
    assert all(theme_id in text for theme_id in THEME_IDS)
    assert "relevance" in text and "micro" in text and "macro" in text
