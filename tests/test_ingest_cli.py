"""`jkwatch ingest` and `jkwatch export`: the command-line contract scripts rely on."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.feedserver import FeedServer, Response
from tests.processes import invoke as run

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
EXPORT_KEYS = {
    "id",
    "feed",
    "url",
    "title",
    "summary",
    "published_at",
    "language",
    "story_id",
    "relevant",
    "relevance",
    "themes",
    "corrected",
    "country",
    "entities",
    "origin",
}


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        srv.route("/wire.rss", Response(body=(FEEDS / "yonhap_like.rss").read_bytes()))
        srv.route("/herald.rss", Response(body=(FEEDS / "outlet_b.rss").read_bytes()))
        srv.route("/dead.rss", Response(404, b"gone away"))
        yield srv


def feeds_toml(tmp_path: Path, *urls: str) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(
        "".join(f'[[feeds]]\nname = "Feed {i}"\nurl = "{url}"\n\n' for i, url in enumerate(urls)),
        "utf-8",
    )
    return path


@pytest.mark.slow
def test_ingest_with_a_feeds_file_adds_and_ingests_exactly_those_feeds(
    db_url: str, tmp_path: Path, server: FeedServer
) -> None:
    path = feeds_toml(tmp_path, server.url("/wire.rss"), server.url("/dead.rss"))
    result = run(db_url, "ingest", "--feeds", str(path))
    assert result.exit_code == 0, result.output
    assert "Feed 0: 4 new" in result.stdout
    assert "HTTP 404" in result.stdout or "404" in result.stdout
    assert "2 feeds, 4 new items" in result.stdout
    assert "[2/2]" in result.stderr

    again = run(db_url, "ingest", "--feeds", str(path))
    assert again.exit_code == 0
    assert "0 new items" in again.stdout


@pytest.mark.slow
def test_ingest_without_feeds_refreshes_due_feeds_and_all_with_the_flag(
    sqlite_url: str, tmp_path: Path, server: FeedServer
) -> None:
    run(sqlite_url, "ingest", "--feeds", str(feeds_toml(tmp_path, server.url("/wire.rss"))))
    nothing_due = run(sqlite_url, "ingest", "--once")
    assert nothing_due.exit_code == 0 and "no feeds due" in nothing_due.stdout
    forced = run(sqlite_url, "ingest", "--all")
    assert forced.exit_code == 0
    assert "1 feeds, 0 new items" in forced.stdout


def test_ingest_with_a_missing_or_bad_feeds_file_exits_2(sqlite_url: str, tmp_path: Path) -> None:
    missing = run(sqlite_url, "ingest", "--feeds", str(tmp_path / "nope.toml"))
    assert missing.exit_code == 2 and "error:" in missing.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[[feeds]]\nname = 'x'\n", "utf-8")
    result = run(sqlite_url, "ingest", "--feeds", str(bad))
    assert result.exit_code == 2 and "error:" in result.stderr


def test_ingest_with_an_unusable_database_exits_2(tmp_path: Path) -> None:
    result = run("mysql://nobody@nowhere/db", "ingest", "--all")
    assert result.exit_code == 2 and "error:" in result.stderr


def test_export_jsonl_has_the_contract_keys_and_utc_times(
    db_url: str, tmp_path: Path, server: FeedServer
) -> None:
    path = feeds_toml(tmp_path, server.url("/wire.rss"), server.url("/herald.rss"))
    assert run(db_url, "ingest", "--feeds", str(path)).exit_code == 0
    result = run(db_url, "export")
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 6
    assert all(set(row) == EXPORT_KEYS for row in rows)
    missile = next(row for row in rows if row["title"].startswith("N. Korea fires"))
    assert missile["published_at"] == "2026-11-01T23:12:00Z"
    assert missile["feed"] == server.url("/wire.rss")
    assert missile["relevant"] is True and "nk_weapons" in missile["themes"]
    assert not any(row["corrected"] for row in rows)  # no analyst has labelled anything
    assert "north_korea" in missile["entities"]  # the shipped gazetteer, matched at ingest
    assert {row["origin"] for row in rows} == {"feed"}  # live feeds, no backfill or import
    copy = next(row for row in rows if row["title"].startswith("North Korea fires"))
    assert copy["story_id"] == missile["story_id"]

    relevant = run(db_url, "export", "--relevant-only").stdout.splitlines()
    assert 0 < len(relevant) < len(rows)
    themed = [
        json.loads(x) for x in run(db_url, "export", "--theme", "nk_weapons").stdout.splitlines()
    ]
    assert themed and all("nk_weapons" in row["themes"] for row in themed)
    window = run(db_url, "export", "--since", "2026-11-02", "--until", "2026-11-02").stdout
    assert {json.loads(x)["published_at"][:10] for x in window.splitlines()} == {"2026-11-02"}


def test_export_csv_is_safe_against_formula_injection(
    sqlite_url: str, tmp_path: Path, server: FeedServer
) -> None:
    hostile = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
        b'<item><title>=HYPERLINK("http://evil.example","click")</title>'
        b"<link>https://e.example/1</link><description>+1+2 @SUM(A1) -3</description>"
        b"<pubDate>Mon, 02 Nov 2026 00:00:00 GMT</pubDate></item></channel></rss>"
    )
    server.route("/hostile.rss", Response(body=hostile))
    run(sqlite_url, "ingest", "--feeds", str(feeds_toml(tmp_path, server.url("/hostile.rss"))))
    result = run(sqlite_url, "export", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert set(rows[0]) == EXPORT_KEYS
    assert rows[0]["title"].startswith("'=HYPERLINK")
    assert rows[0]["summary"].startswith("'+1+2")
    assert rows[0]["published_at"] == "2026-11-02T00:00:00Z"


def test_export_rejects_a_malformed_date_with_exit_2(sqlite_url: str) -> None:
    result = run(sqlite_url, "export", "--since", "yesterday")
    assert result.exit_code == 2 and "--since" in result.stderr
