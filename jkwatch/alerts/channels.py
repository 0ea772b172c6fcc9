"""PLACEHOLDER until the alerts-channels branch is merged: the channels' contract only.

The real module (email, webhooks, Atom) replaces this file at merge; the engine depends only on
``ChannelSpec.name``/``.type``, ``parse_channels``, ``deliver`` and ``describe``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from jkwatch.alerts.message import AlertsConfigError, DeliveryError, Message

ChannelType = Literal["email", "webhook", "atom"]
_TYPES = ("email", "webhook", "atom")


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    type: ChannelType
    options: Mapping[str, Any] = field(default_factory=dict)


def parse_channels(table: Mapping[str, Any], source: str) -> dict[str, ChannelSpec]:
    out: dict[str, ChannelSpec] = {}
    for name, body in table.items():
        if not isinstance(body, Mapping):
            raise AlertsConfigError(f"{source}: channel {name!r}: must be a table")
        kind = body.get("type")
        if kind not in _TYPES:
            raise AlertsConfigError(f"{source}: channel {name!r}: type must be one of {_TYPES}")
        out[name] = ChannelSpec(name, kind, dict(body))
    return out


def deliver(
    spec: ChannelSpec,
    message: Message,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 20.0,
) -> None:
    raise DeliveryError(f"channel {spec.name}: channels are not built yet", retryable=False)


def describe(spec: ChannelSpec) -> str:
    return f"{spec.name} ({spec.type})"
