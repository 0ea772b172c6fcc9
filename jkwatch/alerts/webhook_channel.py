"""The webhook channel: POST a message as JSON in jkwatch's own shape or Slack's, Discord's or
Teams', or hand it to Apprise for any of the services Apprise knows.

Why the four shapes go through httpx and not Apprise: Apprise's Slack, Discord and Teams plugins
post only to the vendors' own hosts (so neither a test nor a self-hosted relay can receive
them), its generic ``json://`` body has a fixed shape of its own (title, message, type) that
cannot carry blocks, embeds or cards, and it reports a delivery as True/False, so a 429 with
Retry-After cannot be told from a 404. ``format = "apprise"`` is for everything else (Telegram,
ntfy, Matrix, Mattermost...): the URL is an Apprise URL and Apprise sends the subject and text.

The URL is a secret (webhook tokens live in it): errors and logs show ``scheme://host/…``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

import httpx

from jkwatch.alerts.channel_config import WebhookSettings, check_url
from jkwatch.alerts.message import DeliveryError, Message
from jkwatch.alerts.redact import safe_url, scheme_only, scrub, scrubbed_logs, secret_parts
from jkwatch.alerts.webhook_shapes import BUILDERS

log = logging.getLogger(__name__)

USER_AGENT = "jkwatch-alerts/1"


def resolve_url(settings: WebhookSettings, env: Mapping[str, str], channel: str) -> str:
    """The channel's URL, from the file or the environment; never quoted in an error."""
    if settings.url is not None:
        return settings.url
    assert settings.url_env is not None
    url = env.get(settings.url_env, "").strip()
    if not url:
        raise DeliveryError(
            f"channel '{channel}': the environment variable {settings.url_env} (the webhook URL) "
            "is not set",
            retryable=False,
        )
    problem = check_url(url, settings.format)
    if problem:
        raise DeliveryError(
            f"channel '{channel}': the URL in {settings.url_env} {problem}", retryable=False
        )
    return url


def send_webhook(
    settings: WebhookSettings,
    message: Message,
    env: Mapping[str, str],
    timeout_s: float,
    channel: str = "webhook",
) -> None:
    """Deliver ``message`` or raise ``DeliveryError``."""
    url = resolve_url(settings, env, channel)
    secrets = secret_parts(url, host_too=settings.format == "apprise")
    if settings.format == "apprise":
        _send_apprise(url, message, timeout_s, channel, secrets)
        return
    try:
        # Serialised here, not by httpx: ``data`` may hold dates or decimals, shown as text.
        body = json.dumps(BUILDERS[settings.format](message), ensure_ascii=False, default=str)
    except (TypeError, ValueError) as exc:
        raise DeliveryError(
            f"channel '{channel}': the message cannot be sent as JSON ({exc})", retryable=False
        ) from None
    where = f"channel '{channel}': webhook {safe_url(url)}"
    try:
        # httpx logs every request's full URL at INFO: mask it while we post.
        with scrubbed_logs(secrets):
            response = httpx.post(
                url,
                content=body.encode("utf-8"),
                timeout=timeout_s,
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT, "Content-Type": "application/json"},
            )
    except httpx.TimeoutException:
        raise _error(f"{where}: timed out after {timeout_s:g} s", True, secrets) from None
    except httpx.HTTPError as exc:
        # httpx's own message may quote the URL; the exception's type says enough.
        raise _error(f"{where}: connection failed ({type(exc).__name__})", True, secrets) from None
    status = response.status_code
    if 200 <= status < 300:
        log.info(
            "alert posted channel=%s event_key=%s status=%d", channel, message.event_key, status
        )
        return
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    retryable = status == 429 or status >= 500
    reason = f"{where}: HTTP {status}"
    if 300 <= status < 400:
        reason += " (a redirect; configure the final URL)"
    if retry_after is not None:
        reason += f", retry after {retry_after:g} s"
    raise _error(reason, retryable, secrets, retry_after)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def _error(
    reason: str, retryable: bool, secrets: list[str], retry_after: float | None = None
) -> DeliveryError:
    text = scrub(reason, secrets)
    log.warning("alert webhook failed retryable=%s reason=%s", retryable, text)
    return DeliveryError(text, retryable=retryable, retry_after_s=retry_after)


def _send_apprise(
    url: str, message: Message, timeout_s: float, channel: str, secrets: list[str]
) -> None:
    import apprise  # imported here: only this format needs it, and it is slow to import

    where = f"channel '{channel}': apprise {scheme_only(url)}"
    # Apprise logs its URLs, and requests' urllib3 logs each request line with the path.
    with scrubbed_logs(secrets):
        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:
            raise _error(f"{where}: Apprise does not accept this URL", False, secrets)
        plugin.socket_connect_timeout = timeout_s
        plugin.socket_read_timeout = timeout_s
        notifier = apprise.Apprise()
        notifier.add(plugin)
        result = notifier.notify(
            body=message.text or message.subject,
            title=message.subject,
            body_format=apprise.NotifyFormat.TEXT,
        )
    if not result:
        # Apprise says only that it failed (its log, scrubbed, says why): try again later.
        raise _error(f"{where}: Apprise could not deliver", True, secrets)
    log.info("alert sent through apprise channel=%s event_key=%s", channel, message.event_key)
