"""A read-only HTTP server for the Atom channels' files, so a feed reader can subscribe to
``http://HOST:PORT/alerts/<channel>.atom`` (``jkwatch serve-feeds``).

Only the configured files can be served: the table of paths is fixed when the server starts and
a request path is looked up in it, never joined onto the disk, so ``..`` or an encoded slash
finds nothing. ``/`` lists the feeds. A channel that has not written its file yet serves a
valid empty feed, so a reader can subscribe before the first alert.
"""

from __future__ import annotations

import html
import logging
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from jkwatch.alerts.atom_channel import render_feed
from jkwatch.alerts.channel_config import AtomSettings, ChannelSpec

log = logging.getLogger(__name__)

ATOM_TYPE = "application/atom+xml; charset=utf-8"


def atom_feeds(channels: dict[str, ChannelSpec]) -> dict[str, tuple[Path, str]]:
    """``{"/alerts/<name>.atom": (file, title)}`` for every Atom channel."""
    feeds: dict[str, tuple[Path, str]] = {}
    for name, spec in sorted(channels.items()):
        if isinstance(spec.settings, AtomSettings):
            feeds[f"/alerts/{name}.atom"] = (
                Path(spec.settings.path).resolve(),
                spec.settings.title,
            )
    return feeds


def make_feed_server(
    feeds: dict[str, tuple[Path, str]], host: str = "127.0.0.1", port: int = 8765
) -> ThreadingHTTPServer:
    """A server (not yet serving) for ``feeds``; call ``serve_forever()`` on it."""
    table = dict(feeds)

    class _Handler(BaseHTTPRequestHandler):
        server_version = "jkwatch-feeds"
        sys_version = ""
        timeout = 30  # seconds a client may take to send its request: no idle thread forever
        # Headers and body are two writes; without this the body can wait for the client's
        # delayed ACK (up to 40 ms a request).
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            # The request line is the client's text: escape what could steer a terminal.
            line = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in format % args)
            log.info("feed request %s", line)

        def do_GET(self) -> None:  # noqa: N802
            self._answer(head=False)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(head=True)

        def _refuse(self) -> None:
            self._send(405, b"read-only\n", "text/plain; charset=utf-8", head=False, allow=True)

        do_POST = do_PUT = do_DELETE = do_PATCH = _refuse  # noqa: N815

        def _answer(self, head: bool) -> None:
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if path in ("/", "/alerts", "/alerts/"):
                self._send(200, _index(table), "text/html; charset=utf-8", head)
                return
            found = table.get(path)
            if found is None:
                self._send(404, b"not found\n", "text/plain; charset=utf-8", head)
                return
            file, title = found
            try:
                body = file.read_bytes()
                modified = formatdate(file.stat().st_mtime, usegmt=True)
            except FileNotFoundError:
                channel = path.removeprefix("/alerts/").removesuffix(".atom")
                body, modified = render_feed(title, channel, []), None
            except OSError:
                self._send(500, b"cannot read the feed\n", "text/plain; charset=utf-8", head)
                return
            self._send(200, body, ATOM_TYPE, head, modified=modified)

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str,
            head: bool,
            modified: str | None = None,
            allow: bool = False,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Cache-Control", "no-cache")
            if modified:
                self.send_header("Last-Modified", modified)
            if allow:
                self.send_header("Allow", "GET, HEAD")
            self.end_headers()
            if not head:
                self.wfile.write(body)

    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    return server


def _index(table: dict[str, tuple[Path, str]]) -> bytes:
    rows = "".join(
        f'<li><a href="{html.escape(path)}">{html.escape(title)}</a> '
        f"<code>{html.escape(path)}</code></li>"
        for path, (_, title) in table.items()
    )
    body = rows or "<li>No Atom channels are configured.</li>"
    # Feed readers given the page's address find the feeds through these links.
    discover = "".join(
        f'<link rel="alternate" type="application/atom+xml" href="{html.escape(path)}" '
        f'title="{html.escape(title)}">'
        for path, (_, title) in table.items()
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>jkwatch alert feeds</title>"
        f"{discover}</head><body><h1>jkwatch alert feeds</h1><ul>{body}</ul></body></html>\n"
    )
    return page.encode("utf-8")
