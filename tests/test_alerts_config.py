"""``alerts.toml``: the shipped example loads with everything off, and every mistake is one
error naming the file, the rule or brief, and the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jkwatch.alerts.config import load_alerts_config
from jkwatch.alerts.message import AlertsConfigError
from jkwatch.alerts.timing import parse_duration, parse_quiet_hours, parse_schedule, zone
from jkwatch.config import shipped

CHANNELS = """
[channels.desk]
type = "atom"
path = "alerts.xml"
"""


def _load(tmp_path: Path, body: str):
    path = tmp_path / "alerts.toml"
    path.write_text(CHANNELS + body, encoding="utf-8")
    return load_alerts_config(path)


def _error(tmp_path: Path, body: str) -> str:
    with pytest.raises(AlertsConfigError) as caught:
        _load(tmp_path, body)
    return str(caught.value)


def test_the_shipped_example_loads_and_enables_nothing():
    cfg = load_alerts_config(shipped("alerts.toml"))
    assert {r.type for r in cfg.rules} == {"spike", "story", "watch"}
    assert cfg.briefs
    assert not any(r.enabled for r in cfg.rules)
    assert not any(b.enabled for b in cfg.briefs)


def test_a_missing_file_means_no_rules(tmp_path):
    cfg = load_alerts_config(tmp_path / "nope.toml")
    assert (cfg.rules, cfg.briefs, dict(cfg.channels)) == ((), (), {})


def test_a_full_configuration_is_read_with_its_defaults(tmp_path):
    cfg = _load(
        tmp_path,
        """
[[rules]]
name = "spike"
type = "spike"
theme = "nk_weapons"
min_z = 2.5
channels = ["desk"]
max_per_day = 3
quiet_hours = "22:00-07:00"
timezone = "Asia/Seoul"

[[rules]]
name = "watch"
type = "watch"
entity = "dokdo"
query = "island"
min_relevance = 0.5
channels = ["desk"]

