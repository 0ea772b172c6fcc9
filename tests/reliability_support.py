"""Shared helpers for the reliability suite (corpus, faults, hostile input, fuzz).

Small on purpose: a tagger that works whether or not ``config/themes.toml`` exists yet, an
RSS builder for generated feeds, memory readings from ``/proc``, and a one-call pipeline run.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import httpx
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db.feeds import upsert_feed
from jkwatch.ingest.fetch import FetchSettings
from jkwatch.ingest.pipeline import Pipeline, PipelineSettings, RunReport
from jkwatch.ingest.tagging import DEFAULT_PATH, Tagger, TaxonomyError, load_taxonomy
from jkwatch.model import FeedRecord, FeedSpec

FIXTURES = Path(__file__).parent / "fixtures" / "robustness"


@functools.cache
def tagger() -> Tagger:
    """The real taxonomy when present, else a minimal valid one (tagging is not under test)."""
    try:
        return Tagger(load_taxonomy(DEFAULT_PATH))
    except TaxonomyError:  # absent or being edited: a valid stand-in keeps these tests honest
        return Tagger(load_taxonomy(FIXTURES / "themes_minimal.toml"))


def rss(items: Iterable[tuple[str, str, str]], title: str = "Feed") -> bytes:
    """An RSS 2.0 document from ``(guid, title, link)`` triples."""
    body = "".join(
        f'<item><guid isPermaLink="false">{escape(g)}</guid><title>{escape(t)}</title>'
        f"<link>{escape(link)}</link><pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate></item>\n"
        for g, t, link in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://example.com/</link>"
        f"<description>d</description>\n{body}</channel></rss>\n"
    ).encode()


def healthy_feed(tag: str, count: int = 3) -> bytes:
    """A small valid feed whose links live on their own host (no cross-feed dedupe)."""
    return rss(
        (
            (f"{tag}-{n}", f"{tag} story {n}", f"https://{tag}.example.net/{n}")
            for n in range(count)
        ),
        title=tag,
    )


def rss_kib() -> int:
    """Resident set size of this process in KiB (Linux ``/proc/self/status``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def fetch_settings(**overrides: object) -> FetchSettings:
    values: dict[str, object] = {
        "trust_env": False,
        "connect_timeout_s": 3.0,
        "read_timeout_s": 3.0,
        "total_timeout_s": 10.0,
    }
    values.update(overrides)
    return FetchSettings(**values)  # type: ignore[arg-type]


def add_feeds(sessions: sessionmaker[Session], urls: Sequence[str]) -> list[FeedRecord]:
    with sessions.begin() as session:
        return [upsert_feed(session, FeedSpec(url=url))[0] for url in urls]


def run_pipeline(
    sessions: sessionmaker[Session],
    feeds: Sequence[FeedRecord],
    transport: httpx.AsyncBaseTransport | None = None,
    **fetch: object,
) -> RunReport:
    settings = PipelineSettings(fetch=fetch_settings(**fetch))
    return Pipeline(sessions, settings, tagger=tagger(), transport=transport).refresh(feeds)


def reset_peak_rss() -> None:
    """Reset the kernel's peak-RSS mark (VmHWM) so a later reading covers only what follows."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_kib() -> int:
    """Peak resident set size (VmHWM) in KiB since the last ``reset_peak_rss``."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")
