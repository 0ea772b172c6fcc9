"""Each feed's country of publication: the feeds file, `feeds add --country`, `feeds seed`,
`feeds set-country`, `feeds list`, and the one host rule shared with migration 0009."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from jkwatch.config import shipped
from jkwatch.countries import guess_country
from jkwatch.db import feeds as feed_store
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.ingest.feedlist import FeedListError, load_feed_list, parse_feed_list
from tests.processes import invoke

MIGRATION = Path(__file__).resolve().parents[1] / "db" / "migrations" / "versions" / "0009_lens.py"


def _stored(url: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return {f.url: f.country for f in feed_store.list_feeds(session, include_imports=True)}
    finally:
        engine.dispose()


def test_every_shipped_feed_states_its_country_and_the_english_press_of_each_side_counts_for_it():
    specs = {spec.name: spec.country for spec in load_feed_list(shipped("feeds.toml"))}
    assert all(country in ("jp", "kr", "other") for country in specs.values()), specs
    assert specs["Yonhap (English): all news"] == "kr"
    assert specs["The Korea Herald"] == specs["Korea JoongAng Daily"] == "kr"
    assert specs["Kyodo News"] == specs["The Japan Times"] == "jp"
    assert specs["NHK World-Japan: backstories"] == "jp"
    assert specs["38 North"] == specs["The Diplomat"] == "other"


def test_a_bad_country_in_the_feeds_file_names_the_entry_the_feed_and_the_field():
    text = b'[[feeds]]\nurl = "https://a.example/rss"\n\n[[feeds]]\nurl = "https://b.example/rss"\ncountry = "japan"\n'
    with pytest.raises(FeedListError) as err:
        parse_feed_list(text, source="mine.toml")
    message = str(err.value)
    assert "mine.toml: entry 2" in message and "https://b.example/rss" in message
    assert "country" in message and "'japan'" in message and "'jp'" in message
    with pytest.raises(FeedListError, match="entry 1 .* country: 3"):
        parse_feed_list(b'[[feeds]]\nurl = "https://a.example/rss"\ncountry = 3\n')


def test_a_country_in_capitals_is_accepted_and_a_missing_one_stays_unstated():
    specs = parse_feed_list(
        b'[[feeds]]\nurl = "https://a.example/rss"\ncountry = "KR"\n\n'
        b'[[feeds]]\nurl = "https://b.example/rss"\n'
    )
    assert [spec.country for spec in specs] == ["kr", None]


@pytest.mark.parametrize(
    "url",
    [
        "https://www3.nhk.or.jp/rss/news/cat4.xml",
        "https://en.yna.co.kr/RSS/nk.xml",
        "https://EXAMPLE.KR/feed",
        "https://www.38north.org/feed/",
        "https://jp.example.com/feed",
        "import:documents",
        "not a url",
    ],
)
def test_the_migration_guesses_a_country_by_the_same_rule_as_the_app(url: str) -> None:
    spec = importlib.util.spec_from_file_location("lens_migration", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module._country_of(url) == guess_country(url)


def test_feeds_add_takes_the_country_given_else_guesses_it_from_the_host(db_url: str) -> None:
    herald = "https://www.koreaherald.com/rss/newsAll"
    result = invoke(db_url, "feeds", "add", herald, "--no-discover", "--country", "kr")
    assert result.exit_code == 0, result.output
    assert "(country: kr)" in result.output
    invoke(db_url, "feeds", "add", "https://www3.nhk.or.jp/rss/news/cat6.xml", "--no-discover")
    invoke(db_url, "feeds", "add", "https://thediplomat.com/feed/", "--no-discover")
    assert _stored(db_url) == {
        herald: "kr",
        "https://www3.nhk.or.jp/rss/news/cat6.xml": "jp",
        "https://thediplomat.com/feed/": "other",
    }
    bad = invoke(db_url, "feeds", "add", herald, "--no-discover", "--country", "cn")
    assert bad.exit_code == 2 and "--country" in bad.output


def test_set_country_changes_a_stored_feed_and_feeds_list_shows_it(db_url: str) -> None:
    invoke(db_url, "feeds", "add", "https://english.kyodonews.net/rss/news.xml", "--no-discover")
    assert _stored(db_url)["https://english.kyodonews.net/rss/news.xml"] == "other"
    result = invoke(db_url, "feeds", "set-country", "1", "jp")
    assert result.exit_code == 0, result.output
    listed = json.loads(invoke(db_url, "feeds", "list", "--json").output)
    assert [(f["url"], f["country"]) for f in listed] == [
        ("https://english.kyodonews.net/rss/news.xml", "jp")
    ]
    table = invoke(db_url, "feeds", "list").output
    header = next(line for line in table.splitlines() if line.startswith("ID"))
    assert "COUNTRY" in header and " jp " in table
    missing = invoke(db_url, "feeds", "set-country", "99", "kr")
    assert missing.exit_code == 2 and "no feed '99'" in missing.output


def test_seed_adds_the_countries_and_updates_the_country_of_stored_feeds(
    db_url: str, tmp_path: Path
) -> None:
    first = tmp_path / "feeds.toml"
    first.write_text(
        '[[feeds]]\nurl = "https://a.example/rss"\nname = "A"\ncountry = "jp"\n\n'
        '[[feeds]]\nurl = "https://b.example/rss"\nname = "B"\n',
        encoding="utf-8",
    )
    assert invoke(db_url, "feeds", "seed", "--file", str(first)).exit_code == 0
    assert _stored(db_url) == {"https://a.example/rss": "jp", "https://b.example/rss": "other"}
    invoke(db_url, "feeds", "set-country", "https://b.example/rss", "kr")
    second = tmp_path / "feeds2.toml"
    second.write_text(
        '[[feeds]]\nurl = "https://a.example/rss"\nname = "Renamed"\ncountry = "kr"\n\n'
        '[[feeds]]\nurl = "https://b.example/rss"\n',
        encoding="utf-8",
    )
    result = invoke(db_url, "feeds", "seed", "--file", str(second))
    assert result.exit_code == 0, result.output
    assert "added 0 of 2" in result.output and "country updated for 1" in result.output
    # The file's country wins; a feed the file says nothing about keeps the user's choice.
    assert _stored(db_url) == {"https://a.example/rss": "kr", "https://b.example/rss": "kr"}
    names = {
        f["url"]: f["name"] for f in json.loads(invoke(db_url, "feeds", "list", "--json").output)
    }
    assert names["https://a.example/rss"] == "A"


def test_the_imported_documents_pseudo_feed_is_other_and_keeps_a_country_set_on_it(sessions):
    with sessions.begin() as session:
        feed = feed_store.ensure_import_feed(session, "archive")
        assert feed.country == "other"
        feed_store.set_country(session, feed.id, "kr")
    with sessions.begin() as session:
        assert feed_store.ensure_import_feed(session, "archive").country == "kr"


def test_an_import_can_state_its_sources_country(db_url: str, tmp_path: Path) -> None:
    document = tmp_path / "essay.md"
    document.write_text(
        "# Why the islets matter to both capitals\n\nAn essay on fisheries and patrols.\n",
        encoding="utf-8",
    )
    result = invoke(db_url, "import", str(document), "--source", "Seoul Review", "--country", "kr")
    assert result.exit_code == 0, result.output
    assert _stored(db_url)["import:Seoul Review"] == "kr"
