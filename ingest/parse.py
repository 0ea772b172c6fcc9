"""Parse feed bytes with feedparser: never a URL, never any I/O.

``parse_feed(body, headers)`` returns a frozen ``ParsedFeed`` or raises ``ParseError`` whose
message is in words a user understands ("not a feed: got an HTML page", "invalid XML: ... at
line N"). A bozo feed that still yields entries is a ``ParsedFeed`` with its ``warning`` set:
publishers' feeds are often slightly broken and their items are still worth having.
The response headers go to feedparser so the declared charset is weighed against the XML
prolog and the bytes themselves.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import feedparser

MAX_ENTRIES = 5_000
"""Entries kept per feed; more is noted as a warning (a runaway feed must not swamp a run)."""

_PERIOD_S = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 7 * 86400,
    "monthly": 30 * 86400,
    "yearly": 365 * 86400,
}
_POSITION = re.compile(r"^<unknown>:\d+:\d+:\s*")
_SINGLE_BYTE = re.compile(r"^(?:iso-8859-|windows-125|cp125|latin)", re.I)
_CJK_ENCODINGS = ("utf-8", "cp932", "euc-jp", "cp949")
_XML_ENCODING = re.compile(rb"(<\?xml[^>]*?encoding\s*=\s*)([\"'])[^\"']*\2")
_ENTRY_END = re.compile(rb"</(?:[A-Za-z0-9_]+:)?(?:item|entry)\s*>", re.I)
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.I | re.S)


class ParseError(Exception):
    """The body is not a usable feed; the message says why in plain words."""


@dataclass(frozen=True)
class RawEntry:
    """One entry as feedparser saw it, reduced to the fields normalisation uses."""

    guid: str | None
    link: str | None
    title: str
    title_type: str
    summary: str
    summary_type: str
    content: str
    author: str | None
    published: time.struct_time | None
    updated: time.struct_time | None
    source_name: str | None = None
    """An RSS ``<source>`` element's text: the publisher, in aggregators such as Google News."""
    source_url: str | None = None
    """The ``url`` attribute of that ``<source>`` element (the publisher's site)."""


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed: its metadata, entries and any warning worth recording."""

    title: str | None
    link: str | None
    language: str | None
    ttl_s: int | None
    entries: tuple[RawEntry, ...]
    warning: str | None = None
    version: str = ""


def _describe_bozo(exc: BaseException | None) -> str:
    if exc is None:
        return "malformed feed"
    message = _POSITION.sub("", str(exc).strip()) or type(exc).__name__
    line = getattr(exc, "getLineNumber", None)
    if callable(line):
        try:
            return f"{message} at line {line()}"
        except Exception:  # noqa: BLE001 - expat may not know the position
            return message
    return message


def _ttl_seconds(feed: Mapping[str, Any]) -> int | None:
    """``<ttl>`` (minutes) or ``sy:updatePeriod`` / ``sy:updateFrequency`` as seconds."""
    best: int | None = None
    ttl = str(feed.get("ttl") or "").strip()
    if ttl.isdigit() and int(ttl) > 0:
        best = int(ttl) * 60
    period = str(feed.get("sy_updateperiod") or "").strip().lower()
    if period in _PERIOD_S:
        frequency = str(feed.get("sy_updatefrequency") or "1").strip()
        count = int(frequency) if frequency.isdigit() and int(frequency) > 0 else 1
        seconds = _PERIOD_S[period] // count
        best = max(best or 0, seconds)
    return best


def _has_content(entry: Mapping[str, Any]) -> bool:
    """A recovered fragment of broken XML with no title, link or text is not an entry."""
    return bool(
        _text(entry.get("title")).strip()
        or _text(entry.get("link")).strip()
        or _text(entry.get("summary")).strip()
    )


def _cjk_score(text: str) -> int:
    return sum(1 for char in text if "\u3040" <= char <= "\u30ff" or "\uac00" <= char <= "\ud7a3")


def _cut_after_max_entries(body: bytes) -> tuple[bytes, int]:
    """Cut a huge feed after its ``MAX_ENTRIES``-th entry, before feedparser sees it.

    feedparser builds every entry before we could drop any: 100,000 entries cost half a
    minute and a lot of memory. Counting closing tags is cheap (a regex scan in C); the cut
    document is closed again so the strict parser keeps going. Returns the body and the
    number of entries the feed listed when it was cut (0 when it was not).
    """
    last = None
    count = 0
    for count, match in enumerate(_ENTRY_END.finditer(body), start=1):  # noqa: B007
        if count == MAX_ENTRIES:
            last = match
    if last is None or count <= MAX_ENTRIES:
        return body, 0
    head = body[:2048]
    if b"rdf:RDF" in head or b"<RDF" in head:
        closing = b"</rdf:RDF>" if b"rdf:RDF" in head else b"</RDF>"
    elif re.search(rb"<(?:[A-Za-z0-9_]+:)?feed[\s>]", head):
        closing = b"</feed>"
    else:
        closing = b"</channel></rss>"
    return body[: last.end()] + closing, count


def _repair_encoding(body: bytes, parsed: Any) -> tuple[Any, str] | None:
    """Re-parse a feed whose wrong declared encoding made feedparser fall back to Latin.

    Japanese and Korean publishers sometimes serve Shift_JIS or EUC-KR bytes declared as
    UTF-8. feedparser then decodes them as a single-byte charset, which never fails and gives
    mojibake. Decoding strictly with each CJK encoding and keeping the one that yields kana or
    Hangul recovers the text; the fixed document is re-parsed as UTF-8.
    """
    used = str(parsed.get("encoding") or "")
    if not parsed.get("bozo") or not _SINGLE_BYTE.match(used):
        return None
    best, best_score, chosen = None, 0, ""
    for encoding in _CJK_ENCODINGS:
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _cjk_score(text)
        if score > best_score:
            best, best_score, chosen = text, score, encoding
    if best is None:
        # Mostly UTF-8 with a few foreign bytes (one item pasted in another encoding): keep
        # the good text and mark the bad bytes rather than garble every item.
        text = body.decode("utf-8", errors="replace")
        if text.count("\ufffd") > max(8, len(text) // 20) or not _cjk_score(text):
            return None
        best, chosen = text, "utf-8 with invalid bytes replaced"
    fixed = _XML_ENCODING.sub(rb"\1\2utf-8\2", best.encode("utf-8"), count=1)
    reparsed = feedparser.parse(
        fixed,
        response_headers={"content-type": "application/xml; charset=utf-8"},
        sanitize_html=False,
    )
    return reparsed, chosen


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _raw_entry(entry: Mapping[str, Any]) -> RawEntry:
    title_detail = entry.get("title_detail") or {}
    summary_detail = entry.get("summary_detail") or {}
    content = ""
    content_list = entry.get("content") or []
    if content_list:
        content = "\n".join(_text(part.get("value")) for part in content_list)
    link = entry.get("link")
    source = entry.get("source") or {}
    return RawEntry(
        guid=_text(entry.get("id")).strip() or None,
        link=_text(link).strip() or None,
        title=_text(entry.get("title")),
        title_type=_text(title_detail.get("type")) or "text/plain",
        summary=_text(entry.get("summary")),
        summary_type=_text(summary_detail.get("type")) or "text/html",
        content=content,
        author=_text(entry.get("author")).strip() or None,
        published=entry.get("published_parsed"),
        updated=entry.get("updated_parsed"),
        source_name=_text(source.get("title")).strip() or None,
        source_url=_text(source.get("href")).strip() or None,
    )


def parse_feed(body: bytes, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse ``body`` (the raw response bytes) with the response ``headers``."""
    if not body or not body.strip():
        raise ParseError("not a feed: the response was empty")
    response_headers = {key.lower(): value for key, value in (headers or {}).items()}
    # feedparser would resolve relative links against this; the pipeline does that itself.
    response_headers.pop("content-location", None)
    notes: list[str] = []
    body, cut = _cut_after_max_entries(body)
    if cut:
        notes.append(f"feed lists {cut} entries; kept the first {MAX_ENTRIES}")
    parsed = feedparser.parse(body, response_headers=response_headers, sanitize_html=False)
    repaired = _repair_encoding(body, parsed)
    if repaired is not None:
        parsed, encoding = repaired
        notes.append(f"wrong declared encoding: decoded as {encoding}")
    entries = [entry for entry in parsed.get("entries") or [] if _has_content(entry)]
    feed = parsed.get("feed") or {}
    warning = _describe_bozo(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    if not entries:
        if not body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            raise ParseError("not a feed: the response is not XML")
        if _HTML_START.match(body[:2048]) or (
            not parsed.get("version") and b"<html" in body[:4096].lower()
        ):
            raise ParseError("not a feed: got an HTML page")
        if parsed.get("bozo"):
            raise ParseError(f"invalid XML: {warning}")
        if not parsed.get("version"):
            raise ParseError("not a feed: no RSS, Atom or RDF document found")
    if warning:
        notes.append(warning)
    if len(entries) > MAX_ENTRIES:
        notes.append(f"feed lists {len(entries)} entries; kept the first {MAX_ENTRIES}")
        entries = entries[:MAX_ENTRIES]
    return ParsedFeed(
        title=_text(feed.get("title")).strip() or None,
        link=_text(feed.get("link")).strip() or None,
        language=_text(feed.get("language")).strip() or None,
        ttl_s=_ttl_seconds(feed),
        entries=tuple(_raw_entry(entry) for entry in entries),
        warning="; ".join(notes) or None,
        version=_text(parsed.get("version")),
    )
