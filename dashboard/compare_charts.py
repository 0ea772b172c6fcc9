"""Pure DataFrame -> Altair charts of the Compare page ("Japan vs Korea").

Charts receive aggregates only (themes x countries, periods x themes). The two sides keep one
colour each (``palette.COUNTRY_COLOURS``); lines of the gap over time keep each theme's colour
(``palette.THEME_COLOURS``), as on every other page. Shares are fractions of each country's
relevant coverage; gaps are in percentage points (Japan's share minus Korea's).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from jkwatch.dashboard.palette import COUNTRY_COLOURS, shape_scale, theme_scale

SIDE_NAMES = {"jp": "Japan's press", "kr": "Korea's press", "other": "Other outlets"}
LEGEND = alt.Legend(orient="bottom", columns=4, labelLimit=0, titleLimit=0, symbolLimit=0)


def side_scale(sides: list[str]) -> alt.Scale:
    return alt.Scale(
        domain=[SIDE_NAMES[s] for s in sides], range=[COUNTRY_COLOURS[s] for s in sides]
    )


def shares_chart(frame: pd.DataFrame) -> alt.Chart:
    """Each theme's share of each side's relevant coverage, the sides side by side.

    ``frame``: one row per theme and side with ``theme`` (label), ``side`` (jp/kr/other),
    ``side_name``, ``items`` and ``share``; themes keep the row order given.
    """
    sides = [s for s in SIDE_NAMES if s in set(frame["side"])]
    order = list(dict.fromkeys(frame["theme"]))
    return (
        alt.Chart(frame, title="Share of each press's relevant coverage, per theme")
        .mark_bar()
        .encode(
            y=alt.Y("theme:N", sort=order, title="Theme", axis=alt.Axis(labelLimit=320)),
            yOffset=alt.YOffset("side_name:N", sort=[SIDE_NAMES[s] for s in sides]),
            x=alt.X(
                "share:Q", title="Share of the side's relevant items", axis=alt.Axis(format="%")
            ),
            color=alt.Color("side_name:N", scale=side_scale(sides), title="Side", legend=LEGEND),
            tooltip=[
                alt.Tooltip("theme:N", title="Theme"),
                alt.Tooltip("side_name:N", title="Side"),
                alt.Tooltip("items:Q", title="Relevant items"),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
    )


def gap_chart(frame: pd.DataFrame) -> alt.Chart:
    """The gap per theme (points): right of zero Japan's press gives it more attention.

    ``frame``: ``theme`` (label) and ``gap_pts``, in the row order given.
    """
    data = frame.assign(
        leans=["Japan's press" if g > 0 else "Korea's press" for g in frame["gap_pts"]]
    )
    order = list(data["theme"])
    bars = (
        alt.Chart(data, title="Gap: Japan's share minus Korea's (percentage points)")
        .mark_bar()
        .encode(
            y=alt.Y("theme:N", sort=order, title="Theme", axis=alt.Axis(labelLimit=320)),
            x=alt.X("gap_pts:Q", title="Gap (points)"),
            color=alt.Color(
                "leans:N",
                scale=alt.Scale(
                    domain=["Japan's press", "Korea's press"],
                    range=[COUNTRY_COLOURS["jp"], COUNTRY_COLOURS["kr"]],
                ),
                title="More attention from",
                legend=LEGEND,
            ),
            tooltip=[
                alt.Tooltip("theme:N", title="Theme"),
                alt.Tooltip("gap_pts:Q", title="Gap (points)", format="+.1f"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#444444").encode(x="x:Q")
    return bars + zero


def gap_over_time_chart(frame: pd.DataFrame, labels: dict[str, str], grain: str) -> alt.Chart:
    """The gap per period for each theme in ``frame`` (``start``, ``theme_id``, ``theme``,
    ``gap_pts``, ``jp_share``, ``kr_share``, ``jp_items``, ``kr_items``)."""
    ids = list(dict.fromkeys(frame["theme_id"]))
    unit = "day" if grain == "day" else "week (from Monday; edge weeks cut to the range)"
    lines = (
        alt.Chart(frame, title=f"The gap over time, per {unit} (points)")
        .mark_line(point=True)
        .encode(
            x=alt.X("utcyearmonthdate(start):T", title="Period start (UTC)"),
            y=alt.Y("gap_pts:Q", title="Gap (points, Japan minus Korea)"),
            color=alt.Color(
                "theme:N", scale=theme_scale(ids, labels), title="Theme", legend=LEGEND
            ),
            shape=alt.Shape("theme:N", scale=shape_scale(ids, labels), legend=None),
            tooltip=[
                alt.Tooltip("theme:N", title="Theme"),
                alt.Tooltip("utcyearmonthdate(start):T", title="From"),
                alt.Tooltip("utcyearmonthdate(end):T", title="To"),
                alt.Tooltip("jp_share:Q", title="Japan's share", format=".1%"),
                alt.Tooltip("kr_share:Q", title="Korea's share", format=".1%"),
                alt.Tooltip("jp_items:Q", title="Japan items"),
                alt.Tooltip("kr_items:Q", title="Korea items"),
                alt.Tooltip("gap_pts:Q", title="Gap (points)", format="+.1f"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#444444").encode(y="y:Q")
    return lines + zero
