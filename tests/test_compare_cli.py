"""``jkwatch compare`` end to end (CliRunner) on SQLite and PostgreSQL: the JSON contract, CSV,
Markdown, the default range from the injectable clock, and bad input refused with exit 2."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jkwatch import clock
from tests.compare_corpus import (
    HOSTILE_TITLE,
    LABELS,
    SINCE,
    UNTIL,
    relevant_in,
    seed_compare,
    story_id_by_key,
)
from tests.processes import invoke

RANGE = ("--since", SINCE.isoformat(), "--until", UNTIL.isoformat())


@pytest.fixture
def seeded(db_url, sessions):
    items, ids = seed_compare(sessions)
    return db_url, items, ids


def test_json_holds_the_contracts_keys_and_the_planted_counts(seeded):
    url, items, ids = seeded
    result = invoke(url, "compare", *RANGE, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert (doc["since"], doc["until"]) == (SINCE.isoformat(), UNTIL.isoformat())
    assert {"since", "until", "themes", "one_sided_stories"} <= set(doc)
    rel = relevant_in(items, SINCE, UNTIL)
    totals = Counter(it.country for it in rel)
    for theme in doc["themes"]:
        assert set(theme) == {"theme", "label", "jp", "kr", "other", "gap"}
        assert theme["label"] == LABELS[theme["theme"]]
        for country in ("jp", "kr", "other"):
            n = sum(theme["theme"] in it.themes and it.country == country for it in rel)
            assert theme[country]["items"] == n
            assert theme[country]["share"] == pytest.approx(n / totals[country])
        assert theme["gap"] == pytest.approx(theme["jp"]["share"] - theme["kr"]["share"])
    stories = story_id_by_key(items, ids)
    one_sided = {s["story_id"]: s for s in doc["one_sided_stories"]}
    assert set(one_sided) == {stories["islets"], stories["memo"], stories["launch"]}
    islets = one_sided[stories["islets"]]
    assert set(islets) == {"story_id", "side", "items_jp", "items_kr", "title", "item_ids"}
    assert (islets["side"], islets["items_jp"], islets["items_kr"]) == ("kr", 0, 4)
    assert sorted(islets["item_ids"]) == sorted(ids[it.key] for it in items if it.story == "islets")
    assert doc["grain"] == "day" and doc["gap_over_time"]
    dokdo = [e for e in doc["top_entities"] if e["entity"] == "dokdo" and e["theme"] is None]
    assert [(e["side"], e["items"], e["label"]) for e in dokdo] == [("kr", 4, "Dokdo / Takeshima")]


def test_csv_has_one_row_per_theme(seeded):
    url, items, _ = seeded
    result = invoke(url, "compare", *RANGE, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert sorted(r["theme"] for r in rows) == sorted(LABELS)
    weapons = next(r for r in rows if r["theme"] == "nk_weapons")
    rel = relevant_in(items, SINCE, UNTIL)
    assert int(weapons["jp_items"]) == sum(
        "nk_weapons" in it.themes and it.country == "jp" for it in rel
    )
    assert float(weapons["gap"]) == pytest.approx(
        float(weapons["jp_share"]) - float(weapons["kr_share"]), abs=1e-5
    )


def test_markdown_shows_tables_and_both_kinds_of_one_sided_story(seeded):
    url, _, _ = seeded
    text = invoke(url, "compare", *RANGE).output
    assert text.startswith(f"# Japan vs Korea: {SINCE} to {UNTIL}")
    assert "| Theme | Japan items |" in text
    assert (
        "## Covered in Korea, not in Japan" in text and "## Covered in Japan, not in Korea" in text
    )
    assert "Coast guard ships circle" in text and "Ballistic missile falls" in text
    assert LABELS["territorial"] in text
    assert HOSTILE_TITLE not in text and "<img" not in text and "&lt;img" in text
    assert "\\*\\*Leaked\\*\\*" in text and "\\[link\\]" in text


def test_the_default_range_is_the_last_thirty_full_days_by_the_clock(seeded, monkeypatch):
    url, _, _ = seeded
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 16, 8, 30, tzinfo=UTC))
    doc = json.loads(invoke(url, "compare", "--format", "json").output)
    assert (doc["since"], doc["until"]) == ("2026-10-17", "2026-11-15")
    assert doc["grain"] == "week"


@pytest.mark.parametrize(
    "args, message",
    [
        (("--since", "2026-11-15", "--until", "2026-11-09"), "after"),
        (("--since", "2026-13-40"), "--since"),
        (("--until", "last week"), "--until"),
        (("--format", "xlsx"), "--format"),
        (("--top", "0"), "--top"),
    ],
    ids=["reversed", "bad-date", "word-date", "format", "top"],
)
def test_bad_input_is_a_one_line_error_with_exit_code_2(seeded, args, message):
    url, _, _ = seeded
    result = invoke(url, "compare", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_a_missing_sqlite_database_is_reported_and_not_created(tmp_path: Path):
    path = tmp_path / "nowhere" / "jkwatch.db"
    result = invoke(f"sqlite:///{path}", "compare")
    assert result.exit_code == 2 and "no database" in result.output
    assert not path.exists() and not path.parent.exists()
