"""Feed health: one storage read (``jkwatch.db.feed_health``) and one CLI renderer, so
``jkwatch status`` and ``jkwatch feeds list`` show the same keys, values, zone and sanitiser."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from jkwatch.cli.main import cli
from jkwatch.db import feeds as feed_store
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.feed_health import FeedHealth, feed_health
from jkwatch.model import FeedSpec
from tests.seed_dashboard import LAST_DAY, corpus, seeded_database

README = Path(__file__).resolve().parents[1] / "README.md"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(request, tmp_path_factory):
    """One seeded database per backend (three feeds, one failing); the tests only read it,
    except the one that adds its own feed to a fresh copy."""
    with seeded_database(request.param, tmp_path_factory.mktemp("health")) as url:
        yield url


def _read(url: str, **kwargs) -> list[FeedHealth]:
    engine = make_engine(url, read_only=True)
    try:
        with make_sessionmaker(engine)() as session:
            return feed_health(session, **kwargs)
    finally:
        engine.dispose()


def _cli(url: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", url, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_feed_health_reports_every_feed_with_errors_and_output(seeded):
    items = corpus()
    now = datetime.combine(LAST_DAY, time(13, 0), tzinfo=UTC)
    health = {h.name: h for h in _read(seeded, now=now)}
    assert set(health) == {"Tokyo Wire", "Asahi Test", "Seoul Daily"}
    seoul = health["Seoul Daily"]
    assert seoul.error_streak == 1 and seoul.last_error == "HTTP 503"
    assert seoul.last_result == "error"
    mine = [it for it in items if it.feed == 3]
    assert seoul.items == len(mine)
    recent = [it for it in mine if it.day > LAST_DAY - timedelta(days=30)]
    assert seoul.items_per_day == round(len(recent) / 30, 2)
    assert seoul.relevant_share == round(sum(it.relevance >= 0.5 for it in mine) / len(mine), 4)
    assert [h.id for h in _read(seeded, now=now)] == sorted(h.id for h in health.values())


def test_status_and_feeds_list_print_the_same_json(seeded):
    status = _cli(seeded, "status", "--json")
    listing = _cli(seeded, "feeds", "list", "--json")
    assert status == listing
    rows = json.loads(status)
    assert len(rows) == 3
    expected_keys = [f.name for f in fields(FeedHealth)]
    for row in rows:
        assert list(row) == expected_keys
        for key in ("last_attempt_at", "last_success_at", "next_due_at"):
            assert row[key] is None or ISO_UTC.match(row[key]), (key, row[key])
    seoul = next(row for row in rows if row["name"] == "Seoul Daily")
    assert seoul["error_streak"] == 1 and seoul["last_result"] == "error"
    stored = {h.id: h for h in _read(seeded)}[seoul["id"]]
    assert seoul["items"] == stored.items and seoul["relevant_share"] == stored.relevant_share
    assert seoul["last_attempt_at"] == stored.last_attempt_at.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_both_text_outputs_show_the_same_times_in_utc(seeded):
    status = _cli(seeded, "status")
    listing = _cli(seeded, "feeds", "list")
    assert status.startswith("times in UTC") and listing.startswith("times in UTC")
    seoul = next(h for h in _read(seeded) if h.name == "Seoul Daily")
    assert seoul.last_attempt_at is not None
    shown = seoul.last_attempt_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    assert shown in status and shown in listing
    assert "error: HTTP 503" in status and "error: HTTP 503" in listing


def test_feed_supplied_text_is_sanitised_alike_in_both_commands(sqlite_url):
    hostile = "evil\x1b[2J\u202ename\x9b31m"
    engine = make_engine(sqlite_url)
    from jkwatch.db.migrate import upgrade

    upgrade(engine)
    with make_sessionmaker(engine).begin() as session:
        feed_store.upsert_feed(session, FeedSpec(url="http://127.0.0.1:9/x", name=hostile))
    engine.dispose()
    for args in (["status"], ["feeds", "list"]):
        text = _cli(sqlite_url, *args)
        assert "\x1b" not in text and "\u202e" not in text and "\x9b" not in text
        assert "evil [2J name 31m" in text
    for args in (["status", "--json"], ["feeds", "list", "--json"]):
        raw = _cli(sqlite_url, *args)
        assert "\x1b" not in raw and "\u202e" not in raw and "\x9b" not in raw
        (row,) = json.loads(raw)
        assert row["name"] == hostile, "JSON keeps the text, escaped"


def test_a_disabled_feed_is_not_due_and_says_why(sqlite_url):
    engine = make_engine(sqlite_url)
    from jkwatch.db.migrate import upgrade

    upgrade(engine)
    with make_sessionmaker(engine).begin() as session:
        record, _ = feed_store.upsert_feed(session, FeedSpec(url="http://127.0.0.1:9/off"))
        feed_store.set_enabled(session, record.id, False, reason="gone (HTTP 410)")
    engine.dispose()
    (row,) = json.loads(_cli(sqlite_url, "status", "--json"))
    assert row["enabled"] is False and row["next_due_at"] is None
    assert row["disabled_reason"] == "gone (HTTP 410)"
    assert "disabled: gone (HTTP 410)" in _cli(sqlite_url, "status")
    assert "disabled: gone (HTTP 410)" in _cli(sqlite_url, "feeds", "list")


def test_readme_documents_every_json_key():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Feed health") :]
    section = section[: section.index("\n## ")]
    missing = [f.name for f in fields(FeedHealth) if f"`{f.name}`" not in section]
    assert missing == []


def test_an_empty_database_has_no_health_and_both_commands_say_what_to_do(engine, db_url):
    # A migrated database without feeds (a missing one is an error: test_cli_database_option).
    assert json.loads(_cli(db_url, "status", "--json")) == []
    assert json.loads(_cli(db_url, "feeds", "list", "--json")) == []
    assert _read(db_url) == []
    assert "no feeds yet" in _cli(db_url, "status")
    assert "no feeds yet" in _cli(db_url, "feeds", "list")
