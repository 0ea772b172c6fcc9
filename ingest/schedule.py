"""When to fetch a feed next: a pure policy with no clock of its own (the caller passes ``now``).

The interval follows the feed's observed posting rate, bounded by ``min_interval_s`` and
``max_interval_s`` (and the feed's own minimum), and is never shorter than what the
publisher asked for (``ttl``/``sy:updatePeriod``, ``Cache-Control: max-age``,
``Retry-After``). Failures back off exponentially from ``error_backoff_base_s`` up to
``max_backoff_s``; the first success returns the feed to its normal interval, because the
normal interval is computed from the feed alone and never from the error streak.

Everything here is a function of its arguments, so the whole policy is tested with a fake
clock (``tests/test_schedule_policy.py``) and the scheduler and pipeline share one copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from jkwatch.model import Outcome

_PERIOD_S = {
    "hourly": 3600,
    "daily": 86_400,
    "weekly": 7 * 86_400,
    "monthly": 30 * 86_400,
    "yearly": 365 * 86_400,
}


@dataclass(frozen=True)
class SchedulePolicy:
    """The bounds of the schedule (configurable per deployment, see ``jkwatch schedule -h``)."""

    min_interval_s: int = 10 * 60
    max_interval_s: int = 6 * 3600
    default_interval_s: int = 30 * 60
    """For a feed whose posting rate is unknown (fewer than three dated entries)."""
    error_backoff_base_s: int = 5 * 60
    max_backoff_s: int = 24 * 3600
    jitter_fraction: float = 0.1
    """Spread feeds over time so a hundred feeds added together are not fetched together."""
    disable_after_errors: int = 0
    """Disable a feed after this many consecutive failed attempts (0: never, keep backing off)."""

    def __post_init__(self) -> None:
        if not 0 <= self.min_interval_s <= self.max_interval_s:
            raise ValueError(
                f"the minimum interval ({self.min_interval_s} s) must not be negative or "
                f"above the maximum ({self.max_interval_s} s)"
            )
        if not 0 <= self.error_backoff_base_s <= self.max_backoff_s:
            raise ValueError("the error backoff base must not be negative or above its cap")
        if not 0 <= self.jitter_fraction < 1:
            raise ValueError("jitter_fraction must be in [0, 1)")
        if self.disable_after_errors < 0:
            raise ValueError("disable_after_errors must not be negative (0 means never)")


@dataclass(frozen=True)
class Observation:
    """What the last attempt told us about the feed."""

    outcome: Outcome
    error_count: int = 0
    """Consecutive errors including this attempt (0 after a success)."""
    publish_times: Sequence[datetime] = ()
    """Publication times of the entries in the feed (for the posting rate)."""
    feed_ttl_s: int | None = None
    """What the feed asked for: RSS ``ttl`` or ``sy:updatePeriod`` (see ``update_period_s``)."""
    max_age_s: float | None = None
    retry_after_s: float | None = None
    feed_min_interval_s: int | None = None
    """The per-feed minimum configured by the user (``min_interval_s`` in feeds.toml)."""
    previous_interval_s: int | None = None
    """The normal interval stored last time, used when the posting rate cannot be measured."""


def update_period_s(period: str | None, frequency: int | str | None = None) -> int | None:
    """Seconds between updates from ``sy:updatePeriod``/``sy:updateFrequency``; None if unusable."""
    if not period:
        return None
    seconds = _PERIOD_S.get(period.strip().lower())
    if seconds is None:
        return None
    try:
        times = int(frequency) if frequency not in (None, "") else 1
    except (TypeError, ValueError):
        times = 1
    return seconds // max(1, times)


def posting_interval_s(publish_times: Sequence[datetime], policy: SchedulePolicy) -> int | None:
    """Half the median gap between recent entries, or None when there are too few to tell."""
    times = sorted(t for t in publish_times if t is not None)[-20:]
    if len(times) < 3:
        return None
    gaps = sorted((b - a).total_seconds() for a, b in zip(times, times[1:], strict=False))
    median = gaps[len(gaps) // 2]
    # Poll about twice per posting gap: new items wait half a gap on average.
    return int(median / 2)


def _floor_s(obs: Observation, policy: SchedulePolicy) -> int:
    return max(policy.min_interval_s, obs.feed_min_interval_s or 0)


def normal_interval_s(obs: Observation, policy: SchedulePolicy) -> int:
    """The interval for a healthy feed, before error backoff."""
    interval = posting_interval_s(obs.publish_times, policy)
    if interval is None:
        interval = obs.previous_interval_s or policy.default_interval_s
    floor = _floor_s(obs, policy)
    interval = max(floor, min(policy.max_interval_s, interval))
    for asked in (obs.feed_ttl_s, obs.max_age_s):
        if asked:
            # The publisher's wish raises the interval, but never past our own maximum.
            interval = max(interval, min(int(asked), policy.max_interval_s))
    return interval


def error_delay_s(error_count: int, policy: SchedulePolicy, floor: int = 0) -> int:
    """Exponential backoff: base, 2x base, 4x base ... capped at ``max_backoff_s``."""
    exponent = min(max(error_count, 1) - 1, 30)  # the cap is reached long before 2**30
    delay = min(policy.max_backoff_s, policy.error_backoff_base_s * 2**exponent)
    return max(delay, policy.min_interval_s, floor)


def next_fetch(
    now: datetime, obs: Observation, policy: SchedulePolicy = SchedulePolicy(), key: str = ""
) -> tuple[datetime, int]:
    """``(next fetch time, normal interval)`` after an attempt that ended at ``now``.

    ``key`` (the feed URL) seeds a deterministic jitter so feeds drift apart reproducibly.
    Jitter only lengthens a delay and never past the applicable ceiling (``max_interval_s``
    for healthy feeds, ``max_backoff_s`` for failing ones); ``Retry-After`` is honoured up to
    ``max_backoff_s`` so a hostile header cannot silence a feed for a year.
    """
    normal = normal_interval_s(obs, policy)
    floor = _floor_s(obs, policy)
    if obs.outcome == "error" and obs.error_count > 0:
        delay = error_delay_s(obs.error_count, policy, floor)
        ceiling = max(policy.max_backoff_s, floor)
    else:
        delay = normal
        ceiling = max(policy.max_interval_s, normal)
    delay = min(ceiling, delay + int(delay * policy.jitter_fraction * _unit_jitter(key, now)))
    if obs.retry_after_s and obs.retry_after_s > 0:
        delay = max(delay, min(int(obs.retry_after_s), policy.max_backoff_s))
    return now + timedelta(seconds=delay), normal


def _unit_jitter(key: str, now: datetime) -> float:
    digest = hashlib.blake2b(f"{key}|{int(now.timestamp()) // 60}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") / 0xFFFFFFFF
