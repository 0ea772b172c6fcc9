"""Event annotations: the analyst's dated events, read from ``events.toml`` (pure, no storage).

The file is found like every other configuration file (``jkwatch.config``): ``$JKWATCH_EVENTS``
naming one file, else ``events.toml`` in the config directory, else the shipped example (which
holds no events). Each ``[[events]]`` table has a ``date`` (a TOML date or ``YYYY-MM-DD``
string), a ``label`` and optionally ``themes`` (theme ids). A bad entry raises ``EventsError``
naming the file, the entry's position and what is wrong, so the analyst can fix it; the
dashboard shows that message instead of the rules.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jkwatch.config import config_file

ENV_VAR = "JKWATCH_EVENTS"
FILE_NAME = "events.toml"
LABEL_LIMIT = 80


class EventsError(ValueError):
    """The events file cannot be read or holds a bad entry (one-line message)."""


@dataclass(frozen=True)
class Event:
    day: date
    label: str
    themes: tuple[str, ...] = ()
    """Empty: the event concerns every theme."""

    def applies_to(self, themes: Collection[str]) -> bool:
        """Whether a chart showing ``themes`` carries this event's rule."""
        return not self.themes or any(t in themes for t in self.themes)


def events_path() -> Path:
    return config_file(FILE_NAME, ENV_VAR)


def load_events(
    path: Path | str | None = None, known_themes: Collection[str] | None = None
) -> tuple[Event, ...]:
    """The events of ``path`` (default: ``events_path()``), oldest first.

    ``known_themes``, when given, makes an unknown theme id an error (a typo would otherwise
    hide the rule from every chart).
    """
    where = Path(path) if path is not None else events_path()
    try:
        document = tomllib.loads(where.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EventsError(f"{where}: cannot read the events file ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise EventsError(f"{where}: not valid TOML ({exc})") from exc
    entries = document.get("events", [])
    if not isinstance(entries, list):
        raise EventsError(f"{where}: 'events' must be a list of [[events]] tables")
    events = [_event(where, n, entry, known_themes) for n, entry in enumerate(entries, start=1)]
    return tuple(sorted(events, key=lambda e: (e.day, e.label)))


def _event(where: Path, n: int, entry: Any, known: Collection[str] | None) -> Event:
    at = f"{where}: event {n}"
    if not isinstance(entry, dict):
        raise EventsError(f"{at}: must be a table with date and label")
    unknown = sorted(set(entry) - {"date", "label", "themes"})
    if unknown:
        raise EventsError(f"{at}: unknown key(s) {', '.join(unknown)} (date, label, themes)")
    day = _day(at, entry.get("date"))
    label = entry.get("label")
    if not isinstance(label, str) or not label.strip():
        raise EventsError(f"{at}: 'label' must be a non-empty string")
    label = " ".join(label.split())
    if len(label) > LABEL_LIMIT:
        raise EventsError(f"{at}: 'label' is longer than {LABEL_LIMIT} characters")
    themes = entry.get("themes", [])
    if isinstance(themes, str):
        themes = [themes]
    if not isinstance(themes, list) or not all(isinstance(t, str) and t for t in themes):
        raise EventsError(f"{at}: 'themes' must be a list of theme ids")
    if known is not None:
        missing = sorted(set(themes) - set(known))
        if missing:
            raise EventsError(f"{at}: unknown theme id(s) {', '.join(missing)}")
    return Event(day=day, label=label, themes=tuple(dict.fromkeys(themes)))


def _day(at: str, value: Any) -> date:
    if isinstance(value, datetime):
        raise EventsError(f"{at}: 'date' must be a day (YYYY-MM-DD), not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    if value is None:
        raise EventsError(f"{at}: 'date' is missing")
    raise EventsError(f"{at}: 'date' must be a day as YYYY-MM-DD, got {value!r}")
