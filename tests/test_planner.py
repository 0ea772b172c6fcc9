"""The update planner on its own: stored feed + fetch result + parse result + clock in, plan out.

No network, no database, no clock: every edge case of "what happens to this feed now" is one
test, named as the sentence it pins.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from jkwatch.ingest.fetch_api import FetchRequest, FetchResult
from jkwatch.ingest.parse import ParsedFeed
from jkwatch.ingest.planner import Processed, plan_update
from jkwatch.ingest.schedule import SchedulePolicy
from jkwatch.model import FeedRecord, Outcome

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
CALM = SchedulePolicy(jitter_fraction=0.0)

FEED = FeedRecord(
    id=7,
    url="https://news.example/feed.rss",
    name=None,
    title=None,
    site_url=None,
    language=None,
    kind="general",
    enabled=True,
    disabled_reason=None,
    min_interval_s=None,
    etag='"old"',
    last_modified="Sun, 01 Nov 2026 00:00:00 GMT",
    body_hash="oldhash",
    next_fetch_at=NOW,
    interval_s=None,
    feed_ttl_s=None,
    error_count=0,
    last_error=None,
    last_status="ok",
    last_http_status=200,
    last_fetch_at=None,
    last_success_at=None,
    last_new_item_at=None,
    lease_owner=None,
    lease_expires_at=None,
    created_at=NOW - timedelta(days=3),
)
PARSED = ParsedFeed(
    title="News", link="https://news.example/", language="en-GB", ttl_s=None, entries=()
)


def fetched(kind: Outcome, **fields: object) -> FetchResult:
    request = FetchRequest(FEED.id, FEED.url, FEED.etag, FEED.last_modified, FEED.body_hash)
    defaults: dict[str, object] = {"status": {"gone": 410, "not_modified": 304}.get(kind, 200)}
    if kind in ("ok", "unchanged"):
        defaults.update(etag='"new"', last_modified="Mon, 02 Nov 2026 11:00:00 GMT")
        defaults.update(body_hash="newhash" if kind == "ok" else "oldhash")
    defaults.update(fields)
    return FetchResult(request, kind, **defaults)  # type: ignore[arg-type]


def read(parsed: ParsedFeed = PARSED, *times: datetime) -> Processed:
    return Processed(parsed, tuple(times))


def test_a_new_body_that_was_read_stores_entries_and_takes_the_new_validators() -> None:
    plan = plan_update(FEED, fetched("ok"), read(), NOW, CALM)
    assert plan.outcome == "ok" and plan.store_entries and plan.error is None
    assert (plan.update.etag, plan.update.body_hash) == ('"new"', "newhash")
    assert not plan.update.keep_validators
    assert plan.update.error_count == 0


def test_a_new_body_carries_the_feed_metadata_with_the_language_normalised() -> None:
    plan = plan_update(FEED, fetched("ok"), read(replace(PARSED, ttl_s=7200)), NOW, CALM)
    assert (plan.update.title, plan.update.site_url) == ("News", "https://news.example/")
    assert plan.update.language == "en"
    assert plan.update.feed_ttl_s == 7200


def test_not_modified_stores_nothing_and_keeps_the_stored_validators() -> None:
    plan = plan_update(FEED, fetched("not_modified"), Processed(), NOW, CALM)
    assert plan.outcome == "not_modified" and not plan.store_entries
    assert plan.update.keep_validators
    assert plan.update.error_count == 0


def test_an_unchanged_body_stores_nothing_but_refreshes_the_validators() -> None:
    plan = plan_update(FEED, fetched("unchanged"), Processed(), NOW, CALM)
    assert plan.outcome == "unchanged" and not plan.store_entries
    assert not plan.update.keep_validators and plan.update.etag == '"new"'


def test_the_next_check_time_on_success_follows_the_schedule_policy() -> None:
    plan = plan_update(FEED, fetched("not_modified"), Processed(), NOW, CALM)
    assert plan.next_fetch_at == NOW + timedelta(seconds=CALM.default_interval_s)
    assert plan.update.interval_s == CALM.default_interval_s


def test_the_posting_rate_of_the_entries_read_sets_the_interval() -> None:
    hourly = [NOW - timedelta(hours=h) for h in range(6)]
    plan = plan_update(FEED, fetched("ok"), read(PARSED, *hourly), NOW, CALM)
    assert plan.update.interval_s == 30 * 60  # half the hourly gap


def test_a_fetch_error_keeps_validators_and_backs_off_with_a_growing_streak() -> None:
    failing = replace(FEED, error_count=2)
    plan = plan_update(
        failing, fetched("error", status=500, error="HTTP 500"), Processed(), NOW, CALM
    )
    assert (plan.outcome, plan.error) == ("error", "HTTP 500")
    assert not plan.store_entries and plan.update.keep_validators
    assert plan.update.error_count == 3
    assert plan.next_fetch_at == NOW + timedelta(seconds=4 * CALM.error_backoff_base_s)
    assert plan.update.disable_reason is None


def test_a_body_that_cannot_be_parsed_is_an_error_that_stores_nothing() -> None:
    plan = plan_update(FEED, fetched("ok"), Processed(error="not a feed"), NOW, CALM)
    assert (plan.outcome, plan.error) == ("error", "not a feed")
    assert not plan.store_entries and plan.update.keep_validators
    assert plan.update.error_count == 1


def test_the_retry_time_is_planned_even_when_the_attempt_succeeds() -> None:
    plan = plan_update(FEED, fetched("ok"), read(), NOW, CALM)
    first_backoff = max(CALM.error_backoff_base_s, CALM.min_interval_s)
    assert plan.retry_at == NOW + timedelta(seconds=first_backoff)


def test_a_failed_store_records_an_error_at_the_planned_retry_time_keeping_validators() -> None:
    plan = plan_update(FEED, fetched("ok"), read(), NOW, CALM)
    update = plan.failed(FEED, CALM)
    assert update.next_fetch_at == plan.retry_at
    assert update.keep_validators and update.error_count == 1


def test_retry_after_from_the_publisher_delays_the_next_attempt() -> None:
    limited = fetched("error", status=429, error="rate limited", retry_after_s=7200.0)
    plan = plan_update(FEED, limited, Processed(), NOW, CALM)
    assert plan.next_fetch_at == NOW + timedelta(hours=2)


def test_gone_disables_the_feed_with_the_publishers_reason() -> None:
    plan = plan_update(FEED, fetched("gone", error="HTTP 410 Gone"), Processed(), NOW, CALM)
    assert plan.outcome == "gone" and not plan.store_entries
    assert plan.update.disable_reason == "HTTP 410 Gone"
    assert plan.update.error_count == 0


def test_repeated_failure_disables_the_feed_when_the_policy_says_so() -> None:
    policy = replace(CALM, disable_after_errors=3)
    failing = replace(FEED, error_count=2)
    plan = plan_update(failing, fetched("error", error="HTTP 404"), Processed(), NOW, policy)
    assert plan.update.disable_reason == "disabled after 3 failed attempts in a row"
    assert plan.failed(failing, policy).disable_reason is not None


def test_repeated_failure_never_disables_by_default() -> None:
    failing = replace(FEED, error_count=500)
    plan = plan_update(failing, fetched("error", error="HTTP 404"), Processed(), NOW, CALM)
    assert plan.update.disable_reason is None


def test_a_permanent_redirect_moves_the_feed_url() -> None:
    moved = fetched("ok", permanent_redirect="https://news.example/new.rss")
    plan = plan_update(FEED, moved, read(), NOW, CALM)
    assert plan.update.new_url == "https://news.example/new.rss"


def test_a_redirect_that_ends_in_an_error_does_not_move_the_feed() -> None:
    broken = fetched("error", error="HTTP 500", permanent_redirect="https://news.example/x")
    plan = plan_update(FEED, broken, Processed(), NOW, CALM)
    assert plan.update.new_url is None


def test_a_parse_warning_travels_with_the_plan() -> None:
    plan = plan_update(FEED, fetched("ok"), read(replace(PARSED, warning="bozo")), NOW, CALM)
    assert plan.warning == "bozo" and plan.outcome == "ok"
