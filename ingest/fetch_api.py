"""The contract between fetching and the pipeline (values only; ``ingest.fetch`` implements it).

A fetch never raises for HTTP or network trouble: every outcome, a 304 included, is a
``FetchResult`` value whose ``error`` is already in words a user understands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from jkwatch.model import Outcome


@dataclass(frozen=True)
class FetchRequest:
    """What to fetch and the caching state from the last successful attempt."""

    feed_id: int
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one HTTP attempt.

    ``kind`` is a ``jkwatch.model.Outcome``: ``ok`` has a new ``body`` to parse (``body_hash``
    is its sha256); ``unchanged`` means the same ``body_hash`` as last time; ``error`` says what
    in ``error`` and holds the HTTP status, if any, in ``status``.
    """

    request: FetchRequest
    kind: Outcome
    status: int | None = None
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    final_url: str | None = None
    permanent_redirect: str | None = None
    """The new address after a 301/308 chain that ended in success, to store as the feed URL."""
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    retry_after_s: float | None = None
    max_age_s: float | None = None
    error: str | None = None
    elapsed_ms: int = 0
