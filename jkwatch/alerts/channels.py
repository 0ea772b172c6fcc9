"""The channels: given a configured channel and a ``Message``, deliver it or raise
``DeliveryError``. The one entry point the delivery engine calls.

- ``parse_channels(table, source)``: the ``[channels.NAME]`` tables of ``config/alerts.toml``
  as ``ChannelSpec`` values (errors name file, channel and field; see ``channel_config``).
- ``deliver(spec, message, env, timeout_s)``: one attempt; ``DeliveryError.retryable`` tells the
  engine whether to try again, ``retry_after_s`` when the receiver said how long to wait.
- ``describe(spec)``: a one-line summary without secrets, for ``jkwatch alerts list``.

Each type lives in its own module (``email_channel``, ``webhook_channel``, ``atom_channel``);
this one only dispatches. The environment defaults to ``os.environ`` and is read at delivery,
so a password or URL set after the configuration was loaded is still found.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Mapping

from jkwatch.alerts.atom_channel import write_entry
from jkwatch.alerts.channel_config import (
    AtomSettings,
    ChannelSpec,
    EmailSettings,
    WebhookSettings,
    parse_channels,
)
from jkwatch.alerts.email_channel import send_email
from jkwatch.alerts.message import DeliveryError, Message
from jkwatch.alerts.redact import safe_url, scheme_only
from jkwatch.alerts.webhook_channel import send_webhook

__all__ = ["ChannelSpec", "parse_channels", "deliver", "describe"]

log = logging.getLogger(__name__)


def deliver(
    spec: ChannelSpec,
    message: Message,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 20.0,
) -> None:
    """Send ``message`` through ``spec`` once; raise ``DeliveryError`` if it did not go."""
    environ: Mapping[str, str] = os.environ if env is None else env
    settings = spec.settings
    try:
        if isinstance(settings, EmailSettings):
            send_email(settings, message, environ, timeout_s, channel=spec.name)
        elif isinstance(settings, WebhookSettings):
            send_webhook(settings, message, environ, timeout_s, channel=spec.name)
        else:
            write_entry(settings, message, channel=spec.name)
    except DeliveryError:
        raise
    except Exception as exc:
        # A bug, not a delivery problem; its text may quote a URL, so only its type and
        # place are said (rerun the delivery under a debugger for the rest).
        where = _origin(exc)
        log.error(
            "alert channel bug channel=%s error=%s at=%s", spec.name, type(exc).__name__, where
        )
        raise DeliveryError(
            f"channel '{spec.name}': unexpected {type(exc).__name__} at {where}", retryable=False
        ) from None


def _origin(exc: BaseException) -> str:
    """``module.py:line`` of the innermost frame that raised ``exc``."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else "?"


def describe(spec: ChannelSpec) -> str:
    """``desk: email to a@x.org via smtp.example.org:587 (starttls)``: never a secret."""
    settings = spec.settings
    if isinstance(settings, EmailSettings):
        login = (
            f", login {settings.username} (password from ${settings.password_env})"
            if settings.username
            else ""
        )
        return (
            f"{spec.name}: email to {', '.join(settings.to)} via "
            f"{settings.smtp_host}:{settings.smtp_port} ({settings.security}){login}"
        )
    if isinstance(settings, WebhookSettings):
        if settings.url_env is not None:
            target = f"URL from ${settings.url_env}"
        elif settings.format == "apprise":
            target = scheme_only(settings.url or "")
        else:
            target = safe_url(settings.url or "")
        return f"{spec.name}: webhook ({settings.format}) to {target}"
    assert isinstance(settings, AtomSettings)
    return f"{spec.name}: Atom feed {settings.path} (newest {settings.max_entries})"
