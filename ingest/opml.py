"""OPML 1.0/2.0 import and export: how users move feed lists between readers.

Import walks nested outlines (folders are flattened) and keeps every outline with an
``xmlUrl``. The XML comes from other programs and sometimes from the web, so it is parsed
with expat directly and any DOCTYPE or entity declaration is refused: no entity expansion
(billion laughs) and no external entities, whatever the expat version.
"""

from __future__ import annotations

import xml.parsers.expat
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import quoteattr

from jkwatch.model import FeedSpec


class OPMLError(ValueError):
    """The document is not usable OPML (malformed, unsafe, or not OPML at all)."""


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    children: list[_Node] = field(default_factory=list)


def _parse_xml(data: bytes | str) -> _Node:
    """Parse into a small tree with expat, refusing DTDs and entity declarations."""
    parser = xml.parsers.expat.ParserCreate()
    root = _Node("#document", {})
    stack = [root]

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = _Node(tag, attrs)
        stack[-1].children.append(node)
        stack.append(node)

    def end(tag: str) -> None:
        stack.pop()

    def refuse(*_: object) -> None:
        raise OPMLError("OPML with a DOCTYPE or entity declarations is refused for safety")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    # typeshed wants this handler to return int; refusing raises before any value matters.
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    try:
        if isinstance(data, str):
            parser.Parse(data.encode("utf-8"), True)
        else:
            parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise OPMLError(f"not well-formed XML: {exc}") from None
    if not root.children:
        raise OPMLError("empty document")
    return root.children[0]


def looks_like_opml(data: bytes) -> bool:
    """Cheap content sniffing: an XML document whose root element is ``<opml``."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<?xml"):
        end = head.find(b"?>")
        head = head[end + 2 :].lstrip() if end >= 0 else head
    while head.startswith(b"<!--"):
        end = head.find(b"-->")
        head = head[end + 3 :].lstrip() if end >= 0 else b""
    return head[:5].lower() == b"<opml"


def _attr(attrs: dict[str, str], name: str) -> str | None:
    """Attribute lookup that tolerates the case variants real exporters write (xmlURL...)."""
    for key, value in attrs.items():
        if key.lower() == name.lower():
            value = value.strip()
            return value or None
    return None


@dataclass(frozen=True)
class OPMLFeed:
    """One feed outline: what import reads and export writes."""

    url: str
    title: str | None = None
    site_url: str | None = None
    language: str | None = None


def parse_opml(data: bytes | str) -> list[FeedSpec]:
    """The feeds in an OPML document as ``FeedSpec`` values (see ``read_outlines``)."""
    return [FeedSpec(url=o.url, name=o.title, language=o.language) for o in read_outlines(data)]


def read_outlines(data: bytes | str) -> list[OPMLFeed]:
    """The feed outlines of an OPML document, in document order, without duplicates.

    Raises ``OPMLError`` when it is not OPML; outlines without ``xmlUrl`` are folders whose
    children are read too (folders are flattened).
    """
    root = _parse_xml(data)
    if root.tag.lower() != "opml":
        raise OPMLError(f"not OPML: the root element is <{root.tag}>, expected <opml>")
    body = next((c for c in root.children if c.tag.lower() == "body"), None)
    if body is None:
        raise OPMLError("not OPML: no <body> element")
    feeds: list[OPMLFeed] = []
    seen: set[str] = set()

    def walk(nodes: Iterable[_Node]) -> None:
        for node in nodes:
            if node.tag.lower() != "outline":
                continue
            url = _attr(node.attrs, "xmlUrl")
            if url and url not in seen:
                seen.add(url)
                feeds.append(
                    OPMLFeed(
                        url=url,
                        title=_attr(node.attrs, "title") or _attr(node.attrs, "text"),
                        site_url=_attr(node.attrs, "htmlUrl"),
                        language=_attr(node.attrs, "language"),
                    )
                )
            walk(node.children)

    walk(body.children)
    return feeds


def to_opml(feeds: Iterable[OPMLFeed], title: str = "jkwatch feeds") -> str:
    """An OPML 2.0 document listing ``feeds`` (attribute values escaped, never raw)."""
    now = format_datetime(datetime.now(UTC), usegmt=True)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{_text(title)}</title>",
        f"    <dateCreated>{now}</dateCreated>",
        "  </head>",
        "  <body>",
    ]
    for feed in feeds:
        name = feed.title or feed.url
        attrs = [
            ("type", "rss"),
            ("text", name),
            ("title", name),
            ("xmlUrl", feed.url),
        ]
        if feed.site_url:
            attrs.append(("htmlUrl", feed.site_url))
        if feed.language:
            attrs.append(("language", feed.language))
        rendered = " ".join(f"{key}={quoteattr(value)}" for key, value in attrs)
        lines.append(f"    <outline {rendered}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
