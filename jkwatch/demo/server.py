"""Serve a synthetic corpus as RSS 2.0 and Atom feeds from a local HTTP server.

Real feeds list only recent items; the demo serves each outlet's full history as one
document so a single refresh ingests two years. The server listens on 127.0.0.1 on a free
port, answers conditional requests with 304 (ETag and Last-Modified), and renders every
text through XML escaping: nothing in a feed is ever markup.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

from jkwatch.demo.corpus import SYNTHETIC_LABEL, Corpus, CorpusItem, Outlet


def _rfc822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_rss(outlet: Outlet, items: Iterable[CorpusItem], updated: datetime) -> bytes:
    """An RSS 2.0 document for ``outlet`` with ``items`` (newest first)."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>{escape(outlet.name)}</title><link>{escape(outlet.site)}/</link>",
        f"<description>{escape(SYNTHETIC_LABEL)}: invented outlet for the jkwatch demo"
        "</description>",
        f"<language>{outlet.lang}</language><lastBuildDate>{_rfc822(updated)}</lastBuildDate>",
    ]
    for item in items:
        parts.append(
            f"<item><title>{escape(item.title)}</title><link>{escape(item.url)}</link>"
            f'<guid isPermaLink="false">{escape(item.guid)}</guid>'
            f"<pubDate>{_rfc822(item.published_at)}</pubDate>"
            f"<description>{escape(item.summary)}</description></item>"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode("utf-8")


def render_atom(outlet: Outlet, items: Iterable[CorpusItem], updated: datetime) -> bytes:
    """An Atom 1.0 document for ``outlet`` with ``items`` (newest first)."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{outlet.lang}">',
        f"<title>{escape(outlet.name)}</title>",
        f"<subtitle>{escape(SYNTHETIC_LABEL)}: invented outlet for the jkwatch demo</subtitle>",
        f'<link href="{escape(outlet.site)}/"/><id>urn:jkwatch-demo:{outlet.slug}</id>',
        f"<updated>{_iso(updated)}</updated>",
    ]
    for item in items:
        parts.append(
            f"<entry><title>{escape(item.title)}</title>"
            f'<link href="{escape(item.url)}"/><id>{escape(item.guid)}</id>'
            f"<updated>{_iso(item.published_at)}</updated>"
            f"<published>{_iso(item.published_at)}</published>"
            f"<summary>{escape(item.summary)}</summary>"
            f"<author><name>{escape(outlet.name)}</name></author></entry>"
        )
    parts.append("</feed>\n")
    return "".join(parts).encode("utf-8")


@dataclass(frozen=True)
class _Document:
    body: bytes
    content_type: str
    etag: str
    last_modified: str


def render_corpus(corpus: Corpus) -> dict[str, _Document]:
    """Every outlet's feed document, keyed by its path."""
    documents = {}
    for outlet in corpus.outlets:
        items = corpus.items_of(outlet.slug)
        updated = items[0].published_at if items else datetime(2000, 1, 1, tzinfo=UTC)
        if outlet.fmt == "atom":
            body, ctype = render_atom(outlet, items, updated), "application/atom+xml"
        else:
            body, ctype = render_rss(outlet, items, updated), "application/rss+xml"
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        documents[outlet.path] = _Document(body, f"{ctype}; charset=utf-8", etag, _rfc822(updated))
    return documents


class DemoFeedServer:
    """The corpus on http://127.0.0.1:<free port>/feeds/<slug>.xml; a context manager."""

    def __init__(self, corpus: Corpus, host: str = "127.0.0.1", port: int = 0) -> None:
        documents = render_corpus(corpus)
        self.requests = 0

        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server.requests += 1
                doc = documents.get(self.path.split("?")[0])
                if doc is None:
                    self._send(404, b"not found", {"Content-Type": "text/plain"})
                elif self.headers.get("If-None-Match") == doc.etag:
                    self._send(304, b"", {"ETag": doc.etag})
                else:
                    headers = {
                        "Content-Type": doc.content_type,
                        "ETag": doc.etag,
                        "Last-Modified": doc.last_modified,
                    }
                    self._send(200, doc.body, headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self.host = host
        self.port = self._httpd.server_address[1]
        self.paths = tuple(documents)
        self.total_bytes = sum(len(doc.body) for doc in documents.values())
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def __enter__(self) -> DemoFeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
