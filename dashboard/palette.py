"""One colour and one point shape per theme, the same on every chart and page (pure).

The colours are fixed per theme id (never assigned by the order themes happen to appear in):
the Okabe-Ito set completed with Paul Tol's "muted" scheme, both designed to stay apart for the
common colour-vision deficiencies; the shapes keep lines apart where two colours are still
close. A theme id not listed here (a user's own taxonomy) is drawn in ``OTHER_COLOUR``.
"""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt

THEME_COLOURS = {
    "jk_cooperation": "#0072B2",
    "collective_security": "#56B4E9",
    "us_alliance": "#332288",
    "nk_weapons": "#D55E00",
    "inter_korean": "#009E73",
    "russia_nk": "#882255",
    "china_pressure": "#E69F00",
    "taiwan_strait": "#CC79A7",
    "missile_defense": "#117733",
    "defense_buildup": "#999933",
    "security_autonomy": "#44AA99",
    "history_disputes": "#AA4499",
    "ukraine_war": "#DDCC77",
    "defense_industry": "#000000",
}
OTHER_COLOUR = "#BBBBBB"
COUNTRY_COLOURS = {"jp": "#CC3311", "kr": "#0077BB", "other": OTHER_COLOUR}
"""The Compare page's sides (Paul Tol's "vibrant" red and blue, apart for colour-blind eyes)."""
SHAPES = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "wedge")
THEME_SHAPES = {t: SHAPES[n % len(SHAPES)] for n, t in enumerate(THEME_COLOURS)}


def theme_colour(theme_id: str) -> str:
    return THEME_COLOURS.get(theme_id, OTHER_COLOUR)


def theme_scale(theme_ids: Iterable[str], labels: dict[str, str]) -> alt.Scale:
    """A colour scale from theme labels to each theme's fixed colour."""
    ids = list(dict.fromkeys(theme_ids))
    return alt.Scale(domain=[labels.get(t, t) for t in ids], range=[theme_colour(t) for t in ids])


def shape_scale(theme_ids: Iterable[str], labels: dict[str, str]) -> alt.Scale:
    ids = list(dict.fromkeys(theme_ids))
    return alt.Scale(
        domain=[labels.get(t, t) for t in ids], range=[THEME_SHAPES.get(t, "circle") for t in ids]
    )
