"""Keeping secrets out of what channels say: URLs shown as ``scheme://host/…`` and known secret
strings scrubbed from any text that leaves a channel (errors, log lines)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

MASK = "[redacted]"


def safe_url(url: str) -> str:
    """``scheme://host[:port]/…``: enough to recognise a target, never a token in its path,
    query or user info."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        host = f"[{host}]" if ":" in host else host
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparsable URL)"
    scheme = parts.scheme or "?"
    rest = "/…" if (parts.path not in ("", "/") or parts.query or parts.fragment) else ""
    return f"{scheme}://{host}{port}{rest}"


def scheme_only(url: str) -> str:
    """``scheme://…``: for Apprise URLs, whose host part is often a token (``tgram://TOKEN/``)."""
    scheme = url.split("://", 1)[0] if "://" in url else "?"
    return f"{scheme}://…" if scheme.isascii() and scheme.isalnum() else "(an Apprise URL)"


def secret_parts(url: str, host_too: bool = False) -> list[str]:
    """The pieces of ``url`` that may be secret on their own (user info, path segments, query
    values; the host when ``host_too``), longest first, so a message quoting one piece is
    scrubbed too."""
    pieces = {url}
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    netloc_host = parts.netloc.rsplit("@", 1)[-1] if host_too else None
    for piece in (
        parts.username,
        parts.password,
        parts.query,
        parts.fragment,
        parts.path,
        netloc_host,
    ):
        if piece:
            pieces.add(piece)
    pieces.update(seg for seg in parts.path.split("/") if len(seg) >= 6)
    return sorted((p for p in pieces if len(p) >= 4), key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by a mask."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _scrub_record(record: logging.LogRecord, secrets: list[str]) -> None:
    try:
        text = record.getMessage()
    except Exception:  # a broken format string: drop the args rather than risk a leak
        text = str(record.msg)
    record.msg = scrub(text, secrets)
    record.args = None
    if record.exc_info:
        record.exc_text = scrub(logging.Formatter().formatException(record.exc_info), secrets)
        record.exc_info = None


_active: list[list[str]] = []
_active_lock = threading.Lock()
_factory_installed = False


def _install_factory() -> None:
    """Wrap the log-record factory once: while any secret is active, every record created in
    the process is scrubbed as it is made. Filters on named loggers are not enough: a library
    can create its logger (``urllib3.connectionpool``) only when it is first imported, inside
    the send, and a logger's filters never see its children's records."""
    global _factory_installed
    if _factory_installed:
        return
    make_record = logging.getLogRecordFactory()

    def scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if _active:
            with _active_lock:
                secrets = [secret for group in _active for secret in group]
            _scrub_record(record, secrets)
        return record

    logging.setLogRecordFactory(scrubbing_factory)
    _factory_installed = True


@contextmanager
def scrubbed_logs(secrets: list[str]) -> Iterator[None]:
    """While inside (in any thread), every log record the process creates has ``secrets``
    masked. Used around third-party code that may log a URL (httpx, urllib3, Apprise)."""
    with _active_lock:
        _install_factory()
        _active.append(secrets)
    try:
        yield
    finally:
        with _active_lock:
            _active.remove(secrets)
