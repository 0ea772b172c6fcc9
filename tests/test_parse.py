"""parse_feed: feedparser on bytes and headers, errors in words, bozo feeds kept with a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from jkwatch.ingest.parse import MAX_ENTRIES, ParseError, parse_feed

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


def load(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def test_rss2_feed_metadata_and_entries_are_read() -> None:
    feed = parse_feed(load("yonhap_like.rss"), {"Content-Type": "application/rss+xml"})
    assert feed.title == "Wire Desk & Co. – National"
    assert feed.link == "https://en.wiredesk.example/national/"
    assert feed.language == "en-us"
    assert len(feed.entries) == 5
    assert feed.warning is None
    first = feed.entries[0]
    assert first.guid == "AEN20261102000351315"
    assert first.title == "N. Korea fires ballistic missile into East Sea: JCS"
    assert "<b>ballistic missile</b>" in first.summary  # HTML stays for normalisation


def test_ttl_and_syndication_period_become_the_longest_requested_interval_in_seconds() -> None:
    # <ttl>15</ttl> is 900 s; sy:updatePeriod hourly / frequency 2 is 1800 s.
    assert parse_feed(load("yonhap_like.rss")).ttl_s == 1800
    assert parse_feed(load("outlet_b.rss")).ttl_s is None


def test_atom_feed_with_declared_language_is_read() -> None:
    feed = parse_feed(load("kyodo_like_ja.atom"))
    assert feed.version == "atom10"
    assert feed.language == "ja"
    assert [e.title[:6] for e in feed.entries] == ["日韓防衛相が", "北朝鮮が弾道", "日経平均、反"]
    assert feed.entries[2].published is None and feed.entries[2].updated is not None


def test_rss1_rdf_feed_is_read_with_dublin_core_dates() -> None:
    feed = parse_feed(load("nk_rdf_ko.rdf"))
    assert feed.version == "rss10"
    assert feed.language == "ko"
    assert len(feed.entries) == 3
    assert all((entry.published or entry.updated) is not None for entry in feed.entries)


def test_euc_kr_feed_with_correct_declaration_decodes() -> None:
    feed = parse_feed(load("korean_euckr.rss"))
    assert feed.entries[0].title.startswith("韓日 정상회담")
    assert feed.warning is None


def test_shift_jis_feed_declared_as_utf8_is_repaired_and_warned_about() -> None:
    feed = parse_feed(load("japanese_sjis_wrong.rss"), {"Content-Type": "application/rss+xml"})
    assert feed.entries[0].title == "自衛隊と韓国軍が捜索救難訓練"
    assert "wrong declared encoding" in (feed.warning or "")


def test_header_charset_contradicting_the_bytes_still_decodes_the_shift_jis_feed() -> None:
    feed = parse_feed(load("japanese_sjis.rss"), {"content-type": "text/xml; charset=utf-8"})
    assert feed.entries[0].title == "自衛隊と韓国軍が捜索救難訓練"


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(ParseError, match="not a feed: got an HTML page"):
        parse_feed(load("html_page.html"), {"Content-Type": "text/html"})


def test_invalid_xml_without_entries_is_an_error_naming_the_line() -> None:
    with pytest.raises(ParseError, match=r"invalid XML: mismatched tag at line 6"):
        parse_feed(load("invalid.xml"))


def test_empty_body_is_an_error() -> None:
    with pytest.raises(ParseError, match="empty"):
        parse_feed(b"  \n")


def test_bozo_feed_that_still_has_entries_is_kept_with_its_warning() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>Tokyo &amp; Seoul talk</title><link>https://a.example/1</link></item>"
        b"<item><title>Second & broken</title><link>https://a.example/2</link></item>"
    )
    feed = parse_feed(body)
    assert len(feed.entries) >= 1
    assert feed.warning


def test_entry_count_is_capped_with_a_warning() -> None:
    items = b"".join(
        b"<item><title>t%d</title><link>https://a.example/%d</link></item>" % (i, i)
        for i in range(MAX_ENTRIES + 10)
    )
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>' + items
    body += b"</channel></rss>"
    feed = parse_feed(body)
    assert len(feed.entries) == MAX_ENTRIES
    assert f"kept the first {MAX_ENTRIES}" in (feed.warning or "")


def test_plain_text_is_not_a_feed() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(b"hello, this is not xml at all")
