"""The ``[channels.NAME]`` tables of ``config/alerts.toml``, validated into frozen settings.

Every error is one ``AlertsConfigError`` line naming the file, the channel and the field, so an
analyst can fix the file without reading code. Secrets are never read from the file: the SMTP
password only from the environment variable ``password_env`` names, and a webhook URL preferably
through ``url_env`` (a literal ``url`` is accepted, but kept out of every repr and summary).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import getaddresses
from typing import Any, Literal
from urllib.parse import urlsplit

from jkwatch.alerts.message import AlertsConfigError

ChannelType = Literal["email", "webhook", "atom"]
Security = Literal["starttls", "ssl", "none"]
WebhookFormat = Literal["json", "slack", "discord", "teams", "apprise"]

CHANNEL_TYPES: tuple[ChannelType, ...] = ("email", "webhook", "atom")
SECURITY_MODES: tuple[Security, ...] = ("starttls", "ssl", "none")
WEBHOOK_FORMATS: tuple[WebhookFormat, ...] = ("json", "slack", "discord", "teams", "apprise")
DEFAULT_PORTS: dict[Security, int] = {"starttls": 587, "ssl": 465, "none": 25}
MAX_ATOM_ENTRIES = 10_000

# Channel names become file names of the served feed (/alerts/<name>.atom): keep them plain.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class EmailSettings:
    smtp_host: str
    smtp_port: int
    security: Security
    sender: str
    """The ``from`` field: ``"jkwatch <alerts@example.org>"`` or a bare address."""
    to: tuple[str, ...]
    username: str | None = None
    password_env: str | None = None
    """The name of the environment variable holding the password (never the password)."""
    ca_file: str | None = None
    """A PEM bundle to trust instead of the system's (a relay with a private CA)."""


@dataclass(frozen=True)
class WebhookSettings:
    format: WebhookFormat
    url_env: str | None = None
    url: str | None = field(default=None, repr=False)
    """A literal URL from the file; a secret like any webhook URL, so never in a repr."""


@dataclass(frozen=True)
class AtomSettings:
    path: str
    max_entries: int = 200
    title: str = "jkwatch alerts"


Settings = EmailSettings | WebhookSettings | AtomSettings


@dataclass(frozen=True)
class ChannelSpec:
    """One configured channel: its name, its type and the settings of that type."""

    name: str
    type: ChannelType
    settings: Settings


