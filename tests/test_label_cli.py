"""``jkwatch label`` / ``labels export`` end to end on a SQLite file, the pure correction rule,
and ``jkwatch eval`` reading the exported labels (with the terms behind its errors)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from jkwatch.cli.main import cli
from jkwatch.corrections import (
    Correction,
    LabelChange,
    Tags,
    ThemeMark,
    apply_correction,
    merge,
)
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from jkwatch.model import ThemeIn
from tests.test_retag import _store_untagged

EVIDENCE = ({"term": "missile", "field": "title", "count": 1},)
TAGGER = Tags(0.8, True, (ThemeIn("nk_weapons", 0.7, EVIDENCE), ThemeIn("us_alliance", 0.6)))


def test_the_rule_removes_adds_and_overrides_relevance_on_the_side_of_the_threshold():
    correction = Correction(
        relevant=False,
        themes={"nk_weapons": ThemeMark(False, "a"), "history_disputes": ThemeMark(True, "b")},
    )
    final = apply_correction(TAGGER, correction)
    assert [t.theme_id for t in final.themes] == ["us_alliance", "history_disputes"]
    assert final.themes[1].evidence == ({"term": "corrected by b", "field": "analyst", "count": 1},)
    assert (final.relevant, final.relevance) == (False, 0.49)
    assert apply_correction(Tags(0.1, False), Correction(relevant=True)).relevance == 0.5
    assert apply_correction(TAGGER, None) == TAGGER
    # A theme the tagger also found keeps its score and gains the analyst's evidence.
    kept = apply_correction(TAGGER, Correction(themes={"nk_weapons": ThemeMark(True, "c")}))
    assert kept.themes[0].score == 0.7 and len(kept.themes[0].evidence) == 2


def test_merging_keeps_the_latest_word_on_each_theme_and_on_relevance():
    first = merge(None, LabelChange("a", relevant=False, add=("x",), remove=("y",), note="n"))
    second = merge(first, LabelChange("b", remove=("x",)))
    assert second.relevant is False and second.note == "n" and second.analyst == "b"
    assert second.themes == {"x": ThemeMark(False, "b"), "y": ThemeMark(False, "a")}


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'labels.db'}"
    engine = make_engine(url)
    upgrade(engine)
    _store_untagged(make_sessionmaker(engine))
    engine.dispose()
    CliRunner().invoke(cli, ["--db", url, "retag", "--quiet"], catch_exceptions=False)
    return url


def _run(url: str, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--db", url, *args], env=env)


def _export(url: str) -> list[dict]:
    out = _run(url, "export").output
    return [json.loads(line) for line in out.splitlines()]


@pytest.mark.slow
def test_label_changes_the_item_and_export_shows_it_corrected(db):
    result = _run(
        db,
        "label",
        "4",
        "--relevant",
        "yes",
        "--add",
        "defense_industry",
        "--note",
        "chips",
        env={"JKWATCH_ANALYST": "carol"},
    )
    assert result.exit_code == 0, result.output
    assert "item 4 labelled: relevant" in result.output and "defense_industry" in result.output
    rows = {row["id"]: row for row in _export(db)}
    assert rows[4]["corrected"] is True and rows[4]["relevant"] is True
    assert "defense_industry" in rows[4]["themes"]
    assert rows[1]["corrected"] is False
    csv_rows = list(csv.DictReader(io.StringIO(_run(db, "export", "--format", "csv").output)))
    assert {int(r["id"]): r["corrected"] for r in csv_rows}[4] == "true"
    reset = _run(db, "label", "4", "--reset", "--by", "carol")
    assert reset.exit_code == 0 and "no correction" in reset.output
    assert {row["id"]: row for row in _export(db)}[4]["corrected"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["label", "999", "--relevant", "no"], "no item with id 999"),
        (["label", "1", "--add", "no_such_theme"], "unknown theme id 'no_such_theme'"),
        (["label", "1"], "nothing to change"),
        (["label", "1", "--note", "only a note"], "nothing to change"),
        (["label", "1", "--reset", "--relevant", "no"], "cannot be combined"),
        (["label", "1", "--relevant", "no", "--by", " "], "must not be empty"),
        (["label", "1", "--relevant", "no", "--by", "x" * 201], "longer than 200 characters"),
    ],
)
@pytest.mark.slow
def test_label_usage_errors_are_one_line_exit_2_and_change_nothing(db, args, message):
    before = _export(db)
    result = _run(db, *args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: jkwatch label: ")
    assert message in lines[0]
    assert _export(db) == before


@pytest.mark.slow
def test_labels_export_round_trips_through_eval(db, tmp_path):
    _run(db, "label", "1", "--relevant", "no", "--by", "dan")
    _run(db, "label", "4", "--relevant", "yes", "--add", "defense_industry", "--by", "dan")
    path = tmp_path / "labels.jsonl"
    exported = _run(db, "labels", "export", "-o", str(path))
    assert exported.exit_code == 0 and "wrote 2 labelled items" in exported.output
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["relevant"]) for r in rows] == [(1, False), (4, True)]
    assert set(rows[0]) == {"id", "url", "title", "summary", "lang", "relevant", "themes"}
    stdout = _run(db, "labels", "export")
    assert [json.loads(line) for line in stdout.output.splitlines()] == rows
    # The tagger disagrees with both labels: eval finds two misses and names the terms
    # behind the false relevant verdict on item 1.
    report = CliRunner().invoke(cli, ["eval", str(path), "--json"])
    assert report.exit_code == 0, report.output
    data = json.loads(report.output)
    assert data["items"] == 2 and data["misses_total"] == 2
    assert data["relevance"]["fp"] == 1 and data["relevance"]["fn"] == 1
    causes = {(t["term"], t["cause"]) for t in data["error_terms"]}
    assert any(cause == "relevance" for _, cause in causes)
    assert any(cause == "nk_weapons" for _, cause in causes)
    text = CliRunner().invoke(cli, ["eval", str(path)]).output
    assert "terms behind the errors" in text


def test_labels_export_to_an_unwritable_place_is_one_line_exit_2(db, tmp_path):
    result = _run(db, "labels", "export", "-o", str(tmp_path / "no" / "such" / "dir.jsonl"))
    assert result.exit_code == 2
    assert result.output.startswith("error: cannot write ") and len(result.output.splitlines()) == 1
