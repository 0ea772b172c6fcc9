"""HTTP details for ``ingest.fetch``: capped body decoding, caching headers, error wording.

Kept apart from the concurrency machinery so each stays small; everything here works on one
response and turns third-party exceptions into the user words stored in the fetch log.
"""

from __future__ import annotations

import http
import re
import socket
import ssl
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import brotli
import httpx

MIB = 1024 * 1024


class FetchFailure(Exception):
    """A fetch problem already phrased for users; becomes ``FetchResult(kind="error")``."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _mb(n: int) -> str:
    return f"{n / MIB:g} MB" if n >= MIB else f"{n} bytes"


def secs(value: float) -> str:
    return f"{value:g} s"


# -- decoding with an output cap ------------------------------------------------------------


class _Decoder:
    """Inflate one content-coding, never producing more than ``limit + 1`` bytes per call."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._zlib: zlib._Decompress | None = None
        self._brotli: brotli.Decompressor | None = None
        self._first = True
        if coding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._zlib = zlib.decompressobj()
        elif coding == "br":
            self._brotli = brotli.Decompressor()
        else:
            raise FetchFailure(f"unsupported content encoding {coding!r}")

    def decode(self, data: bytes, limit: int) -> bytes:
        try:
            if self._brotli is not None:
                out = self._brotli.process(data, output_buffer_limit=limit + 1)
                if len(out) <= limit and not self._brotli.can_accept_more_data():
                    out += self._brotli.process(b"", output_buffer_limit=limit + 1 - len(out))
                return out
            assert self._zlib is not None
            if self.coding == "deflate" and self._first:
                self._first = False
                try:
                    return self._zlib.decompress(data, limit + 1)
                except zlib.error:  # servers send raw deflate without the zlib header
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._zlib.decompress(data, limit + 1)
        except (zlib.error, brotli.error) as exc:
            raise FetchFailure(f"the {self.coding} compressed body is corrupt ({exc})") from None


async def read_body(response: httpx.Response, max_bytes: int) -> bytes:
    """Read and decode the body, stopping as soon as it would exceed ``max_bytes``."""
    codings = [
        c.strip().lower()
        for c in response.headers.get("content-encoding", "").split(",")
        if c.strip() and c.strip().lower() != "identity"
    ]
    decoders = [_Decoder(c) for c in reversed(codings)]
    too_large = FetchFailure(f"response too large (over {_mb(max_bytes)}), stopped reading")
    declared = response.headers.get("content-length", "")
    if not decoders and declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    out = bytearray()
    raw_total = 0
    async for chunk in response.aiter_raw():
        raw_total += len(chunk)
        if raw_total > max_bytes:
            raise too_large
        for decoder in decoders:
            chunk = decoder.decode(chunk, max_bytes - len(out))
        out += chunk
        if len(out) > max_bytes:
            raise too_large
    return bytes(out)


# -- header interpretation -------------------------------------------------------------------


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def parse_max_age(value: str | None) -> float | None:
    """``max-age`` from ``Cache-Control`` (None when absent or ``no-store``)."""
    if not value or "no-store" in value.lower():
        return None
    match = _MAX_AGE.search(value)
    return float(match.group(1)) if match else None


def status_error(status: int, reason: str, retry_after: float | None) -> str:
    if status in (429, 503):
        what = "rate limited" if status == 429 else "service unavailable"
        wait = f", retry after {retry_after:.0f} s" if retry_after is not None else ""
        return f"{what} (HTTP {status}){wait}"
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = reason
    return f"HTTP {status} {phrase}".rstrip()


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def network_error(
    exc: Exception, url: str, connect_timeout_s: float, read_timeout_s: float, in_body: bool
) -> str:
    """Translate an httpx/OS error into the words a user sees in ``feeds list``."""
    host = urlsplit(url).hostname or url
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return f"timed out after {secs(connect_timeout_s)} connecting to {host}"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {secs(read_timeout_s)}"
    causes = list(_chain(exc))
    if any(isinstance(c, socket.gaierror) for c in causes) or any(
        "name or service not known" in str(c).lower()
        or "nodename nor servname" in str(c).lower()
        or "temporary failure in name resolution" in str(c).lower()
        for c in causes
    ):
        return f"DNS lookup failed for {host}"
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS error: certificate verify failed ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            reason = getattr(cause, "reason", None)
            return f"TLS error: {reason.lower().replace('_', ' ') if reason else cause}"
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "refused" in str(exc).lower():
        return "connection refused"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        if in_body:
            return "server closed the connection mid-body"
        return "server closed the connection without answering"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect to {host}: {exc or type(exc).__name__}"
    return f"network error: {exc or type(exc).__name__}"
