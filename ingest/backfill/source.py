"""The shape every backfill source has: a request URL per query and window, a reader per body.

A reader returns ``Found`` entries: a feedparser-shaped ``RawEntry`` (so the live ingest's
``normalize_entry`` turns it into an ``EntryIn``) plus the outlet it came from, which picks the
pseudo-feed it is stored in. A body that is not what the service sends (an HTML error page, a
malformed document) raises ``SourceError``: the window failed and is retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from jkwatch.ingest.parse import RawEntry


class SourceError(Exception):
    """A response a source cannot read; the message says why in plain words."""


@dataclass(frozen=True)
class Found:
    """One entry a source found, with the outlet that published it."""

    raw: RawEntry
    outlet: str
    site_url: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Page:
    """A read response: its entries and how many the service listed (the cap test uses it)."""

    entries: tuple[Found, ...]
    listed: int


class Source(Protocol):
    """A news-search service seen as "give me entries for a window"."""

    @property
    def name(self) -> str:
        """One of ``jkwatch.model.BACKFILL_SOURCES``."""
        ...

    @property
    def cap(self) -> int:
        """Most entries one response holds: a response this full may have left some out."""
        ...

    @property
    def default_delay_s(self) -> float:
        """Pause between requests to the public service unless ``--delay`` says otherwise."""
        ...

    def request_url(self, query: str, language: str, first_day: date, last_day: date) -> str:
        """The URL asking for ``query`` in ``language`` over ``first_day..last_day`` (UTC)."""
        ...

    def read(self, body: bytes, headers: Mapping[str, str]) -> Page:
        """The entries of one response; ``SourceError`` when it is not one."""
        ...

    def covers(self, last_day: date, today: date) -> bool:
        """Whether the service can answer for a window ending on ``last_day`` at all."""
        ...
