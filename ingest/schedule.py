"""When to fetch a feed next: a pure policy with no clock of its own (the caller passes ``now``).

The interval follows the feed's observed posting rate, bounded by ``min_interval_s`` and
``max_interval_s`` (and the feed's own minimum), and is never shorter than what the
publisher asked for (``ttl``/``sy:updatePeriod``, ``Cache-Control: max-age``,
``Retry-After``). Failures back off exponentially from the normal interval up to a cap;
the first success returns the feed to its normal interval.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SchedulePolicy:
    min_interval_s: int = 10 * 60
    max_interval_s: int = 6 * 3600
    default_interval_s: int = 30 * 60
    error_backoff_base_s: int = 5 * 60
    max_backoff_s: int = 24 * 3600
    jitter_fraction: float = 0.1
    """Spread feeds over time so a hundred feeds added together are not fetched together."""


@dataclass(frozen=True)
class Observation:
    """What the last attempt told us about the feed."""

    outcome: str  # ok | not_modified | unchanged | error | gone
    error_count: int = 0
    """Consecutive errors including this attempt (0 after a success)."""
    publish_times: Sequence[datetime] = ()
    """Publication times of the entries in the feed (for the posting rate)."""
    feed_ttl_s: int | None = None
    max_age_s: float | None = None
    retry_after_s: float | None = None
    feed_min_interval_s: int | None = None
    previous_interval_s: int | None = None


def posting_interval_s(publish_times: Sequence[datetime], policy: SchedulePolicy) -> int | None:
    """Median gap between recent entries, or None when there are too few to tell."""
    times = sorted(t for t in publish_times if t is not None)[-20:]
    if len(times) < 3:
        return None
    gaps = sorted((b - a).total_seconds() for a, b in zip(times, times[1:], strict=False))
    median = gaps[len(gaps) // 2]
    # Poll about twice per posting gap: new items wait half a gap on average.
    return int(median / 2)


def normal_interval_s(obs: Observation, policy: SchedulePolicy) -> int:
    """The interval for a healthy feed, before error backoff."""
    interval = posting_interval_s(obs.publish_times, policy)
    if interval is None:
        interval = obs.previous_interval_s or policy.default_interval_s
    floor = max(policy.min_interval_s, obs.feed_min_interval_s or 0)
    interval = max(floor, min(policy.max_interval_s, interval))
    for asked in (obs.feed_ttl_s, obs.max_age_s):
        if asked:
            interval = max(interval, min(int(asked), policy.max_interval_s))
    return interval


def next_fetch(
    now: datetime, obs: Observation, policy: SchedulePolicy = SchedulePolicy(), key: str = ""
) -> tuple[datetime, int]:
    """``(next fetch time, normal interval)`` after an attempt that ended at ``now``.

    ``key`` (the feed URL) seeds a deterministic jitter so feeds drift apart reproducibly.
    """
    normal = normal_interval_s(obs, policy)
    if obs.outcome == "error" and obs.error_count > 0:
        delay = min(policy.max_backoff_s, policy.error_backoff_base_s * 2 ** (obs.error_count - 1))
        delay = max(delay, policy.min_interval_s)
    else:
        delay = normal
    if obs.retry_after_s:
        delay = max(delay, int(obs.retry_after_s))
    delay += int(delay * policy.jitter_fraction * _unit_jitter(key, now))
    return now + timedelta(seconds=delay), normal


def _unit_jitter(key: str, now: datetime) -> float:
    digest = hashlib.blake2b(f"{key}|{int(now.timestamp()) // 60}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") / 0xFFFFFFFF
