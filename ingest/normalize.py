"""Pure normalisation of parsed entries: canonical URLs, plain text, UTC dates, entry identity.

Nothing here does I/O or knows about the database session; the output is ``db.records.EntryIn``
with the tagging and clustering fields left for later stages. Feed text is untrusted: HTML is
reduced to plain text with ``html.parser`` (scripts and styles dropped), and control characters
are removed so nothing odd reaches the database or the dashboard.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

from jkwatch.ingest.parse import RawEntry
from jkwatch.model import UNKNOWN_LANGUAGE, EntryIn

TITLE_MAX = 1_000
SUMMARY_MAX = 20_000
BODY_MAX = 200_000
URL_MAX = 2_048
FUTURE_TOLERANCE = timedelta(days=1)
ANCIENT_BEFORE = datetime(1990, 1, 1, tzinfo=UTC)

_TRACKING_PREFIXES = ("utm_", "ga_", "pk_", "mtm_", "hsa_")
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "yclid",
        "igshid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "s_cid",
        "vero_id",
        "wickedid",
        "cmpid",
        "ncid",
        "sr_share",
        "spm",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Aggregator links that carry the real target in a query parameter.
_REDIRECT_PARAMS = {
    ("www.google.com", "/url"): ("q", "url"),
    ("google.com", "/url"): ("q", "url"),
    ("news.google.com", None): ("url",),
    ("l.facebook.com", "/l.php"): ("u",),
    ("lm.facebook.com", "/l.php"): ("u",),
    ("www.bing.com", "/news/apiclick.aspx"): ("url",),
    ("r.search.yahoo.com", None): ("RU",),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_SPACE = re.compile(r"\s+")
_BARE_NUMBER = re.compile(r"^\d{1,12}$")


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """The address that identifies an article however it was linked, or None if unusable."""
    if not url:
        return None
    url = _CONTROL.sub("", url).strip()
    if base:
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
    for _ in range(3):  # a redirect may wrap another one
        unwrapped = _unwrap(url)
        if unwrapped is None:
            break
        url = unwrapped
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(key)
    ]
    query.sort()
    path = parts.path or "/"
    result = urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))
    return result if len(result) <= URL_MAX else None


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def _unwrap(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    for (redirect_host, path), names in _REDIRECT_PARAMS.items():
        if host != redirect_host or (path is not None and parts.path != path):
            continue
        params = dict(parse_qsl(parts.query))
        for name in names:
            target = params.get(name, "")
            if target.startswith(("http://", "https://")):
                return target
            decoded = unquote(target)
            if decoded.startswith(("http://", "https://")):
                return decoded
    return None


class _TextExtractor(HTMLParser):
    """Collects text, dropping script/style and turning block ends into spaces."""

    _SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg"})
    _BREAKS = frozenset(
        {"br", "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def clean_text(text: str) -> str:
    """Remove control characters and collapse whitespace."""
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


def html_to_text(value: str) -> str:
    """Plain text from an HTML fragment: entities decoded, tags removed, whitespace collapsed."""
    if not value:
        return ""
    if "<" not in value and "&" not in value:
        return clean_text(value)
    extractor = _TextExtractor()
    extractor.feed(value)
    extractor.close()
    return clean_text("".join(extractor.parts))


def _plain(value: str, content_type: str) -> str:
    if "html" in content_type or "xml" in content_type:
        return html_to_text(value)
    # feedparser decodes entities in text/plain; stray markup in "plain" titles is still common.
    return html_to_text(value) if "<" in value else clean_text(value)


def _struct_to_utc(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def published_time(
    published: time.struct_time | None, updated: time.struct_time | None, fetched_at: datetime
) -> tuple[datetime, str | None]:
    """``(UTC time, flag)``: flag is ``missing``, ``future`` or ``ancient`` when the feed's is off."""
    when = _struct_to_utc(published) or _struct_to_utc(updated)
    if when is None:
        return fetched_at, "missing"
    if when > fetched_at + FUTURE_TOLERANCE:
        return fetched_at, "future"
    if when < ANCIENT_BEFORE:
        return when, "ancient"
    return when, None


def _sha(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def entry_key(guid: str | None, link: str | None, title: str, content: str) -> str:
    """Identity of an entry within its feed: guid, guid+link, link, then title+content."""
    if guid and _BARE_NUMBER.match(guid) and link:
        return _sha("guid+link", guid, link)
    if guid:
        return _sha("guid", guid)
    if link:
        return _sha("link", link)
    return _sha("text", title, content)


def content_hash(title: str, summary: str) -> str:
    """Changes when what a reader sees changes (then the item is updated and re-tagged)."""
    return _sha(title, summary)


@dataclass(frozen=True)
class FeedContext:
    """What normalisation needs to know about the feed an entry came from."""

    link: str | None = None
    """The feed's site link or final URL: relative entry links resolve against it."""
    fetched_at: datetime | None = None


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def normalize_entry(raw: RawEntry, context: FeedContext) -> EntryIn:
    """One ``RawEntry`` as an ``EntryIn`` (language, tags and story are filled later)."""
    fetched_at = context.fetched_at or datetime.now(UTC)
    title = _cap(_plain(raw.title, raw.title_type), TITLE_MAX)
    summary_source = raw.summary or raw.content
    summary = _cap(_plain(summary_source, raw.summary_type), SUMMARY_MAX)
    body = None
    if raw.content and raw.content != raw.summary:
        body = _cap(html_to_text(raw.content), BODY_MAX) or None
    if not title:
        title = _cap(summary, 200) if summary else "(untitled)"
    link = None
    if raw.link:
        try:
            link = urljoin(context.link, raw.link) if context.link else raw.link
        except ValueError:
            link = None
        link = link if link and len(link) <= URL_MAX else None
        if link and not link.lower().startswith(("http://", "https://")):
            link = None  # javascript:, data:, file: ... are never stored as an item's address
    canonical = canonical_url(link)
    published, flag = published_time(raw.published, raw.updated, fetched_at)
    guid = clean_text(raw.guid)[:URL_MAX] if raw.guid else None
    return EntryIn(
        entry_key=entry_key(guid, canonical or link, title, summary),
        title=title,
        summary=summary,
        published_at=published,
        content_hash=content_hash(title, summary),
        guid=guid,
        url=link,
        canonical_url=canonical,
        body=body,
        author=clean_text(raw.author)[:500] if raw.author else None,
        date_flag=flag,
        language=UNKNOWN_LANGUAGE,
    )