class _Fields:
    """Reads one channel's table, raising errors that name file, channel and field."""

    def __init__(self, source: str, name: str, table: Mapping[str, Any]) -> None:
        self.source = source
        self.name = name
        self.table = table
        self.used: set[str] = {"type"}

    def error(self, key: str, problem: str) -> AlertsConfigError:
        return AlertsConfigError(f"{self.source}: channel '{self.name}': field '{key}': {problem}")

    def text(self, key: str, *, required: bool = False) -> str | None:
        self.used.add(key)
        value = self.table.get(key)
        if value is None:
            if required:
                raise self.error(key, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "must be a non-empty string")
        if any(ch in value for ch in "\r\n\x00"):
            raise self.error(key, "must be one line")
        return value.strip()

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        self.used.add(key)
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, "must be an integer")
        if not low <= value <= high:
            raise self.error(key, f"must be between {low} and {high}, not {value}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.text(key) or default
        if value not in choices:
            raise self.error(key, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def env_name(self, key: str, *, required: bool = False) -> str | None:
        value = self.text(key, required=required)
        if value is not None and not _ENV_NAME.match(value):
            raise self.error(key, "must be the name of an environment variable (A-Z, 0-9, _)")
        return value

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.error(unknown[0], "unknown field")


def parse_channels(table: Mapping[str, Any], source: str) -> dict[str, ChannelSpec]:
    """The ``channels`` table of the parsed TOML as validated specs, by name."""
    if not isinstance(table, Mapping):
        raise AlertsConfigError(f"{source}: 'channels' must be a table of [channels.NAME]")
    specs: dict[str, ChannelSpec] = {}
    for name, body in table.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise AlertsConfigError(
                f"{source}: channel {name!r}: names use letters, digits, '-' and '_' "
                "(at most 64, starting with a letter or digit)"
            )
        if not isinstance(body, Mapping):
            raise AlertsConfigError(f"{source}: channel '{name}': must be a table")
        specs[name] = _parse_one(source, name, body)
    return specs


def _parse_one(source: str, name: str, body: Mapping[str, Any]) -> ChannelSpec:
    fields = _Fields(source, name, body)
    kind = body.get("type")
    if kind not in CHANNEL_TYPES:
        shown = "missing" if kind is None else f"{kind!r} is not known"
        raise fields.error("type", f"{shown}; use one of {', '.join(CHANNEL_TYPES)}")
    settings: Settings
    if kind == "email":
        settings = _email(fields)
    elif kind == "webhook":
        settings = _webhook(fields)
    else:
        settings = _atom(fields)
    fields.finish()
    return ChannelSpec(name=name, type=kind, settings=settings)


def _email(fields: _Fields) -> EmailSettings:
    if "password" in fields.table:
        raise fields.error(
            "password",
            "passwords are never read from the file; put it in an environment variable "
            "and name that variable in password_env",
        )
    host = fields.text("smtp_host", required=True)
    security: Security = fields.choice("security", SECURITY_MODES, "starttls")  # type: ignore[assignment]
    port = fields.integer("smtp_port", DEFAULT_PORTS[security], 1, 65535)
    sender = fields.text("from", required=True)
    assert host is not None and sender is not None
    if not _addresses(sender) or len(_addresses(sender)) != 1:
        raise fields.error("from", f"{sender!r} is not one email address")
    to = _recipients(fields)
    username = fields.text("username")
    password_env = fields.env_name("password_env")
    if username and not password_env:
        raise fields.error("password_env", "is required with a username (the password's variable)")
    if password_env and not username:
        raise fields.error("username", "is required with password_env")
    ca_file = fields.text("ca_file")
    return EmailSettings(host, port, security, sender, to, username, password_env, ca_file)


def _recipients(fields: _Fields) -> tuple[str, ...]:
    fields.used.add("to")
    value = fields.table.get("to")
    if value is None:
        raise fields.error("to", "is required")
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        raise fields.error("to", "must be an address or a non-empty list of addresses")
    out: list[str] = []
    for one in values:
        if not isinstance(one, str) or any(ch in one for ch in "\r\n\x00"):
            raise fields.error("to", "every address must be a one-line string")
        if len(_addresses(one)) != 1:
            raise fields.error("to", f"{one!r} is not one email address")
        out.append(one.strip())
    return tuple(out)


def _addresses(value: str) -> list[str]:
    """The addresses in ``value``; an address without an '@' does not count."""
    found = [addr for _, addr in getaddresses([value]) if addr]
    return found if all("@" in a and " " not in a for a in found) else []


def _webhook(fields: _Fields) -> WebhookSettings:
    fmt: WebhookFormat = fields.choice("format", WEBHOOK_FORMATS, "json")  # type: ignore[assignment]
    url = fields.text("url")
    url_env = fields.env_name("url_env")
    if (url is None) == (url_env is None):
        raise fields.error("url_env", "give exactly one of url_env (preferred) and url")
    if url is not None:
        problem = check_url(url, fmt)
        if problem:
            # The URL itself is a secret: say what is wrong, not what it is.
            raise fields.error("url", problem)
    return WebhookSettings(format=fmt, url_env=url_env, url=url)


def check_url(url: str, fmt: WebhookFormat) -> str | None:
    """Why ``url`` cannot be a webhook of ``fmt``, or None. Never quotes the URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "is not a URL"
    if fmt == "apprise":
        return None if parts.scheme and "://" in url else "is not an Apprise URL (scheme://...)"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL"
    return None


def _atom(fields: _Fields) -> AtomSettings:
    path = fields.text("path", required=True)
    assert path is not None
    if not path.endswith(".atom") and not path.endswith(".xml"):
        raise fields.error("path", "must name a .atom (or .xml) file")
    max_entries = fields.integer("max_entries", 200, 1, MAX_ATOM_ENTRIES)
    title = fields.text("title") or "jkwatch alerts"
    return AtomSettings(path=path, max_entries=max_entries, title=title)
