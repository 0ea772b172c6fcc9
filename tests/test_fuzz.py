"""Property-based fuzzing of the pure stages: parse -> normalise -> language -> tag.

Whatever bytes or feed structure a publisher sends, ``parse_feed`` either returns a
``ParsedFeed`` or raises its documented ``ParseError`` (a recorded error, never a crash);
normalisation, language detection and tagging never raise at all. Examples are bounded and
derandomised so the run takes seconds and is the same on every machine.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jkwatch.ingest.language import entry_language
from jkwatch.ingest.normalize import FeedContext, normalize_entry
from jkwatch.ingest.parse import ParsedFeed, ParseError, RawEntry, parse_feed
from tests.factories import shared_tagger

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FETCHED = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
CONTEXT = FeedContext(link="https://fuzz.example.com/feed/", fetched_at=FETCHED)

# Text with the characters feeds get wrong: controls, NUL, CJK, markup, entities, quotes.
_ALPHABET = st.characters(
    blacklist_categories=("Cs",),  # lone surrogates cannot be encoded in any feed
)
_NASTY = st.sampled_from(
    [
        "\x00",
        "\x07",
        "\x1b[31m",
        "&amp;",
        "&lt;b&gt;",
        "&nbsp;",
        "<![CDATA[",
        "]]>",
        "<b>",
        "</item>",
        "\u200b",
        "\ufeff",
        "北朝鮮",
        "미사일",
        "'",
        '"',
        "%",
        "javascript:",
    ]
)
TEXT = st.lists(st.one_of(st.text(_ALPHABET, max_size=30), _NASTY), max_size=6).map("".join)
LINKS = st.one_of(
    st.none(),
    TEXT,
    st.sampled_from(
        [
            "https://news.example.com/a?utm_source=x#f",
            "/relative/1",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "http://[::1",
            "https://news.google.com/rss/articles/x?url=https%3A%2F%2Fa.example%2F",
            "HTTP://EXAMPLE.COM:80/",
            "//no-scheme.example/x",
            "https://a.example/" + "x" * 3000,
        ]
    ),
)
DATES = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda d: d.strftime("%a, %d %b %Y %H:%M:%S +0000")
    ),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda d: d.isoformat() + "Z"
    ),
    TEXT,
)
ENCODINGS = st.sampled_from(
    ["utf-8", "utf-16", "shift_jis", "euc-jp", "euc-kr", "cp949", "iso-8859-1"]
)


def _pipeline_stages(body: bytes, headers: dict[str, str] | None = None) -> None:
    """Run the pure stages the way the pipeline does; only ParseError may escape."""
    try:
        parsed = parse_feed(body, headers or {})
    except ParseError as exc:
        assert str(exc).strip(), "a parse error says why"
        return
    assert isinstance(parsed, ParsedFeed)
    for raw in parsed.entries:
        entry = normalize_entry(raw, CONTEXT)
        language = entry_language(parsed.language, entry.title, entry.summary)
        result = shared_tagger().tag(entry.title, entry.summary, entry.body or "", lang=language)
        assert 0.0 <= result.relevance <= 1.0
        assert "\x00" not in entry.title + entry.summary
        assert entry.title, "every entry gets a displayable title"


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_yield_a_parsed_feed_or_a_parse_error(body: bytes) -> None:
    _pipeline_stages(body)


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes_after_a_valid_feed_prefix_never_crash(tail: bytes) -> None:
    prefix = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>'
    _pipeline_stages(prefix + tail)


@st.composite
def feed_documents(draw: st.DrawFn) -> tuple[bytes, dict[str, str]]:
    """An RSS 2.0, Atom or RDF document with random fields, in a random encoding."""
    kind = draw(st.sampled_from(["rss", "atom", "rdf"]))
    encoding = draw(ENCODINGS)
    declare = draw(st.sampled_from(["prolog", "header", "none", "wrong"]))
    cdata = draw(st.booleans())
    entries = draw(
        st.lists(st.tuples(TEXT, LINKS, DATES, TEXT, st.one_of(st.none(), TEXT)), max_size=6)
    )

    def field(tag: str, value: str | None) -> str:
        if value is None:
            return ""
        inner = f"<![CDATA[{value.replace(']]>', '')}]]>" if cdata else escape(value)
        return f"<{tag}>{inner}</{tag}>"

    if kind == "atom":
        items = "".join(
            f"<entry>{field('title', t)}"
            + (f'<link href="{escape(link, {chr(34): "&quot;"})}"/>' if link else "")
            + f"{field('updated', d)}{field('summary', s)}{field('id', g)}</entry>"
            for t, link, d, s, g in entries
        )
        doc = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>f</title>{items}</feed>'
    elif kind == "rdf":
        items = "".join(
            f"<item>{field('title', t)}{field('link', link)}{field('dc:date', d)}"
            f"{field('description', s)}</item>"
            for t, link, d, s, _ in entries
        )
        doc = (
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel><title>f</title></channel>{items}</rdf:RDF>"
        )
    else:
        items = "".join(
            f"<item>{field('title', t)}{field('link', link)}{field('pubDate', d)}"
            f"{field('description', s)}{field('guid', g)}</item>"
            for t, link, d, s, g in entries
        )
        doc = f'<rss version="2.0"><channel><title>f</title>{items}</channel></rss>'
    label = {"prolog": encoding, "wrong": "utf-8" if encoding != "utf-8" else "shift_jis"}
    prolog = (
        f'<?xml version="1.0" encoding="{label[declare]}"?>'
        if declare in label
        else '<?xml version="1.0"?>'
    )
    headers = {
        "Content-Type": "application/xml" + (f"; charset={encoding}" if declare == "header" else "")
    }
    return (prolog + doc).encode(encoding, errors="replace"), headers


@pytest.mark.slow
@FUZZ
@given(feed_documents())
def test_random_feed_structures_in_random_encodings_only_ever_yield_recorded_errors(
    document: tuple[bytes, dict[str, str]],
) -> None:
    body, headers = document
    _pipeline_stages(body, headers)


_STRUCT_TIMES = st.one_of(
    st.none(),
    st.tuples(
        st.integers(-5000, 20000),
        st.integers(-3, 15),
        st.integers(-3, 40),
        st.integers(-5, 30),
        st.integers(-5, 70),
        st.integers(-5, 70),
        st.integers(0, 6),
        st.integers(1, 366),
        st.just(0),
    ).map(time.struct_time),
)


@FUZZ
@given(
    guid=st.one_of(st.none(), TEXT),
    link=LINKS,
    title=TEXT,
    summary=TEXT,
    content=TEXT,
    content_type=st.sampled_from(["text/plain", "text/html", "application/xhtml+xml", ""]),
    published=_STRUCT_TIMES,
    updated=_STRUCT_TIMES,
)
def test_normalising_any_raw_entry_never_raises_and_yields_clean_text(
    guid: str | None,
    link: str | None,
    title: str,
    summary: str,
    content: str,
    content_type: str,
    published: time.struct_time | None,
    updated: time.struct_time | None,
) -> None:
    raw = RawEntry(
        guid, link, title, content_type, summary, content_type, content, None, published, updated
    )
    entry = normalize_entry(raw, CONTEXT)
    assert entry.title
    assert entry.published_at.tzinfo is not None
    for text in (entry.title, entry.summary, entry.guid or ""):
        assert not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text), repr(text)
    if entry.canonical_url:
        assert entry.canonical_url.startswith(("http://", "https://"))


@FUZZ
@given(
    title=TEXT,
    summary=TEXT,
    lang=st.one_of(st.none(), st.sampled_from(["en", "ja", "ko", "ko-KR", "zz", ""])),
)
def test_tagging_any_text_never_raises(title: str, summary: str, lang: str | None) -> None:
    result = shared_tagger().tag(title, summary, "", lang=lang)
    assert 0.0 <= result.relevance <= 1.0
