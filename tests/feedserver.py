"""A real HTTP server on 127.0.0.1 for tests: routes map paths to canned or scripted responses.

Tests never touch the internet. Each route is either a ``Response`` (status, body, headers,
optional delay) or a callable ``(request) -> Response`` for scripted behaviour (304 on a
matching ETag, drip-feeding, closing mid-body...). Every request is recorded so tests can
assert what was sent (conditional headers, User-Agent, how often a feed was fetched).

    with FeedServer() as server:
        server.route("/feed.xml", Response(body=rss_bytes, headers={"Content-Type": "application/rss+xml"}))
        url = server.url("/feed.xml")
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    """Wait this long before answering (timeouts, slow publishers)."""
    drip_s: float = 0.0
    """Send the body one byte at a time with this pause between bytes."""
    close_after: int | None = None
    """Close the connection after this many body bytes (a server dying mid-body)."""
    content_length: int | None = None
    """Announce this length instead of the real one."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    at: float


Handler = Response | Callable[[Request], Response]


class FeedServer:
    """Threaded HTTP server; use as a context manager. ``host`` may be any 127.x address."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: with Nagle's algorithm the body waits for
            # the client's delayed ACK of the headers (up to 40 ms a response on Linux).
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_HEAD(self) -> None:  # noqa: N802
                self._serve(head=True)

            def do_GET(self) -> None:  # noqa: N802
                self._serve(head=False)

            def _serve(self, head: bool) -> None:
                request = Request(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    time.monotonic(),
                )
                with server._lock:
                    server.requests.append(request)
                    handler = server.routes.get(self.path) or server.routes.get(
                        self.path.split("?")[0]
                    )
                if handler is None:
                    response = Response(404, b"not found", {"Content-Type": "text/plain"})
                elif callable(handler):
                    response = handler(request)
                else:
                    response = handler
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._write(response, head)

            def _write(self, response: Response, head: bool) -> None:
                if response.delay_s:
                    time.sleep(response.delay_s)
                self.send_response(response.status)
                headers = dict(response.headers)
                length = (
                    response.content_length
                    if response.content_length is not None
                    else len(response.body)
                )
                headers.setdefault("Content-Length", str(length))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if head:
                    return
                body = response.body
                if response.close_after is not None:
                    self.wfile.write(body[: response.close_after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if response.drip_s:
                    for i in range(len(body)):
                        self.wfile.write(body[i : i + 1])
                        self.wfile.flush()
                        time.sleep(response.drip_s)
                    return
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self.host = host
        self.port = self._httpd.server_address[1]
        # serve_forever checks for shutdown every poll interval; the default (0.5 s) would make
        # every test that stops a server wait half a second for nothing.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def route(self, path: str, handler: Handler) -> str:
        """Serve ``handler`` at ``path``; returns the full URL."""
        with self._lock:
            self.routes[path] = handler
        return self.url(path)

    def reset(self) -> None:
        """Forget every route and recorded request (one server can then serve many tests)."""
        with self._lock:
            self.routes.clear()
            self.requests.clear()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def hits(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
