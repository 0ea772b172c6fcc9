"""The email channel: one message as multipart/alternative (the plain or Markdown text, then the
self-contained HTML when there is one) over SMTP with STARTTLS, implicit TLS or plain (a local
relay only).

Stdlib ``smtplib`` rather than Apprise: Apprise's email plugin builds the plain part by
converting the HTML body, so the brief's own Markdown could not be the text part, and it
reports failures as a bare ``False``, which cannot tell a wrong password (do not retry) from a
busy server (retry). The password comes only from the environment variable the channel names
and never appears in an error or a log line.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from jkwatch.alerts.channel_config import EmailSettings
from jkwatch.alerts.message import DeliveryError, Message
from jkwatch.alerts.redact import scrub

log = logging.getLogger(__name__)

SUBJECT_MAX = 200


def build_email(settings: EmailSettings, message: Message) -> EmailMessage:
    """The MIME message for ``message``: text part first, HTML alternative second."""
    mail = EmailMessage()
    mail["Subject"] = _one_line(message.subject)[:SUBJECT_MAX]
    mail["From"] = settings.sender
    mail["To"] = ", ".join(settings.to)
    mail["Date"] = formatdate(message.created_at.timestamp(), usegmt=True)
    mail["Message-ID"] = make_msgid(domain="jkwatch.alerts")
    mail["X-Jkwatch-Event"] = _one_line(message.event_key)[:200]
    mail.set_content(_encodable(_with_links(message)), subtype="plain", charset="utf-8")
    if message.html:
        mail.add_alternative(_encodable(message.html), subtype="html", charset="utf-8")
    return mail


def _one_line(text: str) -> str:
    """Header values may not carry line breaks (a title from a feed is untrusted)."""
    return " ".join(_encodable(text).split())


def _encodable(text: str) -> str:
    """``text`` that UTF-8 can carry: a lone surrogate (undecodable bytes upstream) becomes '?'."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _with_links(message: Message) -> str:
    """The text part, ending with the items behind the alert when the text does not list them."""
    text = message.text.rstrip() + "\n"
    missing = [item for item in message.items if item.url and item.url not in message.text]
    if missing:
        lines = [
            f"- {_one_line(i.title)} ({i.outlet}, {i.published_at:%Y-%m-%d}): {i.url}"
            for i in missing
        ]
        text += "\nItems:\n" + "\n".join(lines) + "\n"
    return text


def send_email(
    settings: EmailSettings,
    message: Message,
    env: Mapping[str, str],
    timeout_s: float,
    channel: str = "email",
) -> None:
    """Deliver ``message`` or raise ``DeliveryError`` (retryable unless retrying cannot help)."""
    password: str | None = None
    if settings.password_env:
        password = env.get(settings.password_env)
        if not password:
            raise DeliveryError(
                f"channel '{channel}': the environment variable {settings.password_env} "
                "(the SMTP password) is not set",
                retryable=False,
            )
    mail = build_email(settings, message)
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        _transmit(settings, mail, password, timeout_s)
    except DeliveryError:
        raise
    except smtplib.SMTPNotSupportedError:
        reason = "the server does not offer login here (AUTH); is security right?"
        raise _error(channel, where, reason, False, password) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise _error(channel, where, f"login refused ({exc.smtp_code})", False, password) from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        retry = all(400 <= code < 500 for code in codes)
        raise _error(channel, where, f"recipients refused ({codes})", retry, password) from None
    except smtplib.SMTPResponseException as exc:
        reply = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        retry = 400 <= exc.smtp_code < 500
        reason = f"server said {exc.smtp_code} {_one_line(reply)[:200]}"
        raise _error(channel, where, reason, retry, password) from None
    except ssl.SSLCertVerificationError as exc:
        reason = (
            f"TLS certificate not trusted ({exc.verify_message}); set ca_file or fix the server"
        )
        raise _error(channel, where, reason, False, password) from None
    except ssl.SSLError as exc:
        reason = (
            f"TLS failed ({exc.reason or type(exc).__name__}); is security right for this port?"
        )
        raise _error(channel, where, reason, False, password) from None
    except TimeoutError:
        raise _error(channel, where, f"timed out after {timeout_s:g} s", True, password) from None
    except smtplib.SMTPException as exc:
        raise _error(
            channel, where, f"SMTP error ({type(exc).__name__}: {exc})", True, password
        ) from None
    except OSError as exc:
        reason = f"connection failed ({exc.strerror or type(exc).__name__})"
        raise _error(channel, where, reason, True, password) from None
    log.info(
        "alert emailed channel=%s event_key=%s recipients=%d",
        channel,
        message.event_key,
        len(settings.to),
    )


def _transmit(
    settings: EmailSettings, mail: EmailMessage, password: str | None, timeout_s: float
) -> None:
    context = _tls_context(settings)
    smtp: smtplib.SMTP
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout_s, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout_s)
    with smtp:
        smtp.ehlo()
        if settings.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise DeliveryError(
                    f"email {settings.smtp_host}:{settings.smtp_port}: the server does not offer "
                    'STARTTLS; refusing to send in the clear (security = "none" is for a local relay)',
                    retryable=False,
                )
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.username and password is not None:
            smtp.login(settings.username, password)
        smtp.send_message(mail)


def _tls_context(settings: EmailSettings) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=settings.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(
            f"email {settings.smtp_host}:{settings.smtp_port}: cannot read ca_file ({type(exc).__name__})",
            retryable=False,
        ) from None


def _error(
    channel: str, where: str, reason: str, retryable: bool, password: str | None
) -> DeliveryError:
    text = scrub(
        f"channel '{channel}': email via {where}: {reason}", [password] if password else []
    )
    log.warning("alert email failed channel=%s retryable=%s reason=%s", channel, retryable, text)
    return DeliveryError(text, retryable=retryable)
