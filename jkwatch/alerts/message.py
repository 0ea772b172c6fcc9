"""The value every channel delivers, and the errors channels raise.

A rule or a scheduled brief turns what it found into one ``Message``; the delivery engine hands
the same message to each of the rule's channels. ``event_key`` identifies the event (not the
delivery): it is what makes a second worker, a restart or a rerun recognise an alert that was
already sent, and it is the Atom entry's id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ItemLink:
    """One item behind an alert's numbers: enough to find it again."""

    item_id: int
    title: str
    url: str | None
    outlet: str
    published_at: datetime


@dataclass(frozen=True)
class Message:
    """What a channel sends. ``text`` is plain text (Markdown for briefs), ``html`` a
    self-contained HTML document or None; ``data`` is the structured content (rule, theme,
    figures) that JSON webhooks and the Atom feed carry."""

    event_key: str
    kind: str
    """"spike", "story", "watch" or "brief"."""
    rule: str
    subject: str
    text: str
    created_at: datetime
    html: str | None = None
    items: tuple[ItemLink, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)


class AlertsError(Exception):
    """Base of the alerts layer's errors."""


class AlertsConfigError(AlertsError):
    """``config/alerts.toml`` is invalid; the message names the file, the rule or channel, and
    the field."""


class DeliveryError(AlertsError):
    """A channel could not deliver a message. The message never contains a secret (passwords,
    tokens in webhook URLs); ``retryable`` says whether trying again later may help, and
    ``retry_after_s`` how long the receiver asked to wait (an HTTP Retry-After), if it did."""

    def __init__(
        self, message: str, retryable: bool = True, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after_s = retry_after_s
