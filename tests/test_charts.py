"""Chart builders: one colour per theme everywhere, week ticks on Mondays, partial periods,
event rules and spike windows (pure: DataFrames in, Vega-Lite specs out)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd

from jkwatch.dashboard import charts, palette
from jkwatch.events import Event
from jkwatch.ingest.tagging import THEME_IDS
from jkwatch.model import SpikeEpisode

LABELS = {"nk_weapons": "North Korean weapons", "jk_cooperation": "Japan-Korea cooperation"}
MONDAY = date(2026, 9, 7)


def _series(themes: tuple[str, ...], weeks: int = 4) -> pd.DataFrame:
    rows = [
        {
            "period": pd.Timestamp(MONDAY + timedelta(weeks=w)),
            "theme_id": t,
            "count": w + n,
            "relevant_count": w,
            "total": 10,
            "relevant_total": 8,
            "share_all": 0.1,
            "share_relevant": 0.2,
        }
        for w in range(weeks)
        for n, t in enumerate(themes)
    ]
    return pd.DataFrame(rows)


def _spec(chart) -> dict:
    return json.loads(chart.to_json())


def _colour_scale(spec: dict) -> dict[str, str]:
    for layer in spec["layer"]:
        colour = layer.get("encoding", {}).get("color", {})
        scale = colour.get("scale")
        if scale and "domain" in scale:
            return dict(zip(scale["domain"], scale["range"], strict=True))
    raise AssertionError("no colour scale")


def test_every_theme_id_has_its_own_fixed_colour():
    colours = [palette.theme_colour(t) for t in THEME_IDS]
    assert len(set(colours)) == len(THEME_IDS)
    assert palette.theme_colour("not_a_theme") == palette.OTHER_COLOUR


def test_a_theme_keeps_its_colour_whichever_themes_are_shown_with_it():
    alone = _colour_scale(
        _spec(charts.trends_chart(_series(("nk_weapons",)), "count", "items", "week", LABELS))
    )
    both = _colour_scale(
        _spec(
            charts.trends_chart(
                _series(("jk_cooperation", "nk_weapons")), "count", "items", "week", LABELS
            )
        )
    )
    nk = LABELS["nk_weapons"]
    assert alone[nk] == both[nk] == palette.THEME_COLOURS["nk_weapons"]
    assert both[LABELS["jk_cooperation"]] == palette.THEME_COLOURS["jk_cooperation"]


def test_week_ticks_fall_on_the_weeks_first_day():
    spec = _spec(charts.trends_chart(_series(("nk_weapons",), 5), "count", "items", "week", LABELS))
    axis = spec["layer"][0]["encoding"]["x"]["axis"]
    days = [date(v["year"], v["month"], v["date"]) for v in axis["values"]]
    assert days == [MONDAY + timedelta(weeks=w) for w in range(5)]
    assert all(d.weekday() == 0 for d in days) and all(v["utc"] for v in axis["values"])


def test_many_periods_get_at_most_sixteen_ticks():
    periods = [MONDAY + timedelta(weeks=w) for w in range(60)]
    assert len(charts._ticks(periods)) <= charts.MAX_TICKS


def test_the_periods_cut_by_the_range_are_marked_partial():
    periods = [MONDAY + timedelta(weeks=w) for w in range(3)]
    end = MONDAY + timedelta(weeks=2, days=2)  # a Wednesday: the last week is cut
    partial = charts.partial_periods(periods, "week", MONDAY, end)
    assert [p.date() for p in partial["period"]] == [MONDAY + timedelta(weeks=2)]
    assert partial.iloc[0]["note"] == f"Partial week: {MONDAY + timedelta(weeks=2)} to {end}"
    start = MONDAY + timedelta(days=3)
    first = charts.partial_periods(periods, "week", start, MONDAY + timedelta(weeks=2, days=6))
    assert [p.date() for p in first["period"]] == [MONDAY]
    months = charts.partial_periods(
        [date(2026, 10, 1)], "month", date(2026, 9, 1), date(2026, 10, 31)
    )
    assert months.empty


def test_event_rules_and_spike_windows_are_layers_of_the_trends_chart():
    events = charts.events_frame(
        [Event(MONDAY + timedelta(days=9), "Summit", ("nk_weapons",))], LABELS
    )
    spikes = charts.spikes_frame(
        [
            SpikeEpisode(
                "nk_weapons",
                MONDAY + timedelta(days=14),
                MONDAY + timedelta(days=20),
                12,
                3.0,
                4.5,
                "rise",
            )
        ],
        LABELS,
    )
    chart = charts.trends_chart(
        _series(("nk_weapons",)),
        "count",
        "items",
        "week",
        LABELS,
        events=events,
        partial=charts.partial_periods([MONDAY], "week", MONDAY, MONDAY + timedelta(days=3)),
        spikes=spikes,
    )
    spec = _spec(chart)
    marks = [
        layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        for layer in spec["layer"]
    ]
    assert "rule" in marks and marks.count("rect") == 2  # the partial band and the spike window
    assert spikes.iloc[0]["stop"] == pd.Timestamp(MONDAY + timedelta(days=21))
    assert events.iloc[0]["event_themes"] == LABELS["nk_weapons"]


def test_the_click_selection_is_on_period_and_theme():
    spec = _spec(charts.trends_chart(_series(("nk_weapons",)), "count", "items", "week", LABELS))
    params = [p for layer in spec["layer"] for p in layer.get("params", [])] + spec.get(
        "params", []
    )
    pick = next(p for p in params if p["name"] == charts.SELECTION)
    assert pick["select"]["fields"] == ["period_key", "theme_id"]


def test_axis_and_legend_labels_are_not_truncated():
    spec = _spec(charts.trends_chart(_series(("nk_weapons",)), "count", "items", "week", LABELS))
    encoding = spec["layer"][0]["encoding"]
    assert encoding["color"]["legend"]["labelLimit"] == 0
    assert encoding["x"]["axis"]["labelLimit"] == 0
