"""Feed lists: load and validate a feeds file (TOML or OPML) and seed the default list.

A feeds file is the TOML of ``config/feeds.toml`` (an array of ``[[feeds]]`` tables) or an
OPML document, told apart by content, not by file name. Every problem is a ``FeedListError``
that names the file, the entry (1-based, as a user counts) and the field, so a typo in entry
12 of 40 is found without guessing. Unknown keys are errors: a misspelt ``min_intreval``
silently ignored would be worse than a refusal.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from jkwatch.config import config_file, shipped
from jkwatch.countries import COUNTRIES, check_country
from jkwatch.db import feeds as feed_store
from jkwatch.ingest.fetch import InvalidURL, check_url
from jkwatch.ingest.opml import OPMLError, looks_like_opml, parse_opml
from jkwatch.model import FeedSpec

FEED_KEYS = ("name", "url", "language", "kind", "min_interval", "enabled", "country")
LIST_KINDS = ("general", "topic")
DEFAULT_FEEDS_PATH = shipped("feeds.toml")
FEEDS_ENV = "JKWATCH_FEEDS"


class FeedListError(ValueError):
    """A feeds file that cannot be used, with the file, entry and field in the message."""


def default_feeds_path() -> Path:
    """``$JKWATCH_FEEDS`` if set, else ``feeds.toml`` in the config directory, else the one
    shipped with jkwatch (``jkwatch.config``)."""
    return config_file("feeds.toml", FEEDS_ENV)


def load_feed_list(path: str | Path) -> list[FeedSpec]:
    """Read a TOML or OPML feeds file; raises ``FeedListError`` naming what is wrong."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FeedListError(f"{path}: no such feeds file") from None
    except OSError as exc:
        raise FeedListError(f"{path}: cannot read the feeds file ({exc.strerror or exc})") from None
    return parse_feed_list(data, source=str(path))


def parse_feed_list(data: bytes, source: str = "<feeds>") -> list[FeedSpec]:
    """Parse feeds-file content; OPML is recognised by its ``<opml>`` root element."""
    if looks_like_opml(data):
        try:
            specs = parse_opml(data)
        except OPMLError as exc:
            raise FeedListError(f"{source}: {exc}") from None
        checked = []
        for number, spec in enumerate(specs, start=1):
            try:
                checked.append(FeedSpec(**{**spec.__dict__, "url": check_url(spec.url)}))
            except InvalidURL as exc:
                raise FeedListError(f"{source}: outline {number} xmlUrl: {exc}") from None
        return checked
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FeedListError(f"{source}: not UTF-8 text (expected TOML or OPML)") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FeedListError(f"{source}: not valid TOML or OPML: {exc}") from None
    return parse_toml_document(document, source)


def parse_toml_document(document: dict[str, Any], source: str = "<feeds>") -> list[FeedSpec]:
    """Validate the ``[[feeds]]`` tables of an already parsed TOML document."""
    extra = sorted(set(document) - {"feeds"})
    if extra:
        raise FeedListError(
            f"{source}: unknown top-level key {extra[0]!r} (a feeds file has only [[feeds]] tables)"
        )
    entries = document.get("feeds")
    if entries is None:
        raise FeedListError(f"{source}: no [[feeds]] entries")
    if not isinstance(entries, list):
        raise FeedListError(f"{source}: 'feeds' must be an array of [[feeds]] tables")
    specs: list[FeedSpec] = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        spec = _entry(entry, f"{source}: entry {number}")
        if spec.url in seen:
            raise FeedListError(
                f"{source}: entry {number} url: {spec.url} is already listed in entry "
                f"{seen[spec.url]}"
            )
        seen[spec.url] = number
        specs.append(spec)
    return specs


def _entry(entry: object, where: str) -> FeedSpec:
    if not isinstance(entry, dict):
        raise FeedListError(f"{where}: expected a table with at least 'url'")
    unknown = [key for key in entry if key not in FEED_KEYS]
    if unknown:
        raise FeedListError(
            f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(FEED_KEYS)})"
        )
    if "url" not in entry:
        raise FeedListError(f"{where}: 'url' is required")
    url = _string(entry, "url", where)
    try:
        url = check_url(url or "")
    except InvalidURL as exc:
        raise FeedListError(f"{where} url: {exc}") from None
    kind = _string(entry, "kind", where) or "general"
    if kind not in LIST_KINDS:
        raise FeedListError(
            f"{where} kind: {kind!r} is not a feed kind (use {' or '.join(map(repr, LIST_KINDS))})"
        )
    language = _string(entry, "language", where)
    if language is not None and not (
        2 <= len(language) <= 12 and language.replace("-", "").isalnum()
    ):
        raise FeedListError(f"{where} language: {language!r} is not a language code like 'ja'")
    minutes = entry.get("min_interval")
    if minutes is not None and (
        isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes <= 0
    ):
        raise FeedListError(
            f"{where} min_interval: expected a positive number of minutes, got {minutes!r}"
        )
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise FeedListError(f"{where} enabled: expected true or false, got {enabled!r}")
    country = entry.get("country")
    if country is not None:
        try:
            country = check_country(country)
        except ValueError:
            raise FeedListError(
                f"{where} ({url}) country: {country!r} is not a country of publication "
                f"(use {', '.join(map(repr, COUNTRIES))})"
            ) from None
    return FeedSpec(
        url=url,
        name=_string(entry, "name", where),
        language=language.lower() if language else None,
        kind=kind,
        min_interval_s=round(minutes * 60) if minutes is not None else None,
        enabled=enabled,
        country=country,
    )


def _string(entry: dict[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FeedListError(f"{where} {key}: expected a string, got {value!r}")
    return value.strip() or None


def seed_feeds(session: Session, specs: list[FeedSpec]) -> tuple[int, int]:
    """``jkwatch feeds seed``: add the feeds not stored yet, and set the country of stored
    feeds whose entry gives one (other settings of a stored feed are the user's). Returns
    ``(added, countries_changed)``."""
    known = feed_store.feeds_by_url(session, [spec.url for spec in specs])
    added = changed = 0
    for spec in specs:
        stored = known.get(spec.url)
        if stored is None:
            feed_store.upsert_feed(session, spec)
            added += 1
        elif spec.country is not None and stored.country != spec.country:
            feed_store.set_country(session, stored.id, spec.country)
            changed += 1
    return added, changed


def add_feeds(session: Session, specs: list[FeedSpec]) -> tuple[int, int]:
    """Upsert ``specs`` in the caller's transaction; returns ``(added, updated)``."""
    added = updated = 0
    for spec in specs:
        _, created = feed_store.upsert_feed(session, spec)
        added += created
        updated += not created
    return added, updated


def seed_default_feeds(session: Session, path: str | Path | None = None) -> int:
    """Add the default feed list to a database that has no feeds yet; returns how many.

    A database that already has feeds is left alone: the user's list is theirs, and removed
    defaults must not come back on the next start.
    """
    if feed_store.count_feeds(session):
        return 0
    specs = load_feed_list(path or default_feeds_path())
    added, _ = add_feeds(session, specs)
    return added
