"""Outlet countries: the sides of the Japan–Korea comparison.

Every feed has a country of publication, ``"jp"``, ``"kr"`` or ``"other"``. It is the
outlet's country, not its language: Yonhap's English service and The Korea Herald count for
Korea, Kyodo and The Japan Times for Japan. When nobody says, the host's top-level domain
gives a first guess (``.jp``, ``.kr``), else ``"other"``. Migration 0009 keeps its own frozen
copy of ``guess_country`` (migrations import no app code); a test pins the two together.
"""

from __future__ import annotations

from typing import Literal, cast
from urllib.parse import urlsplit

Country = Literal["jp", "kr", "other"]
COUNTRIES: tuple[Country, ...] = ("jp", "kr", "other")
COUNTRY_LABELS: dict[str, str] = {"jp": "Japan", "kr": "South Korea", "other": "Other"}


def guess_country(url: str) -> Country:
    """The country a feed URL's host suggests: ``.jp`` → jp, ``.kr`` → kr, else other."""
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith(".jp"):
        return "jp"
    if host.endswith(".kr"):
        return "kr"
    return "other"


def check_country(value: object) -> Country:
    """``value`` as a country; raises ``ValueError`` naming the allowed values."""
    if isinstance(value, str) and value.strip().lower() in COUNTRIES:
        return cast(Country, value.strip().lower())
    raise ValueError(f"{value!r} is not a country (use {', '.join(map(repr, COUNTRIES))})")
