"""``jkwatch brief`` end to end (CliRunner) on SQLite and PostgreSQL: formats, defaults from
the injectable clock, filters, and every bad input refused with exit code 2."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jkwatch import clock
from tests.brief_corpus import LABELS, SINCE, UNTIL, XSS_TITLE, seed_brief, story_id_by_key
from tests.databases import pg_base_url, require_postgres
from tests.processes import invoke


@pytest.fixture
def seeded(db_url, sessions):
    items, ids = seed_brief(sessions)
    return db_url, items, ids


def test_json_brief_of_a_range_lists_the_event_first_and_its_theme_as_a_riser(seeded):
    url, items, ids = seeded
    result = invoke(
        url, "brief", "--since", "2026-11-09", "--until", "2026-11-15", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert (doc["since"], doc["until"]) == ("2026-11-09", "2026-11-15")
    assert doc["stories"][0]["story_id"] == story_id_by_key(items, ids)["event"]
    assert doc["movers"][0]["theme"] == "nk_weapons" and doc["movers"][0]["direction"] == "rise"
    assert len(doc["stories"]) <= 10


def test_the_default_range_is_the_last_seven_full_days_by_the_clock(seeded, monkeypatch):
    url, _, _ = seeded
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 16, 8, 30, tzinfo=UTC))
    doc = json.loads(invoke(url, "brief", "--format", "json").output)
    assert (doc["since"], doc["until"]) == (SINCE.isoformat(), UNTIL.isoformat())
    only_until = json.loads(
        invoke(url, "brief", "--until", "2026-11-15", "--format", "json").output
    )
    assert only_until["since"] == SINCE.isoformat()


def test_top_theme_and_language_options_narrow_the_brief(seeded):
    url, _, _ = seeded
    args = ("brief", "--since", "2026-11-09", "--until", "2026-11-15", "--format", "json")
    top = json.loads(invoke(url, *args, "--top", "2").output)
    assert len(top["stories"]) == 2 and len(top["movers"]) <= 2
    themed = json.loads(invoke(url, *args, "--theme", "jk_cooperation").output)
    assert [m["theme"] for m in themed["movers"]] == ["jk_cooperation"]
    english = json.loads(invoke(url, *args, "--lang", "en").output)
    assert all(story["languages"] == ["en"] for story in english["stories"])


def test_markdown_and_html_are_for_people_and_escape_feed_text(seeded, tmp_path: Path):
    url, _, _ = seeded
    args = ("brief", "--since", "2026-11-09", "--until", "2026-11-15")
    text = invoke(url, *args).output
    assert text.startswith("# Brief: 2026-11-09 to 2026-11-15")
    assert LABELS["nk_weapons"] in text and "<script" not in text
    page = invoke(url, *args, "--format", "html").output
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "&lt;script&gt;" in page and XSS_TITLE not in page
    assert "<link" not in page and "src=" not in page  # self-contained: nothing to fetch


@pytest.mark.parametrize(
    "args, message",
    [
        (("--since", "2026-11-15", "--until", "2026-11-09"), "after"),
        (("--theme", "not_a_theme"), "unknown theme"),
        (("--lang", "fr"), "--lang"),
        (("--since", "2026-13-40"), "--since"),
        (("--until", "yesterday"), "--until"),
        (("--top", "0"), "--top"),
        (("--format", "pdf"), "--format"),
    ],
    ids=["reversed", "theme", "language", "bad-date", "word-date", "top", "format"],
)
def test_bad_input_is_a_one_line_error_with_exit_code_2(seeded, args, message):
    url, _, _ = seeded
    result = invoke(url, "brief", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_a_missing_sqlite_database_is_reported_and_not_created(tmp_path: Path):
    path = tmp_path / "nowhere" / "jkwatch.db"
    result = invoke(f"sqlite:///{path}", "brief")
    assert result.exit_code == 2 and "no database" in result.output
    assert not path.exists() and not path.parent.exists()


def test_a_postgresql_schema_without_jkwatch_tables_is_reported_and_left_empty(pg_url):
    result = invoke(pg_url, "brief")
    assert result.exit_code == 2 and "holds no jkwatch schema" in result.output
    again = invoke(pg_url, "brief")
    assert again.exit_code == 2  # nothing was created by the first call


def test_a_postgresql_database_that_does_not_exist_is_reported():
    require_postgres()
    url = pg_base_url().rsplit("/", 1)[0] + "/jkwatch_no_such_database"
    result = invoke(url, "brief")
    assert result.exit_code == 2 and "jkwatch_no_such_database" in result.output
