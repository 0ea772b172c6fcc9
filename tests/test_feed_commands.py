"""`jkwatch feeds ...` end to end: real CLI, real SQLite database, real local HTTP server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from jkwatch.cli.main import cli
from jkwatch.db import feeds as feed_store
from jkwatch.db import items as item_store
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.model import FeedUpdate, FetchOutcome
from tests.factories import entry
from tests.feedserver import FeedServer, Response

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>NK Watch \x1b[31mred</title><language>en</language>
<item><title>Missile launch</title><guid>1</guid></item></channel></rss>"""
HTML = b"""<html><head><title>NK Watch</title>
<link rel="alternate" type="application/rss+xml" title="NK Watch RSS" href="feeds/nk.xml">
</head><body>news</body></html>"""


def run(db: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", db, "feeds", *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def server():
    with FeedServer() as srv:
        srv.route(
            "/site/feeds/nk.xml",
            Response(body=RSS, headers={"Content-Type": "application/rss+xml"}),
        )
        srv.route("/site/index.html", Response(body=HTML, headers={"Content-Type": "text/html"}))
        srv.route(
            "/plain",
            Response(body=b"<html><head></head></html>", headers={"Content-Type": "text/html"}),
        )
        yield srv


def test_adding_a_web_page_discovers_its_feed_and_lists_it(
    sqlite_url: str, server: FeedServer
) -> None:
    result = run(sqlite_url, "add", server.url("/site/index.html"), "--kind", "topic")
    assert result.exit_code == 0, result.output
    feed_url = server.url("/site/feeds/nk.xml")
    assert f"added feed 1: NK Watch  [31mred <{feed_url}>" in result.output
    assert "found through the page" in result.output
    listing = run(sqlite_url, "list", "--json")
    (feed,) = json.loads(listing.output)
    assert feed["url"] == feed_url and feed["kind"] == "topic" and feed["language"] == "en"
    assert feed["enabled"] is True and feed["items"] == 0 and feed["last_result"] is None


def test_adding_a_feed_url_takes_its_title_without_terminal_escapes(
    sqlite_url: str, server: FeedServer
) -> None:
    result = run(sqlite_url, "add", server.url("/site/feeds/nk.xml"), "--min-interval", "90")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "NK Watch" in result.output
    (feed,) = json.loads(run(sqlite_url, "list", "--json").output)
    assert feed["min_interval_s"] == 5400


def test_a_non_http_url_is_refused_with_exit_2(sqlite_url: str) -> None:
    result = run(sqlite_url, "add", "file:///etc/passwd")
    assert result.exit_code == 2
    assert "error: only http and https feed URLs are supported, not 'file:'" in result.output


def test_a_page_without_a_feed_is_refused_with_a_hint(sqlite_url: str, server: FeedServer) -> None:
    result = run(sqlite_url, "add", server.url("/plain"))
    assert result.exit_code == 2
    assert 'the page has no <link rel="alternate"> feed links' in result.output
    assert "--no-discover" in result.output
    added = run(sqlite_url, "add", server.url("/plain"), "--no-discover", "--name", "Later")
    assert added.exit_code == 0 and "added feed 1: Later" in added.output


def test_list_shows_each_feeds_health(sqlite_url: str) -> None:
    for n in (1, 2):
        run(
            sqlite_url,
            "add",
            f"https://news{n}.example/rss",
            "--no-discover",
            "--name",
            f"Feed {n}",
        )
    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    # A whole second: the attempt is stored as its start plus its duration (120 ms), which must
    # not cross into the next second of the expected string.
    now = datetime.now(UTC).replace(microsecond=0)
    with sessions.begin() as s:
        feed = feed_store.get_feed(s, 1)
        item_store.store_entries(s, feed, [entry("a", themes=()), entry("b", themes=())])
        feed_store.record_attempt(
            s,
            2,
            FetchOutcome(
                started_at=now,
                duration_ms=120,
                outcome="error",
                http_status=404,
                error="HTTP 404 Not Found",
            ),
            FeedUpdate(next_fetch_at=now + timedelta(hours=1), keep_validators=True),
        )
    engine.dispose()
    result = run(sqlite_url, "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "times in UTC"
    assert lines[1].split() == [
        "ID",
        "NAME",
        "LANG",
        "COUNTRY",
        "KIND",
        "ON",
        "LAST",
        "ATTEMPT",
        "LAST",
        "RESULT",
        "ERRORS",
        "NEXT",
        "DUE",
        "ITEMS",
    ]
    first = next(line for line in lines if line.startswith("1 "))
    second = next(line for line in lines if line.startswith("2 "))
    assert "never fetched" in first and first.split()[-2:] == ["now", "2"]
    assert "error: HTTP 404 Not Found" in second and "never" not in second
    assert "2 feeds, 1 failing, 0 disabled" in result.output
    data = {f["id"]: f for f in json.loads(run(sqlite_url, "list", "--json").output)}
    assert data[1]["items"] == 2
    assert data[2]["error_streak"] == 1 and data[2]["last_http_status"] == 404
    assert data[2]["last_attempt_at"] == now.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert now.strftime("%Y-%m-%d %H:%M") in second, "the table shows UTC too"


def test_disable_enable_and_remove_by_id_or_url(sqlite_url: str) -> None:
    run(sqlite_url, "add", "https://a.example/rss", "--no-discover")
    run(sqlite_url, "add", "https://b.example/rss", "--no-discover")
    assert run(sqlite_url, "disable", "1").exit_code == 0
    (first, _) = json.loads(run(sqlite_url, "list", "--json").output)
    assert first["enabled"] is False and first["disabled_reason"] == "disabled by the user"
    assert run(sqlite_url, "enable", "https://a.example/rss").exit_code == 0
    removed = run(sqlite_url, "remove", "https://b.example/rss")
    assert removed.exit_code == 0 and "removed feed 2" in removed.output
    assert [f["id"] for f in json.loads(run(sqlite_url, "list", "--json").output)] == [1]
    missing = run(sqlite_url, "remove", "42")
    assert missing.exit_code == 2 and "no feed '42'" in missing.output


def test_opml_export_then_import_into_another_database_round_trips(
    sqlite_url: str, tmp_path: Path
) -> None:
    run(
        sqlite_url,
        "add",
        "https://a.example/rss?x=1&y=2",
        "--no-discover",
        "--name",
        "A & B",
        "--language",
        "ja",
    )
    run(sqlite_url, "add", "https://b.example/rss", "--no-discover", "--name", "연합뉴스")
    stdout = run(sqlite_url, "export-opml")
    assert stdout.exit_code == 0 and stdout.output.startswith("<?xml")
    path = tmp_path / "out.opml"
    assert run(sqlite_url, "export-opml", "-o", str(path)).exit_code == 0
    other = f"sqlite:///{tmp_path / 'other.db'}"
    imported = run(other, "import-opml", str(path))
    assert imported.exit_code == 0 and "imported 2 feeds" in imported.output
    feeds = json.loads(run(other, "list", "--json").output)
    assert [(f["url"], f["name"], f["language"]) for f in feeds] == [
        ("https://a.example/rss?x=1&y=2", "A & B", "ja"),
        ("https://b.example/rss", "연합뉴스", None),
    ]
    again = run(other, "import-opml", str(path))
    assert "0 new, 2 updated" in again.output


def test_importing_opml_skips_non_http_outlines_and_refuses_bad_files(
    sqlite_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "in.opml"
    path.write_text(
        '<opml version="2.0"><body><outline xmlUrl="https://a.example/rss"/>'
        '<outline xmlUrl="file:///etc/passwd"/></body></opml>'
    )
    result = CliRunner().invoke(cli, ["--db", sqlite_url, "feeds", "import-opml", str(path)])
    assert result.exit_code == 0 and "1 new, 0 updated, 1 skipped" in result.output
    assert "outline 2 skipped" in result.output
    path.write_text("<rss/>")
    bad = run(sqlite_url, "import-opml", str(path))
    assert bad.exit_code == 2 and "not OPML" in bad.output


def test_seeding_adds_the_shipped_defaults_once(sqlite_url: str) -> None:
    first = run(sqlite_url, "seed")
    assert first.exit_code == 0 and first.output.startswith("added ")
    count = len(json.loads(run(sqlite_url, "list", "--json").output))
    assert count >= 15
    assert run(sqlite_url, "seed").output.startswith(f"added 0 of {count}")


def test_a_bad_feeds_file_names_the_entry_and_key_and_exits_2(
    sqlite_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(
        '[[feeds]]\nurl = "https://a.example/rss"\n\n[[feeds]]\nurl = "https://b.example/rss"\nlang = "ja"\n'
    )
    result = run(sqlite_url, "seed", "--file", str(path))
    assert result.exit_code == 2
    assert f"error: {path}: entry 2: unknown key 'lang'" in result.output
