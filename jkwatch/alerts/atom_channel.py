"""The Atom channel: each alert becomes an ``<entry>`` of an Atom file any feed reader can
subscribe to (directly, or through ``jkwatch serve-feeds``).

The file is the channel's whole state: read, the entry added (newest first, at most
``max_entries``), written to a temporary file beside it and moved over it with ``os.replace``,
so a reader never sees half a feed. An entry's id is ``tag:jkwatch,2026:alert/<event_key>``, so
delivering the same event again leaves the file as it was. The XML is built with
``xml.etree``; feed text is untrusted and characters XML cannot carry are dropped, never
concatenated into markup. A lock file next to the feed serialises writers on one machine.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from jkwatch.alerts.channel_config import AtomSettings
from jkwatch.alerts.message import DeliveryError, Message

log = logging.getLogger(__name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
_A = f"{{{ATOM_NS}}}"
ET.register_namespace("", ATOM_NS)

# XML 1.0 forbids most control characters (and lone surrogates); a feed title may carry them.
# The C1 controls are legal but discouraged, and readers disagree on them (feedparser reads
# them as Windows-1252): they are mojibake in a headline, so they go too.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def clean(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry, line ends as ``\n`` (what any XML
    parser would make of a ``\r`` anyway)."""
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def entry_id(event_key: str) -> str:
    return "tag:jkwatch,2026:alert/" + quote(event_key, safe=":/-_.,~@!$&'()*+;=")


def feed_id(channel: str) -> str:
    return f"tag:jkwatch,2026:alerts/{quote(channel, safe='-_')}"


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, _A + tag, {k: clean(v) for k, v in attrs.items()})
    if text is not None:
        element.text = clean(text)
    return element


def build_entry(message: Message) -> ET.Element:
    """The ``<entry>`` for ``message``: id, title, times, the text, links to the items."""
    entry = ET.Element(_A + "entry")
    _sub(entry, "id", entry_id(message.event_key))
    _sub(entry, "title", " ".join(clean(message.subject).split()), type="text")
    _sub(entry, "updated", _stamp(message.created_at))
    _sub(entry, "published", _stamp(message.created_at))
    _sub(entry, "category", term=message.kind)
    if message.rule:
        _sub(entry, "category", term=message.rule, scheme="tag:jkwatch,2026:rule")
    for position, item in enumerate(message.items):
        if item.url:
            rel = "alternate" if position == 0 else "related"
            _sub(entry, "link", rel=rel, href=item.url, title=f"{item.title} ({item.outlet})")
    _sub(entry, "content", message.text, type="text")
    return entry


def render_feed(title: str, channel: str, entries: list[ET.Element]) -> bytes:
    """A whole Atom document around ``entries`` (already newest first)."""
    feed = ET.Element(_A + "feed")
    _sub(feed, "id", feed_id(channel))
    _sub(feed, "title", title, type="text")
    newest = entries[0].findtext(_A + "updated") if entries else None
    _sub(feed, "updated", newest or "1970-01-01T00:00:00Z")
    author = _sub(feed, "author")
    _sub(author, "name", "jkwatch")
    _sub(feed, "generator", "jkwatch")
    feed.extend(entries)
    ET.indent(feed, space="  ")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def read_entries(path: Path) -> list[ET.Element]:
    """The entries of the Atom file at ``path`` (none if it does not exist yet)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    root = ET.fromstring(data)
    if root.tag != _A + "feed":
        raise ET.ParseError("not an Atom feed")
    return root.findall(_A + "entry")


def add_entry(path: Path, title: str, channel: str, message: Message, max_entries: int) -> bool:
    """Put ``message`` into the feed at ``path``; False when its entry was already there."""
    entries = read_entries(path)
    new_id = entry_id(message.event_key)
    if any(e.findtext(_A + "id") == new_id for e in entries):
        return False
    entries.insert(0, build_entry(message))
    # Newest first by time (stable, so equal times keep the newest delivery on top).
    entries.sort(key=lambda e: e.findtext(_A + "updated") or "", reverse=True)
    _write_atomically(path, render_feed(title, channel, entries[:max_entries]))
    return True


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time for ``path`` (workers on one machine share the file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def write_entry(settings: AtomSettings, message: Message, channel: str = "atom") -> None:
    """Deliver ``message`` to the channel's Atom file or raise ``DeliveryError``."""
    path = Path(settings.path)
    try:
        with _locked(path):
            added = add_entry(path, settings.title, channel, message, settings.max_entries)
    except ET.ParseError:
        raise DeliveryError(
            f"channel '{channel}': {settings.path} is not an Atom feed jkwatch can read; "
            "move it away and the channel starts a new one",
            retryable=False,
        ) from None
    except PermissionError:
        raise DeliveryError(
            f"channel '{channel}': no permission to write {settings.path}", retryable=False
        ) from None
    except OSError as exc:
        raise DeliveryError(
            f"channel '{channel}': cannot write {settings.path} ({exc.strerror or type(exc).__name__})",
            retryable=True,
        ) from None
    log.info(
        "alert written to feed channel=%s event_key=%s added=%s",
        channel,
        message.event_key,
        added,
    )
