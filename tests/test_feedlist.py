"""Feeds files: TOML and OPML load into FeedSpec values; mistakes name the file, entry and key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db import feeds as feed_store
from jkwatch.ingest.feedlist import (
    DEFAULT_FEEDS_PATH,
    FeedListError,
    default_feeds_path,
    load_feed_list,
    parse_feed_list,
    seed_default_feeds,
)
from jkwatch.model import FeedSpec

TOML = """
[[feeds]]
name = "Yonhap North Korea"
url = "https://en.yna.co.kr/RSS/nk.xml"
language = "EN"
kind = "topic"
min_interval = 45

[[feeds]]
url = "  https://www.japantimes.co.jp/feed/  "
enabled = false
"""


def write(tmp_path: Path, text: str, name: str = "feeds.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_toml_feeds_file_loads_with_defaults_and_minutes_in_seconds(tmp_path: Path) -> None:
    specs = load_feed_list(write(tmp_path, TOML))
    assert specs == [
        FeedSpec(
            url="https://en.yna.co.kr/RSS/nk.xml",
            name="Yonhap North Korea",
            language="en",
            kind="topic",
            min_interval_s=45 * 60,
        ),
        FeedSpec(url="https://www.japantimes.co.jp/feed/", enabled=False),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[feeds]]\nurl = "https://a.example/rss"\n[[feeds]]\nurl = "https://b.example/rss"\nmin_intreval = 5\n',
            "entry 2: unknown key 'min_intreval'",
        ),
        ('[[feeds]]\nname = "no url"\n', "entry 1: 'url' is required"),
        ('[[feeds]]\nurl = "file:///etc/passwd"\n', "entry 1 url: only http and https"),
        ('[[feeds]]\nurl = "https://a.example/rss"\nkind = "news"\n', "entry 1 kind: 'news'"),
        ('[[feeds]]\nurl = "https://a.example/rss"\nmin_interval = -5\n', "entry 1 min_interval"),
        ('[[feeds]]\nurl = "https://a.example/rss"\nenabled = "yes"\n', "entry 1 enabled"),
        (
            '[[feeds]]\nurl = "https://a.example/rss"\nlanguage = 7\n',
            "entry 1 language: expected a string",
        ),
        (
            '[[feeds]]\nurl = "https://a.example/rss"\n[[feeds]]\nurl = "https://a.example/rss"\n',
            "entry 2 url: https://a.example/rss is already listed in entry 1",
        ),
        ('[[feed]]\nurl = "https://a.example/rss"\n', "unknown top-level key 'feed'"),
        ("", "no [[feeds]] entries"),
        ("[[feeds]\n", "not valid TOML or OPML"),
    ],
)
def test_mistakes_name_the_file_the_entry_and_the_field(
    tmp_path: Path, body: str, message: str
) -> None:
    path = write(tmp_path, body)
    with pytest.raises(FeedListError) as caught:
        load_feed_list(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_a_missing_file_is_a_feed_list_error(tmp_path: Path) -> None:
    with pytest.raises(FeedListError, match="no such feeds file"):
        load_feed_list(tmp_path / "nope.toml")


def test_an_opml_file_is_recognised_by_content_whatever_its_name(tmp_path: Path) -> None:
    opml = """<?xml version="1.0"?>
    <!-- exported -->
    <opml version="1.0"><body>
      <outline text="Korea"><outline text="Yonhap" xmlUrl="https://en.yna.co.kr/RSS/nk.xml"/></outline>
    </body></opml>"""
    specs = load_feed_list(write(tmp_path, opml, "feeds.toml"))
    assert specs == [FeedSpec(url="https://en.yna.co.kr/RSS/nk.xml", name="Yonhap")]


def test_an_opml_outline_with_a_non_http_url_is_named(tmp_path: Path) -> None:
    opml = (
        '<opml version="2.0"><body><outline xmlUrl="https://a.example/rss"/>'
        '<outline xmlUrl="ftp://b.example/rss"/></body></opml>'
    )
    with pytest.raises(FeedListError, match="outline 2 xmlUrl: only http and https"):
        parse_feed_list(opml.encode(), source="list.opml")


def test_the_shipped_feed_list_loads_covers_three_languages_and_uses_https() -> None:
    specs = load_feed_list(DEFAULT_FEEDS_PATH)
    assert len(specs) >= 15
    assert {"en", "ja", "ko"} <= {spec.language for spec in specs}
    assert all(urlsplit(spec.url).scheme == "https" for spec in specs)
    assert {"topic", "general"} == {spec.kind for spec in specs}
    assert all(spec.name for spec in specs)
    raw = tomllib.loads(DEFAULT_FEEDS_PATH.read_text(encoding="utf-8"))
    assert len(raw["feeds"]) == len(specs)


def test_the_feeds_path_can_be_overridden_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JKWATCH_FEEDS", raising=False)
    assert default_feeds_path() == DEFAULT_FEEDS_PATH
    monkeypatch.setenv("JKWATCH_FEEDS", str(tmp_path / "mine.toml"))
    assert default_feeds_path() == tmp_path / "mine.toml"


def test_seeding_fills_an_empty_database_once(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JKWATCH_FEEDS", str(write(tmp_path, TOML)))
    with sessions.begin() as session:
        assert seed_default_feeds(session) == 2
    with sessions.begin() as session:
        feed_store.remove_feed(session, "https://www.japantimes.co.jp/feed/")
        assert seed_default_feeds(session) == 0  # a removed default does not come back
        feeds = feed_store.list_feeds(session)
    assert [f.url for f in feeds] == ["https://en.yna.co.kr/RSS/nk.xml"]
    assert feeds[0].min_interval_s == 2700 and feeds[0].kind == "topic"
