"""The alerts engine on real databases: events, the ledger, retries, quiet hours, rate limits,
scheduled briefs, and exactly-once delivery across workers. Channels are a recording double
here; ``test_alerts_end_to_end`` sends through the real email and webhook channels."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from jkwatch.alerts.config import BriefSpec
from jkwatch.alerts.engine import AlertsEngine, DeliverySettings
from jkwatch.alerts.message import DeliveryError
from jkwatch.alerts.timing import parse_quiet_hours, parse_schedule
from jkwatch.db import deliveries as ledger
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.models import AlertDelivery
from jkwatch.db.query_filters import RELEVANT_BUCKET, Filters
from jkwatch.db.trends import spikes_in_range
from tests.alerts_support import (
    Clock,
    Recorder,
    config,
    seed_two_country_story,
    spike_rule,
    watch_rule,
)
from tests.brief_corpus import UNTIL, plan, seed_brief

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def _rows(sessions):
    with sessions() as s:
        return list(s.scalars(select(AlertDelivery).order_by(AlertDelivery.id)))


def _engine(sessions, cfg, recorder, clock, **settings):
    return AlertsEngine(
        sessions,
        cfg,
        deliver=recorder,
        clock=clock,
        worker="w1",
        settings=DeliverySettings(**settings),
    )


@pytest.fixture
def brief_db(sessions):
    items, ids = seed_brief(sessions)
    return sessions, items, ids


def test_a_planted_spike_sends_one_message_per_channel_with_theme_numbers_and_links(brief_db):
    sessions, items, _ = brief_db
    recorder = Recorder()
    summary = _engine(sessions, config(spike_rule()), recorder, Clock(NOW)).run()

    assert [o.status for o in summary.outcomes] == ["sent", "sent"]
    assert sorted(name for name, _ in recorder.sent) == ["desk", "team"]
    message = recorder.sent[0][1]
    with sessions() as s:
        (episode,) = [
            e
            for e in spikes_in_range(
                s,
                Filters(themes=("nk_weapons",), min_bucket=RELEVANT_BUCKET),
                NOW.date() - timedelta(days=28),
                NOW.date(),
            )
            if e.direction == "rise"
        ]
    assert message.event_key == f"spike:nk_weapons:{episode.start.isoformat()}"
    assert "North Korean weapons" in message.subject
    assert f"{episode.count} relevant items" in message.text
    assert f"z = {episode.z:g}" in message.text
    assert message.data["count"] == episode.count and message.data["z"] == episode.z
    planted = {
        it.url
        for it in items
        if "nk_weapons" in it.themes and it.relevance >= 0.5 and episode.start <= it.day
    }
    assert message.items and {link.url for link in message.items} <= planted
    assert all(link.url in message.text for link in message.items)
    assert [r.status for r in _rows(sessions)] == ["sent", "sent"]


def test_a_second_run_a_restart_and_a_later_evaluation_send_nothing_again(brief_db):
    sessions, _, _ = brief_db
    recorder = Recorder()
    clock = Clock(NOW)
    _engine(sessions, config(spike_rule()), recorder, clock).run()
    _engine(sessions, config(spike_rule()), recorder, clock).run()
    clock.advance(hours=6)
    again = _engine(sessions, config(spike_rule()), recorder, clock).run()

    assert len(recorder.sent) == 2
    assert {o.status for o in again.outcomes} == {"recorded"}
    assert len(_rows(sessions)) == 2


def test_a_failing_channel_is_retried_with_backoff_then_given_up_and_recorded(brief_db):
    sessions, _, _ = brief_db
    recorder = Recorder(failing={"team": DeliveryError("webhook team: HTTP 503 from host", True)})
    clock = Clock(NOW)
    engine = _engine(
        sessions,
        config(spike_rule()),
        recorder,
        clock,
        max_attempts=3,
        backoff=timedelta(minutes=1),
    )
    engine.run()
    team = next(r for r in _rows(sessions) if r.channel == "team")
    assert (team.status, team.attempts) == ("pending", 1)
    assert team.next_attempt_at == NOW + timedelta(minutes=1)
    assert team.last_error == "webhook team: HTTP 503 from host"

    clock.advance(seconds=30)  # not due yet
    engine.run()
    assert recorder.attempts.count("team") == 1

    clock.advance(seconds=31)
    engine.run()
    team = next(r for r in _rows(sessions) if r.channel == "team")
    assert (team.status, team.attempts) == ("pending", 2)
    assert team.next_attempt_at == clock.now + timedelta(minutes=2)  # doubled

    clock.advance(minutes=2)
    engine.run()
    clock.advance(hours=1)
    engine.run()
    rows = {r.channel: r for r in _rows(sessions)}
    assert (rows["team"].status, rows["team"].attempts) == ("failed", 3)
    assert rows["team"].last_error == "webhook team: HTTP 503 from host"
    assert recorder.attempts.count("team") == 3
    assert (rows["desk"].status, rows["desk"].attempts) == ("sent", 1)


def test_a_permanent_failure_is_not_retried(brief_db):
    sessions, _, _ = brief_db
    recorder = Recorder(failing={"desk": DeliveryError("email desk: 550 rejected", False)})
    clock = Clock(NOW)
    engine = _engine(sessions, config(spike_rule()), recorder, clock)
    engine.run()
    clock.advance(hours=2)
    engine.run()
    desk = next(r for r in _rows(sessions) if r.channel == "desk")
    assert (desk.status, desk.attempts, desk.last_error) == (
        "failed",
        1,
        "email desk: 550 rejected",
    )


def test_an_unexpected_channel_exception_is_recorded_by_type_only_never_its_text(brief_db):
    sessions, _, _ = brief_db

    class Boom(Exception):
        pass

    def deliver(spec, message):
        raise Boom("password=hunter2 leaked in a library message")

    rule = spike_rule(channels=("desk",))
    AlertsEngine(sessions, config(rule), deliver=deliver, clock=Clock(NOW), worker="w").run()
    (row,) = _rows(sessions)
    assert row.status == "pending"  # retried: it may be transient
    assert row.last_error == "unexpected Boom in channel desk"
    with sessions() as s:
        assert "hunter2" not in repr(ledger.delivery_log(s))


def test_quiet_hours_hold_an_alert_until_they_end_then_send_it(brief_db):
    sessions, _, _ = brief_db
    seoul = ZoneInfo("Asia/Seoul")
    rule = spike_rule(quiet_hours=parse_quiet_hours("22:00-07:00", seoul), timezone=seoul)
    recorder = Recorder()
    clock = Clock(datetime(2026, 11, 15, 14, 0, tzinfo=UTC))  # 23:00 in Seoul
    engine = _engine(sessions, config(rule), recorder, clock)

    summary = engine.run()
    assert [o.status for o in summary.outcomes] == ["held", "held"]
    assert recorder.sent == []
    release = datetime(2026, 11, 16, 7, 0, tzinfo=seoul)
    assert {r.next_attempt_at for r in _rows(sessions)} == {release}

    clock.now = release - timedelta(minutes=1)
    engine.run()
    assert recorder.sent == []

    clock.now = release + timedelta(seconds=1)
    engine.run()
    assert sorted(name for name, _ in recorder.sent) == ["desk", "team"]
    assert {r.status for r in _rows(sessions)} == {"sent"}


def test_a_held_alert_whose_rule_was_disabled_meanwhile_is_cancelled_not_sent(brief_db):
    sessions, _, _ = brief_db
    seoul = ZoneInfo("Asia/Seoul")
    rule = spike_rule(quiet_hours=parse_quiet_hours("22:00-07:00", seoul), timezone=seoul)
    recorder = Recorder()
    clock = Clock(datetime(2026, 11, 15, 14, 0, tzinfo=UTC))  # 23:00 in Seoul: held
    assert {o.status for o in _engine(sessions, config(rule), recorder, clock).run().outcomes} == {
        "held"
    }

    clock.now = datetime(2026, 11, 16, 8, 0, tzinfo=seoul)  # released, but the rule is off now
    disabled = spike_rule(enabled=False, quiet_hours=rule.quiet_hours, timezone=seoul)
    summary = _engine(sessions, config(disabled), recorder, clock).run()

    assert recorder.sent == []
    assert [o.status for o in summary.outcomes] == ["cancelled", "cancelled"]
    rows = _rows(sessions)
    assert {r.status for r in rows} == {"cancelled"}
    assert all("disabled or removed" in (r.last_error or "") for r in rows)


def test_the_rate_limit_records_excess_events_as_suppressed_and_sends_none_of_them(brief_db):
    sessions, items, _ = brief_db
    rule = watch_rule(max_per_day=2, query="missile", channels=("desk",))
    recorder = Recorder()
    clock = Clock(NOW)
    engine = _engine(sessions, config(rule), recorder, clock)
    summary = engine.run()

    matching = [
        it for it in items if "Missile" in it.title and it.published_at >= NOW - timedelta(days=30)
    ]
    assert len(matching) > 2
    assert len(recorder.sent) == 2
    assert summary.count("suppressed") == len(matching) - 2
    with sessions() as s:
        log = ledger.delivery_log(s)
    assert sorted(r.status for r in log) == ["sent", "sent"] + ["suppressed"] * (len(matching) - 2)

    clock.advance(hours=25)  # the window has moved on, but recorded events stay recorded
    engine.run()
    assert len(recorder.sent) == 2


def test_a_watch_rule_alerts_once_per_matching_item(brief_db):
    sessions, items, ids = brief_db
    recorder = Recorder()
    clock = Clock(NOW)
    _engine(sessions, config(watch_rule()), recorder, clock).run()
    salvo = sorted(ids[it.key] for it in items if "salvo" in it.title.lower())
    assert len(salvo) == 7  # six reports of the event and one follow-up
    assert sorted(key for _, key in recorder.delivered()) == sorted(
        f"watch:salvo-watch:item:{i}" for i in salvo
    )
    clock.advance(hours=1)
    _engine(sessions, config(watch_rule()), recorder, clock).run()
    assert len(recorder.sent) == 7


def test_a_story_rule_alerts_when_both_countries_press_carry_a_new_story(sessions):
    ids = seed_two_country_story(sessions)
    rule = watch_rule(
        type="story",
        name="both",
        query="",
        min_outlets=3,
        both_countries=True,
        lookback=timedelta(days=2),
    )
    recorder = Recorder()
    now = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
    _engine(sessions, config(rule), recorder, Clock(now)).run()
    story = min(ids["shared-jp"], ids["shared-kr"], ids["shared-wire"])
    assert [m.event_key for _, m in recorder.sent] == [f"story:{story}:outlets>=3:both-countries"]
    message = recorder.sent[0][1]
    assert message.data["outlets"] == 3
    assert set(message.data["outlets_by_country"]) >= {"jp", "kr"}
    assert {link.item_id for link in message.items} == {
        ids["shared-jp"],
        ids["shared-kr"],
        ids["shared-wire"],
    }


def test_a_watch_on_an_entity_finds_the_items_naming_it(sessions):
    ids = seed_two_country_story(sessions)
    rule = watch_rule(query="", entity="dokdo", lookback=timedelta(days=2))
    recorder = Recorder()
    _engine(sessions, config(rule), recorder, Clock(datetime(2026, 11, 21, tzinfo=UTC))).run()
    assert sorted(m.data["item_id"] for _, m in recorder.sent) == sorted(
        [ids["shared-jp"], ids["shared-kr"]]
    )


def _morning(**overrides):
    values = {
        "name": "morning",
        "schedule": parse_schedule("daily 07:00", ZoneInfo("Asia/Tokyo")),
        "days": 7,
        "channels": ("desk",),
    }
    values.update(overrides)
    return BriefSpec(**values)


def test_a_brief_due_on_a_fake_clock_is_sent_once_and_not_again_on_rerun_or_restart(brief_db):
    sessions, _, _ = brief_db
    recorder = Recorder()
    tokyo = ZoneInfo("Asia/Tokyo")
    clock = Clock(datetime(2026, 11, 16, 6, 59, tzinfo=tokyo))
    cfg = config(briefs=(_morning(),))
    # Before the first 07:00 since the start, the latest slot (yesterday's) is the one due.
    engine = _engine(sessions, cfg, recorder, clock)
    clock.now = datetime(2026, 11, 16, 7, 0, tzinfo=tokyo)
    engine.run()
    assert [m.event_key for _, m in recorder.sent] == ["brief:morning:2026-11-16T07:00+09:00"]
    message = recorder.sent[0][1]
    assert message.kind == "brief"
    assert message.html and message.html.lstrip().lower().startswith("<!doctype html")
    assert message.text.startswith(f"# Brief: 2026-11-09 to {UNTIL.isoformat()} (UTC)")
    assert "Missile salvo over the sea" in message.text

    clock.advance(minutes=30)
    engine.run()
    _engine(sessions, cfg, recorder, clock).run()  # a restart
    assert len(recorder.sent) == 1

    clock.now = datetime(2026, 11, 17, 7, 0, 5, tzinfo=tokyo)
    engine.run()
    assert [m.event_key for _, m in recorder.sent][1:] == ["brief:morning:2026-11-17T07:00+09:00"]


def test_after_downtime_only_the_latest_missed_brief_is_sent(brief_db):
    sessions, _, _ = brief_db
    recorder = Recorder()
    tokyo = ZoneInfo("Asia/Tokyo")
    clock = Clock(datetime(2026, 11, 20, 12, 0, tzinfo=tokyo))  # slots of 17..20 Nov passed
    _engine(sessions, config(briefs=(_morning(),)), recorder, clock).run()
    assert [m.event_key for _, m in recorder.sent] == ["brief:morning:2026-11-20T07:00+09:00"]


def test_a_dry_run_records_and_sends_nothing(brief_db):
    sessions, _, _ = brief_db
    recorder = Recorder()
    summary = _engine(
        sessions, config(spike_rule(), briefs=(_morning(),)), recorder, Clock(NOW)
    ).run(dry_run=True)
    assert summary.count("would-send") == 3
    assert recorder.attempts == []
    assert _rows(sessions) == []


def test_a_delivery_whose_worker_died_after_claiming_is_retried_after_the_claim_lapses(brief_db):
    sessions, _, _ = brief_db
    clock = Clock(NOW)
    message_rule = spike_rule(channels=("desk",))
    preview = _engine(sessions, config(message_rule), Recorder(), clock).preview(message_rule)
    from jkwatch.alerts.payload import to_payload

    with sessions.begin() as s:  # the dead worker's claim, never recorded
        ledger.claim_new(
            s,
            rule="nk-spike",
            event_key=preview[0].event_key,
            channel="desk",
            kind="spike",
            subject="x",
            payload=to_payload(preview[0]),
            now=NOW,
            worker="dead",
            lease=timedelta(minutes=5),
        )
    recorder = Recorder()
    engine = _engine(sessions, config(message_rule), recorder, clock)
    engine.run()
    assert recorder.sent == []  # the claim is live
    clock.advance(minutes=5, seconds=1)
    engine.run()
    assert [key for _, key in recorder.delivered()] == [preview[0].event_key]
    (row,) = _rows(sessions)
    assert (row.status, row.attempts) == ("sent", 2)


def test_one_failing_rule_does_not_stop_the_others(brief_db):
    sessions, _, _ = brief_db
    broken = spike_rule(name="broken", lookback=timedelta(days=10**6))  # dates overflow
    recorder = Recorder()
    summary = _engine(sessions, config(broken, spike_rule()), recorder, Clock(NOW)).run()
    assert [name for name, _ in summary.errors] == ["broken"]
    assert "OverflowError" in summary.errors[0][1]
    assert len(recorder.sent) == 2


@pytest.mark.slow
def test_four_workers_on_postgresql_deliver_each_alert_exactly_once(pg_url):
    from jkwatch.db.migrate import upgrade

    engine = make_engine(pg_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    seed_brief(sessions)
    rules = (spike_rule(), watch_rule(channels=("desk", "team")))
    recorder = Recorder(pause_s=0.02)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        own = make_sessionmaker(make_engine(pg_url))
        worker = AlertsEngine(
            own,
            config(*rules, briefs=(_morning(channels=("desk", "team")),)),
            deliver=recorder,
            clock=lambda: NOW,
            worker=f"w{n}",
        )
        start.wait()
        try:
            worker.run()
            worker.run()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    engine.dispose()
    assert errors == []
    keys = recorder.delivered()
    assert len(keys) == len(set(keys))
    salvo = sum("salvo" in it.title.lower() for it in plan())
    assert len(keys) == 2 * (1 + salvo + 1)  # spike, each salvo item, the brief; two channels
    assert {r.status for r in _rows(sessions)} == {"sent"}


@pytest.mark.slow
def test_workers_racing_for_due_retries_on_postgresql_claim_each_once(pg_url):
    from jkwatch.alerts.message import Message
    from jkwatch.alerts.payload import to_payload
    from jkwatch.db.migrate import upgrade

    engine = make_engine(pg_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as s:
        for n in range(12):
            message = Message(f"watch:w:item:{n}", "watch", "w", f"item {n}", "text", NOW)
            for channel in ("desk", "team"):
                ledger.claim_new(
                    s,
                    rule="w",
                    event_key=message.event_key,
                    channel=channel,
                    kind="watch",
                    subject=message.subject,
                    payload=to_payload(message),
                    now=NOW,
                    status=ledger.HELD,
                    next_attempt_at=NOW,
                )
    recorder = Recorder(pause_s=0.01)
    start = threading.Barrier(4)
    rules = config(watch_rule(name="w", channels=("desk", "team")))

    def work(n: int) -> None:
        own = make_sessionmaker(make_engine(pg_url))
        worker = AlertsEngine(own, rules, deliver=recorder, clock=lambda: NOW, worker=f"w{n}")
        start.wait()
        worker.retry_due()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    engine.dispose()
    keys = recorder.delivered()
    assert len(keys) == 24 and len(set(keys)) == 24
    assert {(r.status, r.attempts) for r in _rows(sessions)} == {("sent", 1)}


def test_a_receivers_retry_after_longer_than_the_backoff_is_respected(brief_db):
    sessions, _, _ = brief_db
    busy = DeliveryError("webhook team: HTTP 429", True, retry_after_s=600)
    recorder = Recorder(failing={"team": busy})
    _engine(sessions, config(spike_rule()), recorder, Clock(NOW)).run()
    team = next(r for r in _rows(sessions) if r.channel == "team")
    assert team.next_attempt_at == NOW + timedelta(minutes=10)


def test_the_scheduler_tick_evaluates_rules_after_ingest_at_start_and_every_ten_minutes(brief_db):
    sessions, _, _ = brief_db
    recorder = Recorder()
    clock = Clock(NOW)
    engine = _engine(sessions, config(watch_rule()), recorder, clock)
    engine.tick(ingested=False)  # the first tick evaluates
    assert len(recorder.sent) == 7
    with sessions.begin() as s:  # forget them, to see whether the next ticks evaluate
        s.execute(AlertDelivery.__table__.delete())
    engine.tick(ingested=False)
    assert len(recorder.sent) == 7
    engine.tick(ingested=True)
    assert len(recorder.sent) == 14
    with sessions.begin() as s:
        s.execute(AlertDelivery.__table__.delete())
    clock.advance(minutes=10)
    engine.tick(ingested=False)
    assert len(recorder.sent) == 21
