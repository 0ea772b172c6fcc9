"""Keeping secrets out of what channels say: URLs shown as ``scheme://host/…`` and known secret
strings scrubbed from any text that leaves a channel (errors, log lines)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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


class _ScrubFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a broken format string: drop the args rather than risk a leak
            text = str(record.msg)
        record.msg = scrub(text, self.secrets)
        record.args = None
        if record.exc_info:
            record.exc_text = scrub(
                logging.Formatter().formatException(record.exc_info), self.secrets
            )
            record.exc_info = None
        return True


@contextmanager
def scrubbed_logger(name: str, secrets: list[str]) -> Iterator[None]:
    """While inside, every record created on the library logger ``name`` or its children has
    ``secrets`` masked (a logger's filters see only its own records, hence each child too).
    Used around third-party code that may log a URL."""
    scrubber = _ScrubFilter(secrets)
    touched: list[logging.Logger] = []
    for logger_name in [name, *_children(name)]:
        logger = logging.getLogger(logger_name)
        logger.addFilter(scrubber)
        touched.append(logger)
    try:
        yield
    finally:
        for logger in touched:
            logger.removeFilter(scrubber)


def _children(name: str) -> list[str]:
    prefix = name + "."
    return [n for n in list(logging.root.manager.loggerDict) if n.startswith(prefix)]
