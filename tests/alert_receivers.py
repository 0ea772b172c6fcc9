"""Local receivers for alert tests: a real SMTP server (aiosmtpd) and a real HTTP receiver of
webhook POSTs, both on 127.0.0.1, recording what arrived so tests assert on it.

    with SmtpServer() as smtp:            # plain; SmtpServer(tls=ca) for STARTTLS, ssl=True implicit
        ... deliver to smtp.host, smtp.port ...
        mail = smtp.messages[0]           # an email.message.EmailMessage

    with WebhookReceiver() as hook:
        hook.respond(429, headers={"Retry-After": "30"})   # every POST gets this until changed
        ... POST to hook.url("/hook/secret") ...
        hook.bodies[0]                    # the parsed JSON body
"""

from __future__ import annotations

import contextlib
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.processes import free_port


@dataclass
class _Recorder:
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        mail = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.messages.append(mail)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd in a thread. ``tls`` (an ``ssl.SSLContext`` for the server) turns on STARTTLS
    (required); with ``implicit_tls`` the whole connection is TLS. ``logins`` maps user to
    password; a wrong one is refused with 535."""

    def __init__(
        self,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        logins: dict[str, str] | None = None,
    ) -> None:
        self.recorder = _Recorder()
        self.host = "127.0.0.1"
        self.port = free_port()
        self.logins = logins or {}
        kwargs: dict[str, Any] = {}
        if tls is not None and implicit_tls:
            kwargs["ssl_context"] = tls
        elif tls is not None:
            kwargs.update(tls_context=tls, require_starttls=True)
        if logins is not None:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=tls is not None)
        self.controller = Controller(
            self.recorder, hostname=self.host, port=self.port, ready_timeout=5.0, **kwargs
        )

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode()
            if self.logins.get(user) == auth_data.password.decode():
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    @property
    def messages(self) -> list[EmailMessage]:
        return self.recorder.messages

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        return self.recorder.envelopes

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.controller.stop()


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


class WebhookReceiver:
    """A threaded HTTP server that records every POST (path, headers, JSON body) and answers
    with the current ``Reply``."""

    def __init__(self) -> None:
        self.reply = Reply()
        self.posts: list[tuple[str, dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        receiver = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no delayed-ACK stall between headers and body

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.posts.append(
                        (self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    reply = receiver.reply
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def respond(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        delay_s: float = 0.0,
    ) -> None:
        with self._lock:
            self.reply = Reply(status, body, headers or {}, delay_s)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def bodies(self) -> list[Any]:
        with self._lock:
            return [json.loads(body) for _, _, body in self.posts]

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
