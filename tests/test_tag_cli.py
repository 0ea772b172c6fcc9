"""`jkwatch tag` and `jkwatch eval` through click's CliRunner on the real command group."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from jkwatch.cli.main import cli

MISSILE = {
    "id": "a1",
    "title": "N. Korea fires ballistic missile into East Sea, JCS says",
    "summary": "North Korea launched a short-range ballistic missile, the Joint Chiefs said.",
    "lang": "en",
    "url": "https://example.test/ignored",
}
MARKETS = {"id": 7, "title": "KOSPI closes higher as Samsung shares rally", "summary": ""}


def run(args: list[str], stdin: str = "") -> tuple[int, list[dict], str]:
    result = CliRunner().invoke(cli, args, input=stdin)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines, result.stderr


def jsonl(*rows: object) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def test_tag_writes_one_line_per_input_with_the_contract_keys() -> None:
    code, out, _ = run(["tag"], jsonl(MISSILE, MARKETS))
    assert code == 0
    assert [set(row) for row in out] == [{"id", "relevant", "relevance", "themes"}] * 2
    assert [row["id"] for row in out] == ["a1", 7]


def test_tag_lists_themes_with_score_and_evidence_for_relevant_items() -> None:
    _, (row,), _ = run(["tag"], jsonl(MISSILE))
    assert row["relevant"] is True and 0.5 <= row["relevance"] <= 1
    theme = next(t for t in row["themes"] if t["id"] == "nk_weapons")
    assert set(theme) == {"id", "score", "evidence"}
    assert {"term": "ballistic missile", "field": "title", "count": 1} in theme["evidence"]


def test_tag_lists_no_themes_for_irrelevant_items() -> None:
    nato = {"id": "n", "title": "NATO summit opens in Brussels"}
    _, rows, _ = run(["tag"], jsonl(MARKETS, nato))
    assert all(row["relevant"] is False and row["themes"] == [] for row in rows)


def test_tag_reads_japanese_and_korean_and_honours_the_lang_hint() -> None:
    rows = [
        {"id": "ja", "title": "北朝鮮が弾道ミサイル発射、防衛省", "lang": "ja"},
        {"id": "ko", "title": "北, 동해상으로 탄도미사일 발사", "lang": "ko-KR"},
    ]
    _, out, _ = run(["tag"], jsonl(*rows))
    assert all(row["relevant"] for row in out)


def test_a_malformed_line_gets_an_error_object_and_tagging_continues() -> None:
    stdin = jsonl(MISSILE) + "{not json\n" + '["a list"]\n' + '{"id": 3}\n' + jsonl(MARKETS)
    code, out, err = run(["tag"], stdin)
    assert code == 0
    assert len(out) == 5
    assert out[1] == {"id": None, "line": 2, "error": out[1]["error"]}
    assert out[1]["error"].startswith("invalid JSON")
    assert out[2]["line"] == 3 and "JSON object" in out[2]["error"]
    assert out[3]["line"] == 4 and "title" in out[3]["error"]
    assert out[4]["id"] == 7
    assert "line 2:" in err and "line 4:" in err


def test_blank_lines_are_skipped() -> None:
    _, out, _ = run(["tag"], "\n" + jsonl(MISSILE) + "\n\n")
    assert len(out) == 1


def test_tag_help_documents_the_error_behaviour() -> None:
    result = CliRunner().invoke(cli, ["tag", "--help"])
    text = " ".join(result.output.split())
    assert "malformed line" in text and "exit code stays 0" in text


def test_a_broken_taxonomy_is_a_one_line_error_with_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "themes.toml"
    bad.write_text("version = 1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["tag", "--themes", str(bad)], input=jsonl(MISSILE))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: themes.toml: relevance: missing [relevance] table")


def test_eval_prints_theme_and_relevance_metrics_and_misses(tmp_path: Path) -> None:
    labelled = tmp_path / "set.jsonl"
    labelled.write_text(
        jsonl(
            {**MISSILE, "relevant": True, "themes": ["nk_weapons"]},
            {**MARKETS, "relevant": False, "themes": []},
            {
                "id": "x9",
                "title": "Japan, S. Korea defense chiefs agree to restore GSOMIA",
                "relevant": True,
                "themes": ["history_disputes"],
            },
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["eval", str(labelled), "--misses", "5"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "nk_weapons" in out and "theme micro" in out and "theme macro" in out
    assert "relevance     P 1.000  R 1.000  F1 1.000" in out
    assert "misses: 1" in out and "x9" in out and "missing: history_disputes" in out


def test_eval_reports_a_bad_labelled_file_as_a_user_error(tmp_path: Path) -> None:
    labelled = tmp_path / "set.jsonl"
    labelled.write_text('{"title": "x"}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(labelled)])
    assert result.exit_code == 2
    assert "line 1: missing field 'relevant'" in result.stderr