[[briefs]]
name = "weekly"
schedule = "weekly monday 08:00"
timezone = "Asia/Tokyo"
range = "7d"
channels = ["desk"]
""",
    )
    spike, watch = cfg.rules
    assert (spike.min_z, spike.min_count, spike.max_per_day) == (2.5, 5, 3)
    assert spike.quiet_hours is not None and spike.timezone.key == "Asia/Seoul"
    assert spike.lookback == timedelta(days=1)
    assert (watch.entity, watch.query, watch.min_relevance) == ("dokdo", "island", 0.5)
    (brief,) = cfg.briefs
    assert (brief.days, brief.schedule.weekday, brief.schedule.zone.key) == (7, 0, "Asia/Tokyo")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'name = "r"\ntype = "spike"\ntheme = "nk_weapons"\nchannels = ["nope"]',
            "rule 'r': channels: unknown channel 'nope'",
        ),
        (
            'name = "r"\ntype = "spike"\ntheme = "nk_weapon"\nchannels = ["desk"]',
            "rule 'r': theme: unknown theme id 'nk_weapon'",
        ),
        (
            'name = "r"\ntype = "watch"\nentity = "atlantis"\nchannels = ["desk"]',
            "rule 'r': entity: unknown entity id 'atlantis'",
        ),
        (
            'name = "r"\ntype = "spike"\nchannels = ["desk"]\nmin_zz = 3',
            "rule 'r': min_zz: unknown key",
        ),
        (
            'name = "r"\ntype = "spike"\nchannels = ["desk"]\nmin_z = 1.5',
            "rule 'r': min_z: must be at least 2",
        ),
        (
            'name = "r"\ntype = "spike"\nchannels = ["desk"]\nmin_outlets = 3',
            "rule 'r': min_outlets: unknown key",
        ),
        ('name = "r"\ntype = "surge"\nchannels = ["desk"]', "rule 'r': type: must be one of"),
        (
            'name = "r"\ntype = "story"\nchannels = ["desk"]',
            "rule 'r': min_outlets: give min_outlets",
        ),
        ('name = "r"\ntype = "watch"\nchannels = ["desk"]', "rule 'r': query: a watch needs"),
        (
            'name = "r"\ntype = "spike"\nchannels = ["desk"]\nquiet_hours = "late"',
            "rule 'r': quiet_hours:",
        ),
        (
            'name = "r"\ntype = "spike"\nchannels = ["desk"]\ntimezone = "Mars/Base"',
            "rule 'r': timezone: unknown time zone",
        ),
        (
            'name = "r"\ntype = "spike"\nchannels = ["desk"]\nmax_per_day = 0',
            "rule 'r': max_per_day: must be a whole number",
        ),
        ('name = "r"\ntype = "spike"\nchannels = []', "rule 'r': channels: name at least one"),
        ('type = "spike"\nchannels = ["desk"]', "rule #1: name:"),
        (
            'name = "r"\ntype = "watch"\nquery = "x"\nmin_relevance = 2\nchannels = ["desk"]',
            "rule 'r': min_relevance:",
        ),
    ],
)
def test_a_rule_error_names_the_file_the_rule_and_the_field(tmp_path, body, expected):
    message = _error(tmp_path, "[[rules]]\n" + body + "\n")
    assert message.startswith(str(tmp_path / "alerts.toml") + ": ")
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('name = "b"\nschedule = "hourly"\nchannels = ["desk"]', "brief 'b': schedule:"),
        (
            'name = "b"\nschedule = "weekly funday 08:00"\nchannels = ["desk"]',
            "brief 'b': schedule:",
        ),
        ('name = "b"\nchannels = ["desk"]', "brief 'b': schedule: missing"),
        ('name = "b"\nschedule = "daily 25:00"\nchannels = ["desk"]', "brief 'b': schedule:"),
        (
            'name = "b"\nschedule = "daily 07:00"\nrange = "12h"\nchannels = ["desk"]',
            "brief 'b': range:",
        ),
        (
            'name = "b"\nschedule = "daily 07:00"\nthemes = ["x"]\nchannels = ["desk"]',
            "brief 'b': themes: unknown theme id 'x'",
        ),
        (
            'name = "b"\nschedule = "daily 07:00"\nchannels = ["desk"]\nwhen = 1',
            "brief 'b': when: unknown key",
        ),
    ],
)
def test_a_brief_error_names_the_brief_and_the_field(tmp_path, body, expected):
    assert expected in _error(tmp_path, "[[briefs]]\n" + body + "\n")


def test_names_are_unique_across_rules_and_briefs(tmp_path):
    message = _error(
        tmp_path,
        '[[rules]]\nname = "x"\ntype = "spike"\nchannels = ["desk"]\n'
        '[[briefs]]\nname = "x"\nschedule = "daily 07:00"\nchannels = ["desk"]\n',
    )
    assert "'x' is used twice" in message


def test_unknown_top_level_keys_and_bad_toml_are_errors(tmp_path):
    assert "unknown top-level key(s) rule" in _error(tmp_path, "[[rule]]\nname = 'x'\n")
    assert "not valid TOML" in _error(tmp_path, "[[rules]\n")


def test_a_daily_schedule_keeps_its_wall_clock_time_across_a_dst_change():
    new_york = zone("America/New_York")
    daily = parse_schedule("daily 07:00", new_york)
    before = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)  # the day before clocks fall back
    first = daily.next_slot(before)
    second = daily.next_slot(first)
    assert first.astimezone(UTC) == datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # 07:00 EST
    assert second.astimezone(UTC) == datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    assert daily.latest_slot(datetime(2026, 10, 31, 11, 30, tzinfo=UTC)).astimezone(UTC) == (
        datetime(2026, 10, 31, 11, 0, tzinfo=UTC)  # 07:00 EDT
    )


def test_a_weekly_schedule_finds_the_latest_and_next_monday():
    weekly = parse_schedule("weekly monday 08:00", zone("Asia/Tokyo"))
    wednesday = datetime(2026, 12, 9, 3, 0, tzinfo=UTC)
    assert weekly.latest_slot(wednesday).isoformat() == "2026-12-07T08:00:00+09:00"
    assert weekly.next_slot(wednesday).isoformat() == "2026-12-14T08:00:00+09:00"
    exactly = datetime(2026, 12, 14, 8, 0, tzinfo=zone("Asia/Tokyo"))
    assert weekly.latest_slot(exactly) == exactly
    assert weekly.next_slot(exactly).isoformat() == "2026-12-21T08:00:00+09:00"


def test_quiet_hours_that_run_past_midnight_end_the_next_morning():
    seoul = zone("Asia/Seoul")
    quiet = parse_quiet_hours("22:00-07:00", seoul)
    assert quiet.until(datetime(2026, 12, 6, 23, 30, tzinfo=seoul)) == datetime(
        2026, 12, 7, 7, 0, tzinfo=seoul
    )
    assert quiet.until(datetime(2026, 12, 7, 6, 59, tzinfo=seoul)) == datetime(
        2026, 12, 7, 7, 0, tzinfo=seoul
    )
    assert quiet.until(datetime(2026, 12, 7, 7, 0, tzinfo=seoul)) is None
    assert quiet.until(datetime(2026, 12, 7, 12, 0, tzinfo=seoul)) is None
    lunch = parse_quiet_hours("12:00-13:00", seoul)
    assert lunch.until(datetime(2026, 12, 7, 12, 30, tzinfo=seoul)) == datetime(
        2026, 12, 7, 13, 0, tzinfo=seoul
    )


def test_durations_are_hours_or_days():
    assert parse_duration("36h") == timedelta(hours=36)
    assert parse_duration("7d") == timedelta(days=7)
    for bad in ("0d", "1w", "d", "-1d"):
        with pytest.raises(ValueError):
            parse_duration(bad)
