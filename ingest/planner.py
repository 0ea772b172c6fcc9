"""What to do with a feed after one attempt: a pure decision, executed by ``ingest.pipeline``.

Given the stored feed, the fetch result (a 304 or a 410 is a value like any other), what the
pure stages made of the body and the time, ``plan_update`` returns an ``UpdatePlan``: the
outcome, whether entries are stored, the validators to keep, the next check time, the error
streak, whether the feed is disabled and whether its URL moves. The next check time after a
failure is planned first and carried in every plan, so whichever way the pipeline's
transaction ends, a next check time gets stored.

Nothing here touches the network, the database or the clock, so each edge case is one small
test (``tests/test_planner.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from jkwatch.ingest.fetch_api import FetchResult
from jkwatch.ingest.language import normalize_language
from jkwatch.ingest.parse import ParsedFeed
from jkwatch.ingest.schedule import Observation, SchedulePolicy, next_fetch
from jkwatch.model import FeedRecord, FeedUpdate, Outcome


@dataclass(frozen=True)
class Processed:
    """What the pure stages made of a fetched body (empty when there was no body to read)."""

    parsed: ParsedFeed | None = None
    publish_times: tuple[datetime, ...] = ()
    """Trustworthy publication times of the entries (for the posting rate)."""
    error: str | None = None
    """Why the body could not be read (a parse error, a bug in one feed's data)."""


@dataclass(frozen=True)
class UpdatePlan:
    """The decision for one feed after one attempt; the pipeline only carries it out."""

    outcome: Outcome
    store_entries: bool
    """True only for a new body that was read: anything else stores no entries."""
    update: FeedUpdate
    """The feed's new state when the attempt is recorded as planned."""
    retry_at: datetime
    """The next check time after a failure, computed before anything else."""
    error: str | None = None
    warning: str | None = None

    @property
    def next_fetch_at(self) -> datetime:
        return self.update.next_fetch_at

    def failed(self, feed: FeedRecord, policy: SchedulePolicy) -> FeedUpdate:
        """The feed's state when storing the planned attempt failed: an error, validators kept."""
        streak = feed.error_count + 1
        return FeedUpdate(
            next_fetch_at=self.retry_at,
            error_count=streak,
            disable_reason=_streak_reason(streak, policy),
            keep_validators=True,
        )


def plan_update(
    feed: FeedRecord,
    fetched: FetchResult,
    processed: Processed,
    now: datetime,
    policy: SchedulePolicy = SchedulePolicy(),
) -> UpdatePlan:
    """Decide the feed's fate after ``fetched`` (and ``processed``, its body read) at ``now``."""
    retry_at, _ = _schedule(feed, fetched, now, "error", (), None, policy)
    outcome, error = _outcome(fetched, processed)
    if outcome == "error":
        streak = feed.error_count + 1
        update = FeedUpdate(
            next_fetch_at=retry_at,
            error_count=streak,
            disable_reason=_streak_reason(streak, policy),
            keep_validators=True,
        )
        return UpdatePlan(outcome, False, update, retry_at, error=error)
    parsed = processed.parsed if outcome == "ok" else None
    next_at, interval = _schedule(
        feed, fetched, now, outcome, processed.publish_times, parsed, policy
    )
    update = FeedUpdate(
        next_fetch_at=next_at,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        body_hash=fetched.body_hash,
        interval_s=interval,
        feed_ttl_s=parsed.ttl_s if parsed else None,
        title=parsed.title if parsed else None,
        site_url=parsed.link if parsed else None,
        language=normalize_language(parsed.language) if parsed else None,
        new_url=fetched.permanent_redirect,
        disable_reason=_gone_reason(fetched) if outcome == "gone" else None,
        error_count=0,
        # A 304 or a 410 carries no body: the validators of the last body read stay valid.
        keep_validators=outcome not in ("ok", "unchanged"),
    )
    warning = parsed.warning if parsed else None
    return UpdatePlan(outcome, outcome == "ok", update, retry_at, warning=warning)


def _outcome(fetched: FetchResult, processed: Processed) -> tuple[Outcome, str | None]:
    if fetched.kind == "error":
        return "error", fetched.error or "fetch failed"
    if fetched.kind == "ok" and (processed.error or processed.parsed is None):
        return "error", processed.error or "the feed was fetched but not read"
    return fetched.kind, None


def _schedule(
    feed: FeedRecord,
    fetched: FetchResult,
    now: datetime,
    outcome: Outcome,
    publish_times: Sequence[datetime],
    parsed: ParsedFeed | None,
    policy: SchedulePolicy,
) -> tuple[datetime, int]:
    observation = Observation(
        outcome=outcome,
        error_count=(feed.error_count + 1) if outcome == "error" else 0,
        publish_times=publish_times,
        feed_ttl_s=(parsed.ttl_s if parsed else None) or feed.feed_ttl_s,
        max_age_s=fetched.max_age_s,
        retry_after_s=fetched.retry_after_s,
        feed_min_interval_s=feed.min_interval_s,
        previous_interval_s=feed.interval_s,
    )
    return next_fetch(now, observation, policy, key=feed.url)


def _streak_reason(streak: int, policy: SchedulePolicy) -> str | None:
    limit = policy.disable_after_errors
    if limit and streak >= limit:
        return f"disabled after {streak} failed attempts in a row"
    return None


def _gone_reason(fetched: FetchResult) -> str:
    return fetched.error or f"HTTP {fetched.status or 410}: the publisher says the feed is gone"
