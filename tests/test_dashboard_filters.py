"""The shared view filters in the URL: dates always written, one named time zone, the
backfill switch."""

from __future__ import annotations

from datetime import date

from jkwatch.dashboard.filters import ViewFilters, parse, to_params

LAST = date(2026, 11, 15)


def test_the_url_always_holds_the_date_range_even_the_default_one():
    view = parse({}, LAST)
    params = to_params(view, LAST)
    assert params == {"from": "2026-08-18", "to": "2026-11-15"}


def test_a_shared_url_keeps_its_end_date_when_newer_data_arrives():
    shared = to_params(parse({}, LAST), LAST)
    later = parse(shared, date(2026, 12, 1))
    assert later.end == LAST


def test_the_time_zone_is_read_from_the_url_and_written_back_when_not_utc():
    view = parse({"tz": "Asia/Seoul"}, LAST)
    assert view.zone == "Asia/Seoul"
    assert to_params(view, LAST)["tz"] == "Asia/Seoul"
    assert "tz" not in to_params(ViewFilters(zone="UTC"), LAST)


def test_an_unknown_or_hostile_zone_falls_back_to_utc():
    for bad in ("Mars/Olympus", "../../etc/passwd", "x" * 100, ""):
        assert parse({"tz": bad}, LAST).zone == "UTC"


def test_backfilled_history_is_included_by_default_and_left_out_of_the_url():
    view = parse({}, LAST)
    assert view.backfill is True
    assert "backfill" not in to_params(view, LAST)


def test_leaving_backfill_out_survives_a_round_trip_through_the_url():
    off = ViewFilters(start=date(2026, 10, 1), end=LAST, backfill=False, languages=("ja",))
    params = to_params(off, LAST)
    assert params["backfill"] == "0"
    back = parse(params, LAST)
    assert back == off
    assert parse(to_params(back, LAST), LAST) == off


def test_a_hand_edited_backfill_value_reads_as_on_unless_it_says_off():
    assert parse({"backfill": "false"}, LAST).backfill is False
    assert parse({"backfill": ["1", "0"]}, LAST).backfill is False  # the last value wins
    for value in ("1", "yes", "maybe", ""):
        assert parse({"backfill": value}, LAST).backfill is True
