"""The interval policy, driven by a fake clock: the policy never reads the real time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from jkwatch.ingest.schedule import (
    Observation,
    SchedulePolicy,
    error_delay_s,
    next_fetch,
    update_period_s,
)

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NO_JITTER = SchedulePolicy(jitter_fraction=0.0)
MIN, HOUR = 60, 3600


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance_to(self, when: datetime) -> None:
        assert when >= self.now
        self.now = when


def posts_every(gap: timedelta, count: int = 10, end: datetime = START) -> list[datetime]:
    return [end - gap * i for i in range(count)]


def delay_s(obs: Observation, policy: SchedulePolicy = NO_JITTER, now: datetime = START) -> float:
    at, _ = next_fetch(now, obs, policy, key="http://example.com/feed")
    return (at - now).total_seconds()


def test_a_fast_feed_is_polled_at_the_minimum_interval():
    obs = Observation("ok", publish_times=posts_every(timedelta(minutes=2)))
    assert delay_s(obs) == 10 * MIN


def test_a_feed_posting_hourly_is_polled_every_half_hour():
    obs = Observation("ok", publish_times=posts_every(timedelta(hours=1)))
    assert delay_s(obs) == 30 * MIN


def test_a_slow_feed_is_polled_at_the_maximum_interval():
    obs = Observation("ok", publish_times=posts_every(timedelta(days=2)))
    assert delay_s(obs) == 6 * HOUR


def test_a_feed_with_too_few_dated_entries_keeps_its_previous_interval_or_the_default():
    two_posts = posts_every(timedelta(minutes=1), count=2)
    assert delay_s(Observation("ok", publish_times=two_posts)) == 30 * MIN
    assert delay_s(Observation("ok", publish_times=two_posts, previous_interval_s=2 * HOUR)) == (
        2 * HOUR
    )


def test_the_posting_rate_ignores_one_burst_among_regular_posts():
    times = posts_every(timedelta(hours=2), count=9) + [START - timedelta(seconds=30)]
    assert delay_s(Observation("ok", publish_times=times)) == 1 * HOUR


def test_a_failing_feed_backs_off_exponentially_up_to_the_cap():
    clock = FakeClock()
    delays = []
    for streak in range(1, 12):
        at, _ = next_fetch(clock(), Observation("error", error_count=streak), NO_JITTER)
        delays.append((at - clock()).total_seconds())
        clock.advance_to(at)
    assert delays[:6] == [10 * MIN, 10 * MIN, 20 * MIN, 40 * MIN, 80 * MIN, 160 * MIN]
    assert delays[-1] == 24 * HOUR
    assert max(delays) == NO_JITTER.max_backoff_s
    assert delays == sorted(delays)


def test_backoff_starts_at_the_configured_base_when_it_is_above_the_minimum():
    policy = SchedulePolicy(min_interval_s=60, error_backoff_base_s=5 * MIN, jitter_fraction=0)
    assert [error_delay_s(n, policy) for n in (1, 2, 3)] == [5 * MIN, 10 * MIN, 20 * MIN]


def test_a_huge_error_streak_stays_at_the_cap():
    assert error_delay_s(10_000, NO_JITTER) == NO_JITTER.max_backoff_s


def test_a_recovering_feed_returns_to_its_normal_interval_at_once():
    clock = FakeClock()
    hourly = posts_every(timedelta(hours=1))
    _, normal = next_fetch(clock(), Observation("ok", publish_times=hourly), NO_JITTER)
    for streak in range(1, 8):
        at, _ = next_fetch(
            clock(), Observation("error", error_count=streak, previous_interval_s=normal), NO_JITTER
        )
        clock.advance_to(at)
    assert (at - START) > timedelta(hours=10)
    recovered, interval = next_fetch(
        clock(), Observation("ok", publish_times=hourly, previous_interval_s=normal), NO_JITTER
    )
    assert interval == normal == 30 * MIN
    assert recovered - clock() == timedelta(minutes=30)


def test_retry_after_postpones_the_next_fetch():
    obs = Observation("error", error_count=1, retry_after_s=3 * HOUR)
    assert delay_s(obs) == 3 * HOUR
    assert delay_s(Observation("not_modified", retry_after_s=2 * HOUR)) == 2 * HOUR


def test_retry_after_never_shortens_the_backoff():
    assert delay_s(Observation("error", error_count=5, retry_after_s=1)) == 80 * MIN


def test_an_absurd_retry_after_is_capped_at_the_maximum_backoff():
    obs = Observation("error", error_count=1, retry_after_s=365 * 86400)
    assert delay_s(obs) == NO_JITTER.max_backoff_s


def test_the_feed_ttl_raises_the_interval_but_not_past_the_maximum():
    fast = posts_every(timedelta(minutes=2))
    assert delay_s(Observation("ok", publish_times=fast, feed_ttl_s=2 * HOUR)) == 2 * HOUR
    assert delay_s(Observation("ok", publish_times=fast, feed_ttl_s=7 * 86400)) == 6 * HOUR


def test_a_short_ttl_does_not_shorten_the_interval():
    slow = posts_every(timedelta(hours=4))
    assert delay_s(Observation("ok", publish_times=slow, feed_ttl_s=60)) == 2 * HOUR


def test_cache_control_max_age_raises_the_interval():
    fast = posts_every(timedelta(minutes=2))
    assert delay_s(Observation("not_modified", publish_times=fast, max_age_s=45 * MIN)) == 45 * MIN


def test_sy_update_period_converts_to_seconds():
    assert update_period_s("hourly") == HOUR
    assert update_period_s("daily", 4) == 6 * HOUR
    assert update_period_s("Weekly", "2") == 7 * 86400 // 2
    assert update_period_s("daily", "junk") == 86400
    assert update_period_s("fortnightly") is None
    assert update_period_s(None) is None


def test_the_per_feed_minimum_applies_to_healthy_and_failing_feeds():
    fast = posts_every(timedelta(minutes=2))
    assert delay_s(Observation("ok", publish_times=fast, feed_min_interval_s=2 * HOUR)) == 2 * HOUR
    failing = Observation("error", error_count=1, feed_min_interval_s=2 * HOUR)
    assert delay_s(failing) == 2 * HOUR


def test_a_per_feed_minimum_above_the_maximum_interval_wins():
    obs = Observation("ok", feed_min_interval_s=12 * HOUR)
    assert delay_s(obs) == 12 * HOUR


def test_the_bounds_are_configurable():
    policy = SchedulePolicy(min_interval_s=2 * MIN, max_interval_s=1 * HOUR, jitter_fraction=0)
    assert delay_s(Observation("ok", publish_times=posts_every(timedelta(seconds=30))), policy) == (
        2 * MIN
    )
    assert delay_s(Observation("ok", publish_times=posts_every(timedelta(days=1))), policy) == HOUR


def test_inconsistent_bounds_are_rejected():
    with pytest.raises(ValueError, match="minimum interval"):
        SchedulePolicy(min_interval_s=2 * HOUR, max_interval_s=HOUR)
    with pytest.raises(ValueError, match="backoff"):
        SchedulePolicy(error_backoff_base_s=2 * 86400)


def test_jitter_only_lengthens_and_stays_within_ten_percent_and_the_ceiling():
    policy = SchedulePolicy()
    obs = Observation("ok", publish_times=posts_every(timedelta(hours=1)))
    delays = set()
    for minute in range(200):
        now = START + timedelta(minutes=minute)
        for n in range(5):
            at, normal = next_fetch(now, obs, policy, key=f"http://example.com/{n}")
            delays.add((at - now).total_seconds())
            assert normal <= (at - now).total_seconds() <= normal * 1.1
    assert len(delays) > 50
    top = Observation("ok", publish_times=posts_every(timedelta(days=3)))
    for minute in range(50):
        now = START + timedelta(minutes=minute)
        at, _ = next_fetch(now, top, policy, key="k")
        assert at - now == timedelta(hours=6)


def test_jitter_is_deterministic_for_the_same_feed_and_minute():
    obs = Observation("ok", publish_times=posts_every(timedelta(hours=1)))
    assert next_fetch(START, obs, key="a") == next_fetch(START, obs, key="a")


def test_a_fake_day_of_an_hourly_feed_costs_about_two_fetches_per_post():
    clock = FakeClock()
    policy = SchedulePolicy()
    fetches = 0
    while clock() < START + timedelta(days=1):
        history = [t for t in posts_every(timedelta(hours=1), count=48, end=clock())]
        at, _ = next_fetch(clock(), Observation("ok", publish_times=history), policy, key="f")
        clock.advance_to(at)
        fetches += 1
    assert 40 <= fetches <= 48


def test_a_not_modified_answer_keeps_the_normal_interval():
    obs = Observation("not_modified", previous_interval_s=HOUR)
    assert delay_s(obs) == HOUR
    assert delay_s(replace(obs, outcome="unchanged")) == HOUR
