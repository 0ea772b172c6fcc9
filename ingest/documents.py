"""Standalone documents (articles, essays) as items: read, extract main text, normalise.

``jkwatch import`` stores a document in the pseudo-feed of its source so it is tagged, counted
and searchable like any news item. Plain text, Markdown and HTML are accepted; HTML main text
comes from trafilatura (boilerplate, navigation and comments dropped). URLs go through the
same fetcher as feeds (http/https only, size and time limits). A document's identity is its
canonical URL or its absolute file path, so importing it again updates the stored item.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jkwatch.ingest.fetch import FetchSettings, InvalidURL, check_url, fetch_one
from jkwatch.ingest.fetch_api import FetchRequest
from jkwatch.ingest.language import entry_language
from jkwatch.ingest.normalize import (
    BODY_MAX,
    TITLE_MAX,
    canonical_url,
    clean_text,
    content_hash,
    html_to_text,
)
from jkwatch.model import UNKNOWN_LANGUAGE, EntryIn

SUMMARY_CHARS = 1_200
_OTHER_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(?!\\)")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_HTML_SNIFF = re.compile(r"^\s*(?:<!doctype\s+html|<html|<head|<body|<article|<p[\s>])", re.I)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(^|\s)[*_`~]+|[*_`~]+(?=\s|$|[.,;:!?])")
_MD_PREFIX = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)")


class DocumentError(Exception):
    """The document cannot be read or has no text; the message says why."""


@dataclass(frozen=True)
class Document:
    """A document's text as extracted, with what it told us about itself."""

    ref: str
    """Canonical URL or absolute path: the document's identity."""
    url: str | None
    title: str
    text: str
    published: datetime | None = None
    language: str | None = None


def read_document(path_or_url: str, settings: FetchSettings = FetchSettings()) -> Document:
    """Read a file or fetch a URL and extract its title and main text."""
    if _URL.match(path_or_url):
        return _fetch_document(path_or_url, settings)
    path = Path(path_or_url).expanduser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if _OTHER_SCHEME.match(path_or_url):
            raise DocumentError(
                f"only http and https URLs (or local files) can be imported, not {path_or_url!r}"
            ) from None
        raise DocumentError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise DocumentError(f"{path} is a directory, not a document") from None
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror or exc}") from None
    text = _decode(data, None)
    suffix = path.suffix.lower()
    kind = (
        "html"
        if suffix in (".html", ".htm", ".xhtml") or _HTML_SNIFF.match(text[:500])
        else "markdown"
        if suffix in (".md", ".markdown")
        else "text"
    )
    return _extract(text, kind, ref=str(path.resolve()), url=None)


def _fetch_document(url: str, settings: FetchSettings) -> Document:
    try:
        url = check_url(url)
    except InvalidURL as exc:
        raise DocumentError(str(exc)) from None
    result = fetch_one(FetchRequest(feed_id=0, url=url), settings)
    if result.kind != "ok" or result.body is None:
        raise DocumentError(f"could not fetch {url}: {result.error or result.kind}")
    content_type = {k.lower(): v for k, v in result.headers.items()}.get("content-type", "")
    charset = _CHARSET.search(content_type)
    text = _decode(result.body, charset.group(1) if charset else None)
    kind = "html" if "html" in content_type or _HTML_SNIFF.match(text[:500]) else "text"
    if "markdown" in content_type:
        kind = "markdown"
    final = result.final_url or url
    return _extract(text, kind, ref=canonical_url(final) or final, url=final)


def _decode(data: bytes, charset: str | None) -> str:
    for encoding in (charset, "utf-8-sig"):
        if not encoding:
            continue
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", errors="replace")


def _extract(text: str, kind: str, ref: str, url: str | None) -> Document:
    if kind == "html":
        return _extract_html(text, ref, url)
    lines = [line.rstrip() for line in text.splitlines()]
    if kind == "markdown":
        lines = [
            _MD_MARKS.sub(r"\1", _MD_LINK.sub(r"\1", _MD_PREFIX.sub("", line))) for line in lines
        ]
    paragraphs = _paragraphs(lines)
    if not paragraphs:
        raise DocumentError(f"{ref} has no text")
    title = paragraphs[0] if len(paragraphs[0]) <= 200 else ""
    body = paragraphs[1:] if title and len(paragraphs) > 1 else paragraphs
    return Document(ref=ref, url=url, title=title, text="\n\n".join(body))


def _paragraphs(lines: list[str]) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(clean_text(" ".join(current)))
            current = []
    return [p for p in paragraphs if p]


def _extract_html(html: str, ref: str, url: str | None) -> Document:
    import trafilatura

    main = trafilatura.extract(html, url=url, include_comments=False, include_tables=False)
    metadata = trafilatura.extract_metadata(html, default_url=url)
    text = main or html_to_text(html)
    if not text.strip():
        raise DocumentError(f"{ref} has no readable text")
    paragraphs = _paragraphs(text.splitlines())
    title = clean_text(getattr(metadata, "title", None) or "") if metadata else ""
    published = _parse_date(getattr(metadata, "date", None) if metadata else None)
    language = getattr(metadata, "language", None) if metadata else None
    return Document(
        ref=ref,
        url=url,
        title=title,
        text="\n\n".join(paragraphs),
        published=published,
        language=language,
    )


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)


def _first_sentence(text: str, limit: int = 150) -> str:
    """A title for a document that has none: its first sentence, cut at a word if long."""
    match = re.match(r"\s*(.+?[.!?。！？])(?:\s|$)", text[: limit * 3], re.S)
    sentence = clean_text(match.group(1) if match else text[: limit * 3])
    if len(sentence) <= limit:
        return sentence
    cut = sentence.rfind(" ", 0, limit)
    return sentence[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + "…"


def document_entry(
    document: Document,
    title: str | None = None,
    published: datetime | None = None,
    language: str | None = None,
    now: datetime | None = None,
) -> EntryIn:
    """The document as an ``EntryIn``: options given by the user win over what was extracted."""
    now = now or datetime.now(UTC)
    text = document.text[:BODY_MAX]
    summary = text[:SUMMARY_CHARS]
    if len(text) > SUMMARY_CHARS:
        cut = summary.rfind(" ")
        summary = (summary[:cut] if cut > SUMMARY_CHARS // 2 else summary).rstrip() + "…"
    final_title = clean_text(title or document.title or _first_sentence(text) or "(untitled)")
    final_title = final_title[:TITLE_MAX]
    when = published or document.published
    flag = None if when else "missing"
    when = (when or now).astimezone(UTC)
    key = hashlib.sha256(f"document\x1f{document.ref}".encode()).hexdigest()
    declared = language or document.language
    return EntryIn(
        entry_key=key,
        title=final_title,
        summary=summary,
        published_at=when,
        content_hash=content_hash(final_title, summary + hashlib.sha256(text.encode()).hexdigest()),
        guid=document.ref[:2048],
        url=document.url,
        canonical_url=canonical_url(document.url) if document.url else None,
        body=text if len(text) > len(summary) else None,
        date_flag=flag,
        language=entry_language(declared, final_title, summary) or UNKNOWN_LANGUAGE,
    )
