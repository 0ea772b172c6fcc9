"""Which backfilled entries are the same article as an item already stored.

A live feed stores an article under the publisher's URL; Google News search lists it under an
aggregator link (news.google.com), so the canonical-URL check of ``store_entries`` cannot see
that they are one article, and the item counts would count it twice. An entry is a copy of a
stored item when both come from the same publisher (same registrable domain, by ``courlan``),
in the same language, with the same title, dated at most a day apart. Wire copies in other
outlets are different items, as in live collection.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import lru_cache
from typing import Protocol
from urllib.parse import urlsplit

from courlan import extract_domain


class StoredTitle(Protocol):
    """A stored item as ``jkwatch.db.backfill.stored_titles`` reads it."""

    @property
    def title(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def day(self) -> date: ...
    @property
    def url(self) -> str | None: ...
    @property
    def site_url(self) -> str | None: ...


AGGREGATOR_HOSTS = frozenset({"news.google.com"})
DAYS_APART = 1


@lru_cache(maxsize=4096)
def publisher_domain(url: str | None) -> str | None:
    """The registrable domain of ``url`` (``en.yna.co.kr`` -> ``yna.co.kr``), or None for an
    aggregator link or something that is not a web address."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    if not host or host in AGGREGATOR_HOSTS:
        return None
    return extract_domain(url) or host


def title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


def stored_key(row: StoredTitle) -> tuple[str, str, str] | None:
    """(domain, language, title) of a stored item; its own URL names the publisher unless it
    is an aggregator link, then its (backfill) feed's site does."""
    domain = publisher_domain(row.url) or publisher_domain(row.site_url)
    return (domain, row.language, title_key(row.title)) if domain else None


def copies(
    candidates: Sequence[tuple[str | None, str, str, date]], stored: Iterable[StoredTitle]
) -> set[int]:
    """Indexes of ``candidates`` — (domain, language, title, day) — that a stored item already
    holds."""
    days: dict[tuple[str, str, str], list[date]] = {}
    for row in stored:
        key = stored_key(row)
        if key is not None:
            days.setdefault(key, []).append(row.day)
    found = set()
    for index, (domain, language, title, day) in enumerate(candidates):
        if domain is None:
            continue
        for other in days.get((domain, language, title_key(title)), ()):
            if abs((other - day).days) <= DAYS_APART:
                found.add(index)
                break
    return found
