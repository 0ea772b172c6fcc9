"""``config/alerts.toml``: channels, rules and scheduled briefs, loaded and validated.

Found like every config file (``jkwatch.config``): ``$JKWATCH_ALERTS``, else ``alerts.toml``
in ``--config DIR`` / ``$JKWATCH_CONFIG_DIR``, else the shipped example (every rule and brief
``enabled = false``); a file that does not exist means no rules. Every error is one
``AlertsConfigError`` naming the file, the rule or brief, and the field; unknown keys are
errors, and so is a rule naming an unknown channel, theme (``themes.toml``) or entity (the
gazetteer). The ``[channels]`` table is the channels module's to read (``parse_channels``).
The shapes are documented in ``docs/alerts.md``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from jkwatch.alerts.channels import ChannelSpec, parse_channels
from jkwatch.alerts.message import AlertsConfigError
from jkwatch.alerts.timing import (
    QuietHours,
    Schedule,
    parse_duration,
    parse_quiet_hours,
    parse_schedule,
    zone,
)
from jkwatch.config import config_file
from jkwatch.db.trends import SPIKE_MIN_Z
from jkwatch.entities import EntitiesError, default_gazetteer

ENV_VAR = "JKWATCH_ALERTS"
FILE_NAME = "alerts.toml"
RuleType = Literal["spike", "story", "watch"]
RULE_TYPES: tuple[RuleType, ...] = ("spike", "story", "watch")
ANY_THEME = "any"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_COMMON = {
    "name",
    "type",
    "enabled",
    "channels",
    "max_per_day",
    "quiet_hours",
    "timezone",
    "lookback",
}
_RULE_KEYS: dict[str, set[str]] = {
    "spike": _COMMON | {"theme", "min_z", "min_count"},
    "story": _COMMON | {"themes", "min_outlets", "both_countries"},
    "watch": _COMMON | {"query", "entity", "themes", "min_relevance"},
}
_BRIEF_KEYS = {"name", "enabled", "schedule", "timezone", "range", "themes", "channels", "top"}
DEFAULT_LOOKBACK = {"spike": "1d", "story": "2d", "watch": "1d"}


@dataclass(frozen=True)
class Rule:
    """One alert rule; the fields of the other types keep their defaults."""

    name: str
    type: RuleType
    channels: tuple[str, ...]
    enabled: bool = True
    max_per_day: int | None = None
    quiet_hours: QuietHours | None = None
    timezone: ZoneInfo = ZoneInfo("UTC")
    lookback: timedelta = timedelta(days=1)
    """How far back an evaluation looks: new stories and watched items published since then;
    a spike must still be running (its last window ending) within it."""
    theme: str = ANY_THEME
    min_z: float = SPIKE_MIN_Z
    min_count: int = 5
    themes: tuple[str, ...] = ()
    min_outlets: int | None = None
    both_countries: bool = False
    query: str = ""
    entity: str | None = None
    min_relevance: float = 0.0


@dataclass(frozen=True)
class BriefSpec:
    """A scheduled brief: the brief of the ``days`` UTC days ending at each send time."""

    name: str
    schedule: Schedule
    days: int
    channels: tuple[str, ...]
    themes: tuple[str, ...] = ()
    top: int = 10
    enabled: bool = True


@dataclass(frozen=True)
class AlertsConfig:
    channels: Mapping[str, ChannelSpec]
    rules: tuple[Rule, ...] = ()
    briefs: tuple[BriefSpec, ...] = ()
    source: str = ""

    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)


def alerts_path() -> Path:
    return config_file(FILE_NAME, ENV_VAR)


def shipped_theme_ids() -> frozenset[str]:
    """The theme ids of the configured taxonomy (``themes.toml``), read without the tagger."""
    where = config_file("themes.toml", "JKWATCH_THEMES")
    try:
        document = tomllib.loads(where.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AlertsConfigError(f"{where}: cannot read the theme ids ({exc})") from exc
    themes = document.get("themes", [])
    return frozenset(
        t["id"] for t in themes if isinstance(t, dict) and isinstance(t.get("id"), str)
    )


def gazetteer_ids() -> frozenset[str]:
    try:
        return frozenset(e.id for e in default_gazetteer().entities)
    except EntitiesError as exc:
        raise AlertsConfigError(f"cannot check entity ids: {exc}") from exc


def load_alerts_config(
    path: Path | str | None = None,
    *,
    theme_ids: Callable[[], frozenset[str]] = shipped_theme_ids,
    entity_ids: Callable[[], frozenset[str]] = gazetteer_ids,
) -> AlertsConfig:
    """The validated alerts configuration of ``path`` (default ``alerts_path()``)."""
    where = Path(path) if path is not None else alerts_path()
    if not where.is_file():
        return AlertsConfig(channels={}, source=str(where))
    try:
        document = tomllib.loads(where.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise AlertsConfigError(f"{where}: cannot read ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AlertsConfigError(f"{where}: not valid TOML ({exc})") from exc
    return parse_alerts(document, str(where), theme_ids=theme_ids, entity_ids=entity_ids)


def parse_alerts(
    document: Mapping[str, Any],
    source: str,
    *,
    theme_ids: Callable[[], frozenset[str]] = shipped_theme_ids,
    entity_ids: Callable[[], frozenset[str]] = gazetteer_ids,
) -> AlertsConfig:
    unknown = sorted(set(document) - {"channels", "rules", "briefs"})
    if unknown:
        raise AlertsConfigError(
            f"{source}: unknown top-level key(s) {', '.join(unknown)} (channels, rules, briefs)"
        )
    table = document.get("channels", {})
    if not isinstance(table, Mapping):
        raise AlertsConfigError(f"{source}: 'channels' must be a table of [channels.NAME]")
    channels = parse_channels(table, source)
    checker = _Checker(source, channels, theme_ids, entity_ids)
    rules = tuple(checker.rule(n, e) for n, e in enumerate(_tables(document, "rules", source), 1))
    briefs = tuple(
        checker.brief(n, e) for n, e in enumerate(_tables(document, "briefs", source), 1)
    )
    seen: set[str] = set()
    for name in [r.name for r in rules] + [b.name for b in briefs]:
        if name in seen:
            raise AlertsConfigError(
                f"{source}: the name {name!r} is used twice (rules and briefs need unique names)"
            )
        seen.add(name)
    return AlertsConfig(channels=channels, rules=rules, briefs=briefs, source=source)


def _tables(document: Mapping[str, Any], key: str, source: str) -> list[Any]:
    entries = document.get(key, [])
    if not isinstance(entries, list):
        raise AlertsConfigError(f"{source}: '{key}' must be a list of [[{key}]] tables")
    return entries


class _Checker:
    """Field-by-field validation with messages that name the file, the entry and the field."""

    def __init__(
        self,
        source: str,
        channels: Mapping[str, ChannelSpec],
        theme_ids: Callable[[], frozenset[str]],
        entity_ids: Callable[[], frozenset[str]],
    ) -> None:
        self.source = source
        self.channels = channels
        self._theme_ids = theme_ids
        self._entity_ids = entity_ids
        self._themes: frozenset[str] | None = None
        self._entities: frozenset[str] | None = None
        self.where = ""

    def fail(self, field: str, problem: str) -> AlertsConfigError:
        return AlertsConfigError(f"{self.source}: {self.where}: {field}: {problem}")

    # -- entries ---------------------------------------------------------------------------

    def rule(self, n: int, entry: Any) -> Rule:
        self.where = f"rule #{n}"
        if not isinstance(entry, Mapping):
            raise AlertsConfigError(f"{self.source}: {self.where}: must be a [[rules]] table")
        name = self.name(entry)
        self.where = f"rule {name!r}"
        kind = entry.get("type")
        if kind not in RULE_TYPES:
            raise self.fail("type", f"must be one of {', '.join(RULE_TYPES)} (got {kind!r})")
        self.unknown_keys(entry, _RULE_KEYS[kind])
        tz = self.zone(entry)
        quiet = entry.get("quiet_hours")
        common: dict[str, Any] = {
            "name": name,
            "type": kind,
            "channels": self.channel_list(entry),
            "enabled": self.boolean(entry, "enabled", True),
            "max_per_day": self.integer(entry, "max_per_day", None, minimum=1),
            "quiet_hours": self.parsed("quiet_hours", parse_quiet_hours, quiet, tz)
            if quiet is not None
            else None,
            "timezone": tz,
            "lookback": self.parsed(
                "lookback", parse_duration, self.string(entry, "lookback", DEFAULT_LOOKBACK[kind])
            ),
        }
        if kind == "spike":
            theme = self.string(entry, "theme", ANY_THEME)
            if theme != ANY_THEME:
                self.known_themes("theme", [theme])
            min_z = self.number(entry, "min_z", SPIKE_MIN_Z)
            if min_z < SPIKE_MIN_Z:
                raise self.fail(
                    "min_z",
                    f"must be at least {SPIKE_MIN_Z:g}: the spikes method reports only rises "
                    f"with z >= {SPIKE_MIN_Z:g}, so a lower value would change nothing",
                )
            return Rule(
                **common,
                theme=theme,
                min_z=min_z,
                min_count=self.integer(entry, "min_count", 5, minimum=1) or 5,
            )
        if kind == "story":
            min_outlets = self.integer(entry, "min_outlets", None, minimum=2)
            both = self.boolean(entry, "both_countries", False)
            if min_outlets is None and not both:
                raise self.fail("min_outlets", "give min_outlets, both_countries = true, or both")
            return Rule(
                **common,
                themes=self.theme_list(entry),
                min_outlets=min_outlets,
                both_countries=both,
            )
        query = self.string(entry, "query", "").strip()
        entity = entry.get("entity")
        if entity is not None:
            entity = self.string(entry, "entity", "")
            if entity not in self.entity_ids():
                raise self.fail("entity", f"unknown entity id {entity!r} (see entities.toml)")
        themes = self.theme_list(entry)
        if not (query or entity or themes):
            raise self.fail("query", "a watch needs a query, an entity or themes")
        min_relevance = self.number(entry, "min_relevance", 0.0)
        if not 0.0 <= min_relevance <= 1.0:
            raise self.fail("min_relevance", "must be between 0 and 1")
        return Rule(
            **common, query=query, entity=entity, themes=themes, min_relevance=min_relevance
        )

    def brief(self, n: int, entry: Any) -> BriefSpec:
        self.where = f"brief #{n}"
        if not isinstance(entry, Mapping):
            raise AlertsConfigError(f"{self.source}: {self.where}: must be a [[briefs]] table")
        name = self.name(entry)
        self.where = f"brief {name!r}"
        self.unknown_keys(entry, _BRIEF_KEYS)
        tz = self.zone(entry)
        if "schedule" not in entry:
            raise self.fail("schedule", 'missing (e.g. "daily 07:00" or "weekly monday 08:00")')
        schedule = self.parsed("schedule", parse_schedule, self.string(entry, "schedule", ""), tz)
        span = self.parsed("range", parse_duration, self.string(entry, "range", "1d"))
        if span.seconds or span.days < 1:
            raise self.fail("range", "must be whole days, like 1d or 7d")
        return BriefSpec(
            name=name,
            schedule=schedule,
            days=span.days,
            channels=self.channel_list(entry),
            themes=self.theme_list(entry),
            top=self.integer(entry, "top", 10, minimum=1) or 10,
            enabled=self.boolean(entry, "enabled", True),
        )

    # -- fields ----------------------------------------------------------------------------

    def name(self, entry: Mapping[str, Any]) -> str:
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise self.fail("name", "must be 1-64 letters, digits, '-', '_' or '.'")
        return name

    def unknown_keys(self, entry: Mapping[str, Any], allowed: set[str]) -> None:
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise self.fail(unknown[0], f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def string(self, entry: Mapping[str, Any], key: str, default: str) -> str:
        value = entry.get(key, default)
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {type(value).__name__}")
        return value

    def boolean(self, entry: Mapping[str, Any], key: str, default: bool) -> bool:
        value = entry.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def integer(
        self, entry: Mapping[str, Any], key: str, default: int | None, minimum: int
    ) -> int | None:
        value = entry.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"must be a whole number of at least {minimum}")
        return value

    def number(self, entry: Mapping[str, Any], key: str, default: float) -> float:
        value = entry.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, "must be a number")
        return float(value)

    def parsed(self, key: str, parse: Callable[..., Any], *args: Any) -> Any:
        try:
            return parse(*args)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def zone(self, entry: Mapping[str, Any]) -> ZoneInfo:
        return self.parsed("timezone", zone, self.string(entry, "timezone", "UTC"))

    def channel_list(self, entry: Mapping[str, Any]) -> tuple[str, ...]:
        names = self.string_list(entry, "channels")
        if not names:
            raise self.fail("channels", "name at least one channel of [channels]")
        for name in names:
            if name not in self.channels:
                known = ", ".join(sorted(self.channels)) or "none defined"
                raise self.fail("channels", f"unknown channel {name!r} (known: {known})")
        return tuple(dict.fromkeys(names))

    def theme_list(self, entry: Mapping[str, Any]) -> tuple[str, ...]:
        themes = self.string_list(entry, "themes")
        self.known_themes("themes", themes)
        return tuple(themes)

    def string_list(self, entry: Mapping[str, Any], key: str) -> list[str]:
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of strings")
        return list(value)

    def known_themes(self, key: str, themes: Sequence[str]) -> None:
        if self._themes is None:
            self._themes = self._theme_ids()
        for theme in themes:
            if theme not in self._themes:
                raise self.fail(key, f"unknown theme id {theme!r} (see themes.toml)")

    def entity_ids(self) -> frozenset[str]:
        if self._entities is None:
            self._entities = self._entity_ids()
        return self._entities
