"""OPML import/export: nested folders, attribute variants, safe parsing and a faithful round trip."""

from __future__ import annotations

import pytest

from jkwatch.ingest.opml import (
    OPMLError,
    OPMLFeed,
    looks_like_opml,
    parse_opml,
    read_outlines,
    to_opml,
)
from jkwatch.model import FeedSpec

NESTED = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="Korea" title="Korea">
      <outline type="rss" text="Yonhap NK" title="Yonhap: North Korea"
               xmlUrl="https://en.yna.co.kr/RSS/nk.xml" htmlUrl="https://en.yna.co.kr/nk/index"
               language="en"/>
      <outline text="Deeper">
        <outline type="rss" text="연합뉴스 북한" xmlURL="https://www.yna.co.kr/rss/northkorea.xml"/>
      </outline>
    </outline>
    <outline type="rss" text="NHK 国際" xmlUrl="https://www3.nhk.or.jp/rss/news/cat6.xml"/>
    <outline type="rss" text="duplicate" xmlUrl="https://en.yna.co.kr/RSS/nk.xml"/>
    <outline text="a folder with no feeds"/>
  </body>
</opml>"""


def test_nested_outlines_are_flattened_in_document_order() -> None:
    assert parse_opml(NESTED) == [
        FeedSpec(url="https://en.yna.co.kr/RSS/nk.xml", name="Yonhap: North Korea", language="en"),
        FeedSpec(url="https://www.yna.co.kr/rss/northkorea.xml", name="연합뉴스 북한"),
        FeedSpec(url="https://www3.nhk.or.jp/rss/news/cat6.xml", name="NHK 国際"),
    ]


def test_outlines_keep_the_site_address() -> None:
    first = read_outlines(NESTED.encode())[0]
    assert first.site_url == "https://en.yna.co.kr/nk/index"


def test_opml_1_0_with_only_text_attributes_is_read() -> None:
    doc = '<opml version="1.0"><head/><body><outline text="38 North" xmlUrl="https://www.38north.org/feed/"/></body></opml>'
    assert parse_opml(doc) == [FeedSpec(url="https://www.38north.org/feed/", name="38 North")]


def test_a_billion_laughs_document_is_refused_without_expanding() -> None:
    bomb = """<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY a "aaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<opml version="2.0"><body><outline text="&c;" xmlUrl="https://a.example/rss"/></body></opml>"""
    with pytest.raises(OPMLError, match="DOCTYPE"):
        parse_opml(bomb)


def test_an_external_entity_is_refused() -> None:
    xxe = """<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&x;" xmlUrl="https://a.example/rss"/></body></opml>"""
    with pytest.raises(OPMLError):
        parse_opml(xxe)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("<rss version='2.0'><channel/></rss>", "root element is <rss>"),
        ("<opml version='2.0'><head/></opml>", "no <body>"),
        ("<opml><body><outline></body></opml>", "not well-formed"),
        ("", "not well-formed"),
    ],
)
def test_documents_that_are_not_opml_are_refused_with_the_reason(doc: str, message: str) -> None:
    with pytest.raises(OPMLError, match=message):
        parse_opml(doc)


def test_export_then_import_gives_back_the_same_feeds_with_awkward_characters() -> None:
    feeds = [
        OPMLFeed(
            url="https://news.google.com/rss/search?q=Japan+Korea&hl=en-US&gl=US&ceid=US:en",
            title='Google News: "Japan & Korea" <security>',
            site_url="https://news.google.com/",
            language="en",
        ),
        OPMLFeed(
            url="https://www.yna.co.kr/rss/northkorea.xml", title="연합뉴스: 북한", language="ko"
        ),
        OPMLFeed(url="https://www3.nhk.or.jp/rss/news/cat6.xml", title=None),
    ]
    document = to_opml(feeds, title="jkwatch & friends")
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    back = read_outlines(document.encode("utf-8"))
    assert [f.url for f in back] == [f.url for f in feeds]
    assert back[0].title == 'Google News: "Japan & Korea" <security>'
    assert back[0].site_url == "https://news.google.com/" and back[0].language == "en"
    assert back[1].title == "연합뉴스: 북한"
    assert back[2].title == feeds[2].url  # a feed without a name is listed by its address


def test_opml_is_sniffed_by_content() -> None:
    assert looks_like_opml(b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- hi --><opml version="2.0">')
    assert looks_like_opml(b"  <OPML>")
    assert not looks_like_opml(b'[[feeds]]\nurl = "https://a.example/rss"\n')
    assert not looks_like_opml(b'<?xml version="1.0"?><rss version="2.0"/>')
