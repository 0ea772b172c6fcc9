"""The Atom channel (being written)."""

from __future__ import annotations

from jkwatch.alerts.channel_config import AtomSettings
from jkwatch.alerts.message import DeliveryError, Message


def write_entry(settings: AtomSettings, message: Message, channel: str = "atom") -> None:
    raise DeliveryError(f"channel '{channel}': the Atom channel is not ready yet", retryable=False)
