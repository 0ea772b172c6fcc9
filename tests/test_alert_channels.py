"""The alert channels against real local receivers: an aiosmtpd SMTP server (plain, STARTTLS
and implicit TLS with a certificate made for the test) and an HTTP receiver on 127.0.0.1 that
records each webhook body. Secrets are planted and searched for in errors, logs and summaries.
"""

from __future__ import annotations

import json
import logging
import ssl
import tomllib
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import trustme
from hypothesis import given, settings
from hypothesis import strategies as st

from jkwatch.alerts import webhook_shapes
from jkwatch.alerts.channel_config import EmailSettings
from jkwatch.alerts.channels import ChannelSpec, deliver, describe, parse_channels
from jkwatch.alerts.email_channel import build_email
from jkwatch.alerts.message import AlertsConfigError, DeliveryError, ItemLink, Message
from tests.alert_receivers import SmtpServer, WebhookReceiver
from tests.processes import free_port

SOURCE = "config/alerts.toml"
PASSWORD = "hunter2-Secret-Pw"
TOKEN = "T0KEN-abcdef-123456"


def make_message(**changes: object) -> Message:
    fields: dict[str, object] = {
        "event_key": "spike:missiles:2026-12-05",
        "kind": "spike",
        "rule": "missile-spike",
        "subject": "Spike: missiles at 14 items (z 3.2)",
        "text": "Missiles rose to 14 items against a baseline of 4.1.",
        "created_at": datetime(2026, 12, 5, 6, 0, tzinfo=UTC),
        "html": "<!doctype html><html><body><h1>Spike: missiles</h1><p>14 items</p></body></html>",
        "items": (
            ItemLink(
                1,
                "Launch reported off the east coast",
                "https://news.example.jp/a/1",
                "Example Shimbun",
                datetime(2026, 12, 5, 3, 0, tzinfo=UTC),
            ),
            ItemLink(
                2,
                "Seoul convenes security council",
                "https://news.example.kr/b/2",
                "Example Ilbo",
                datetime(2026, 12, 5, 4, 30, tzinfo=UTC),
            ),
        ),
        "data": {"theme": "missiles", "count": 14, "baseline": 4.1, "z": 3.2},
    }
    fields.update(changes)
    return Message(**fields)  # type: ignore[arg-type]


def channel(**table: object) -> ChannelSpec:
    return parse_channels({"c": dict(table)}, SOURCE)["c"]


def email_channel(server: SmtpServer, **extra: object) -> ChannelSpec:
    table: dict[str, object] = {
        "type": "email",
        "smtp_host": server.host,
        "smtp_port": server.port,
        "security": "none",
        "from": "jkwatch <alerts@example.org>",
        "to": ["analyst@example.org", "desk@example.org"],
    }
    table.update(extra)
    return channel(**table)


# --- configuration ----------------------------------------------------------------------------


def test_the_documented_examples_parse_into_one_spec_per_channel():
    text = (Path(__file__).resolve().parents[1] / "docs" / "alert-channels.md").read_text()
    block = text.split("```toml", 1)[1].split("```", 1)[0]
    specs = parse_channels(tomllib.loads(block)["channels"], SOURCE)
    assert {name: spec.type for name, spec in specs.items()} == {
        "desk": "email",
        "team": "webhook",
        "reader": "atom",
    }
    assert specs["desk"].settings.smtp_port == 587  # type: ignore[union-attr]


def test_a_password_in_the_file_is_refused_and_the_error_says_where_it_belongs():
    with pytest.raises(AlertsConfigError) as caught:
        channel(type="email", smtp_host="h", **{"from": "a@x.org"}, to="b@x.org", password=PASSWORD)
    message = str(caught.value)
    assert message.startswith("config/alerts.toml: channel 'c': field 'password': ")
    assert "password_env" in message and PASSWORD not in message


@pytest.mark.parametrize(
    ("table", "field", "words"),
    [
        (
            {
                "type": "email",
                "smtp_host": "h",
                "from": "a@x.org",
                "to": "b@x.org",
                "colour": "red",
            },
            "colour",
            "unknown field",
        ),
        ({"type": "email", "smtp_host": "h", "from": "a@x.org"}, "to", "required"),
        (
            {"type": "email", "smtp_host": "h", "from": "a@x.org", "to": ["not an address"]},
            "to",
            "not one email address",
        ),
        (
            {
                "type": "email",
                "smtp_host": "h",
                "from": "a@x.org",
                "to": "b@x.org",
                "security": "tls",
            },
            "security",
            "starttls, ssl, none",
        ),
        (
            {
                "type": "email",
                "smtp_host": "h",
                "from": "a@x.org",
                "to": "b@x.org",
                "smtp_port": True,
            },
            "smtp_port",
            "integer",
        ),
        (
            {
                "type": "email",
                "smtp_host": "h",
                "from": "a@x.org",
                "to": "b@x.org",
                "username": "u",
            },
            "password_env",
            "required",
        ),
        (
            {"type": "email", "smtp_host": "h\nBcc: x@y.org", "from": "a@x.org", "to": "b@x.org"},
            "smtp_host",
            "one line",
        ),
        ({"type": "webhook", "format": "json"}, "url_env", "exactly one"),
        ({"type": "webhook", "url": "ftp://host/x", "url_env": "X"}, "url_env", "exactly one"),
        ({"type": "webhook", "url": "ftp://host/x"}, "url", "http"),
        ({"type": "webhook", "url_env": "X", "format": "telex"}, "format", "json, slack"),
        ({"type": "webhook", "url_env": "not a name"}, "url_env", "environment variable"),
        ({"type": "atom", "path": "alerts.atom", "max_entries": 0}, "max_entries", "between 1"),
        ({"type": "atom"}, "path", "required"),
        ({"type": "pigeon"}, "type", "email, webhook, atom"),
    ],
)
def test_each_configuration_error_names_the_file_the_channel_and_the_field(table, field, words):
    with pytest.raises(AlertsConfigError) as caught:
        parse_channels({"desk": table}, SOURCE)
    message = str(caught.value)
    assert message.startswith(f"config/alerts.toml: channel 'desk': field '{field}': ")
    assert words in message
    assert "\n" not in message


def test_a_channel_name_that_could_not_be_a_feed_file_name_is_refused():
    with pytest.raises(AlertsConfigError, match="channel '../x'"):
        parse_channels({"../x": {"type": "atom", "path": "a.atom"}}, SOURCE)


def test_describe_shows_the_target_but_never_a_secret():
    hook = channel(
        type="webhook", url=f"https://hooks.example.com/services/{TOKEN}", format="slack"
    )
    assert describe(hook) == "c: webhook (slack) to https://hooks.example.com/…"
    assert TOKEN not in repr(hook)
    from_env = channel(type="webhook", url_env="JKWATCH_HOOK")
    assert describe(from_env) == "c: webhook (json) to URL from $JKWATCH_HOOK"
    mail = channel(
        type="email",
        smtp_host="smtp.example.org",
        **{"from": "a@x.org"},
        to="b@x.org",
        username="alerts",
        password_env="JKWATCH_SMTP_PASSWORD",
    )
    assert describe(mail) == (
        "c: email to b@x.org via smtp.example.org:587 (starttls), "
        "login alerts (password from $JKWATCH_SMTP_PASSWORD)"
    )


# --- email ------------------------------------------------------------------------------------


def test_an_email_arrives_as_text_and_html_alternatives_with_links_to_the_items():
    with SmtpServer() as server:
        deliver(email_channel(server), make_message(), env={})
    assert len(server.messages) == 1
    mail = server.messages[0]
    assert mail["Subject"] == "Spike: missiles at 14 items (z 3.2)"
    assert mail["From"] == "jkwatch <alerts@example.org>"
    assert server.envelopes[0] == (
        "alerts@example.org",
        ["analyst@example.org", "desk@example.org"],
    )
    assert mail.get_content_type() == "multipart/alternative"
    text_part, html_part = list(mail.iter_parts())
    assert text_part.get_content_type() == "text/plain"
    assert html_part.get_content_type() == "text/html"
    text = text_part.get_content()
    assert "baseline of 4.1" in text
    assert "https://news.example.jp/a/1" in text and "https://news.example.kr/b/2" in text
    assert "<h1>Spike: missiles</h1>" in html_part.get_content()


def test_a_message_without_html_is_sent_as_plain_text():
    with SmtpServer() as server:
        deliver(email_channel(server), make_message(html=None), env={})
    assert server.messages[0].get_content_type() == "text/plain"


def test_a_line_break_in_an_untrusted_subject_cannot_add_a_header():
    with SmtpServer() as server:
        deliver(
            email_channel(server), make_message(subject="Story\r\nBcc: victim@example.org"), env={}
        )
    mail = server.messages[0]
    assert mail["Subject"] == "Story Bcc: victim@example.org"
    assert mail["Bcc"] is None
    assert server.envelopes[0][1] == ["analyst@example.org", "desk@example.org"]


@pytest.fixture(scope="module")
def tls_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, str]:
    """A certificate authority made for the tests, a server context for 127.0.0.1 signed by it,
    and the CA's PEM file to trust."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    pem = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return server_context, str(pem)


def test_starttls_with_a_login_delivers_when_the_certificate_is_trusted(tls_ca):
    context, ca_file = tls_ca
    with SmtpServer(tls=context, logins={"alerts": PASSWORD}) as server:
        spec = email_channel(
            server,
            security="starttls",
            username="alerts",
            password_env="JKWATCH_SMTP_PASSWORD",
            ca_file=ca_file,
        )
        deliver(spec, make_message(), env={"JKWATCH_SMTP_PASSWORD": PASSWORD})
    assert len(server.messages) == 1


def test_implicit_tls_delivers_when_security_is_ssl(tls_ca):
    context, ca_file = tls_ca
    with SmtpServer(tls=context, implicit_tls=True) as server:
        deliver(email_channel(server, security="ssl", ca_file=ca_file), make_message(), env={})
    assert len(server.messages) == 1


def test_an_untrusted_certificate_is_a_lasting_failure_that_says_so(tls_ca):
    context, _ = tls_ca
    with SmtpServer(tls=context) as server, pytest.raises(DeliveryError) as caught:
        deliver(email_channel(server, security="starttls"), make_message(), env={})
    assert caught.value.retryable is False
    assert "certificate" in str(caught.value)
    assert server.messages == []


def test_starttls_is_never_skipped_when_the_server_does_not_offer_it():
    with SmtpServer() as server, pytest.raises(DeliveryError) as caught:
        deliver(email_channel(server, security="starttls"), make_message(), env={})
    assert caught.value.retryable is False
    assert "STARTTLS" in str(caught.value)
    assert server.messages == []


def test_a_refused_password_never_appears_in_the_error_the_log_or_the_summary(caplog):
    caplog.set_level(logging.DEBUG)
    with SmtpServer(logins={"alerts": "the-right-one"}) as server:
        spec = email_channel(server, username="alerts", password_env="JKWATCH_SMTP_PASSWORD")
        with pytest.raises(DeliveryError) as caught:
            deliver(spec, make_message(), env={"JKWATCH_SMTP_PASSWORD": PASSWORD})
    assert caught.value.retryable is False
    assert "login refused" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    assert PASSWORD not in caplog.text
    assert caplog.records, "the failure is logged"
    assert PASSWORD not in describe(spec)
    assert server.messages == []


def test_a_missing_password_variable_is_a_lasting_failure_naming_the_variable():
    with SmtpServer() as server:
        spec = email_channel(server, username="alerts", password_env="JKWATCH_SMTP_PASSWORD")
        with pytest.raises(DeliveryError, match="JKWATCH_SMTP_PASSWORD") as caught:
            deliver(spec, make_message(), env={})
    assert caught.value.retryable is False


def test_a_server_that_is_not_there_is_worth_retrying():
    spec = channel(
        type="email",
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        security="none",
        **{"from": "a@example.org"},
        to="b@example.org",
    )
    with pytest.raises(DeliveryError, match="connection failed") as caught:
        deliver(spec, make_message(), env={}, timeout_s=2)
    assert caught.value.retryable is True


# --- webhooks ---------------------------------------------------------------------------------


@pytest.fixture
def receiver():
    with WebhookReceiver() as hook:
        yield hook


def hook_channel(receiver: WebhookReceiver, fmt: str) -> tuple[ChannelSpec, dict[str, str]]:
    spec = channel(type="webhook", url_env="JKWATCH_HOOK", format=fmt)
    return spec, {"JKWATCH_HOOK": receiver.url(f"/hooks/{TOKEN}")}


def test_the_json_webhook_carries_jkwatchs_own_shape(receiver):
    spec, env = hook_channel(receiver, "json")
    deliver(spec, make_message(), env=env)
    (body,) = receiver.bodies
    assert body == {
        "event_key": "spike:missiles:2026-12-05",
        "kind": "spike",
        "rule": "missile-spike",
        "subject": "Spike: missiles at 14 items (z 3.2)",
        "text": "Missiles rose to 14 items against a baseline of 4.1.",
        "created_at": "2026-12-05T06:00:00+00:00",
        "items": [
            {
                "id": 1,
                "title": "Launch reported off the east coast",
                "url": "https://news.example.jp/a/1",
                "outlet": "Example Shimbun",
                "published_at": "2026-12-05T03:00:00+00:00",
            },
            {
                "id": 2,
                "title": "Seoul convenes security council",
                "url": "https://news.example.kr/b/2",
                "outlet": "Example Ilbo",
                "published_at": "2026-12-05T04:30:00+00:00",
            },
        ],
        "data": {"theme": "missiles", "count": 14, "baseline": 4.1, "z": 3.2},
    }
    path, headers, _ = receiver.posts[0]
    assert path == f"/hooks/{TOKEN}"
    assert headers["content-type"] == "application/json"


def test_the_slack_shape_has_fallback_text_blocks_and_escaped_links(receiver):
    spec, env = hook_channel(receiver, "slack")
    title = "Tokyo <script> & Seoul | talks"
    items = (
        ItemLink(
            7,
            title,
            "https://news.example.jp/c/7",
            "Example Times",
            datetime(2026, 12, 5, tzinfo=UTC),
        ),
    )
    deliver(spec, make_message(items=items), env=env)
    (body,) = receiver.bodies
    assert set(body) == {"text", "blocks"}
    assert body["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Spike: missiles at 14 items (z 3.2)"},
    }
    links = body["blocks"][-1]["text"]["text"]
    assert "<https://news.example.jp/c/7|Tokyo &lt;script&gt; &amp; Seoul ¦ talks>" in links
    assert "<script>" not in str(body)


def test_the_discord_shape_keeps_to_2000_characters_ten_embeds_and_no_mentions(receiver):
    spec, env = hook_channel(receiver, "discord")
    items = tuple(
        ItemLink(
            i,
            f"Item {i}",
            f"https://news.example.kr/{i}",
            "Example Ilbo",
            datetime(2026, 12, 5, tzinfo=UTC),
        )
        for i in range(15)
    )
    deliver(spec, make_message(text="@everyone " + "x" * 5000, items=items), env=env)
    (body,) = receiver.bodies
    assert len(body["content"]) == 2000 and body["content"].endswith("…")
    assert len(body["embeds"]) == 10
    assert body["embeds"][0] == {
        "title": "Item 0",
        "description": "Example Ilbo",
        "timestamp": "2026-12-05T00:00:00+00:00",
        "url": "https://news.example.kr/0",
    }
    assert body["allowed_mentions"] == {"parse": []}


def test_the_teams_shape_is_an_adaptive_card_with_the_items_as_links(receiver):
    spec, env = hook_channel(receiver, "teams")
    deliver(spec, make_message(), env=env)
    (body,) = receiver.bodies
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    texts = [block["text"] for block in card["body"]]
    assert texts[0] == "Spike: missiles at 14 items \\(z 3.2\\)"
    assert any("(https://news.example.jp/a/1)" in t for t in texts)


@pytest.mark.parametrize(
    ("status", "headers", "retryable", "retry_after"),
    [
        (500, {}, True, None),
        (503, {"Retry-After": "120"}, True, 120.0),
        (429, {"Retry-After": "30"}, True, 30.0),
        (404, {}, False, None),
        (400, {}, False, None),
        (301, {"Location": "https://elsewhere.example/"}, False, None),
    ],
)
def test_a_failing_receiver_raises_the_right_delivery_error(
    receiver, status, headers, retryable, retry_after
):
    spec, env = hook_channel(receiver, "json")
    receiver.respond(status, b"no", headers)
    with pytest.raises(DeliveryError) as caught:
        deliver(spec, make_message(), env=env)
    assert caught.value.retryable is retryable
    assert caught.value.retry_after_s == retry_after
    assert f"HTTP {status}" in str(caught.value)


def test_a_receiver_that_does_not_answer_in_time_is_worth_retrying(receiver):
    spec, env = hook_channel(receiver, "json")
    receiver.respond(200, delay_s=0.5)
    with pytest.raises(DeliveryError, match="timed out") as caught:
        deliver(spec, make_message(), env=env, timeout_s=0.1)
    assert caught.value.retryable is True


def test_a_receiver_that_is_not_there_is_worth_retrying():
    spec = channel(type="webhook", url_env="JKWATCH_HOOK")
    env = {"JKWATCH_HOOK": f"http://127.0.0.1:{free_port()}/hooks/{TOKEN}"}
    with pytest.raises(DeliveryError, match="connection failed") as caught:
        deliver(spec, make_message(), env=env, timeout_s=2)
    assert caught.value.retryable is True


def test_a_webhook_token_never_appears_in_the_error_the_log_or_the_summary(receiver, caplog):
    caplog.set_level(logging.DEBUG)
    spec, env = hook_channel(receiver, "slack")
    receiver.respond(403, b"invalid_token " + TOKEN.encode())
    with pytest.raises(DeliveryError) as caught:
        deliver(spec, make_message(), env=env)
    assert str(caught.value) == f"channel 'c': webhook http://127.0.0.1:{receiver.port}/…: HTTP 403"
    assert TOKEN not in caplog.text
    assert caplog.records, "the failure is logged"
    assert TOKEN not in describe(spec)


def test_an_unset_url_variable_is_a_lasting_failure_naming_the_variable():
    spec = channel(type="webhook", url_env="JKWATCH_HOOK")
    with pytest.raises(DeliveryError, match="JKWATCH_HOOK") as caught:
        deliver(spec, make_message(), env={})
    assert caught.value.retryable is False


def test_an_apprise_url_delivers_the_subject_and_text_through_apprise(receiver):
    spec = channel(type="webhook", url_env="JKWATCH_APPRISE", format="apprise")
    env = {"JKWATCH_APPRISE": f"json://127.0.0.1:{receiver.port}/hooks/{TOKEN}"}
    deliver(spec, make_message(), env=env)
    (body,) = receiver.bodies
    assert body["title"] == "Spike: missiles at 14 items (z 3.2)"
    assert body["message"] == "Missiles rose to 14 items against a baseline of 4.1."
    assert receiver.posts[0][0] == f"/hooks/{TOKEN}"


def test_an_apprise_failure_is_retryable_and_keeps_the_token_out_of_every_log(receiver, caplog):
    caplog.set_level(logging.DEBUG)
    spec = channel(type="webhook", url_env="JKWATCH_APPRISE", format="apprise")
    env = {"JKWATCH_APPRISE": f"json://127.0.0.1:{receiver.port}/hooks/{TOKEN}"}
    receiver.respond(500)
    with pytest.raises(DeliveryError) as caught:
        deliver(spec, make_message(), env=env)
    assert caught.value.retryable is True
    assert TOKEN not in str(caught.value)
    assert any(r.name.startswith("apprise") for r in caplog.records), "apprise logged its side"
    assert TOKEN not in caplog.text


def test_dates_in_the_structured_data_are_sent_as_text(receiver):
    spec, env = hook_channel(receiver, "json")
    deliver(spec, make_message(data={"since": datetime(2026, 12, 1, tzinfo=UTC)}), env=env)
    assert receiver.bodies[0]["data"] == {"since": "2026-12-01 00:00:00+00:00"}


def test_an_apprise_url_whose_host_is_a_token_is_never_shown(receiver, caplog):
    caplog.set_level(logging.DEBUG)
    literal = channel(type="webhook", url=f"tgram://{TOKEN}/12345", format="apprise")
    assert describe(literal) == "c: webhook (apprise) to tgram://…"
    spec = channel(type="webhook", url_env="JKWATCH_APPRISE", format="apprise")
    env = {"JKWATCH_APPRISE": f"json://alerts:{TOKEN}@127.0.0.1:{receiver.port}/in"}
    receiver.respond(401)
    with pytest.raises(DeliveryError) as caught:
        deliver(spec, make_message(), env=env)
    assert str(caught.value) == "channel 'c': apprise json://…: Apprise could not deliver"
    assert TOKEN not in caplog.text


def test_retry_after_may_be_an_http_date():
    from jkwatch.alerts.webhook_channel import parse_retry_after

    now = datetime(2026, 12, 5, 6, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("Sat, 05 Dec 2026 06:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Sat, 05 Dec 2026 05:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


def test_a_login_on_a_server_without_auth_is_a_lasting_failure():
    with SmtpServer() as server:
        spec = email_channel(server, username="alerts", password_env="JKWATCH_SMTP_PASSWORD")
        with pytest.raises(DeliveryError, match="AUTH") as caught:
            deliver(spec, make_message(), env={"JKWATCH_SMTP_PASSWORD": PASSWORD})
    assert caught.value.retryable is False
    assert PASSWORD not in str(caught.value)


def test_a_webhook_host_given_as_an_ipv6_address_is_shown_in_brackets():
    from jkwatch.alerts.redact import safe_url

    assert safe_url(f"http://[::1]:8080/hooks/{TOKEN}") == "http://[::1]:8080/…"
    assert safe_url("https://hooks.example.com") == "https://hooks.example.com"


@settings(max_examples=100, deadline=None)
@given(subject=st.text(max_size=300), text=st.text(max_size=5000), title=st.text(max_size=400))
def test_any_text_fits_every_services_limits_and_makes_a_valid_email(subject, text, title):
    items = tuple(
        ItemLink(i, title, f"https://news.example.jp/{i}", title, datetime(2026, 12, 5, tzinfo=UTC))
        for i in range(12)
    )
    msg = make_message(subject=subject, text=text, items=items)
    slack = webhook_shapes.slack_payload(msg)
    assert 1 <= len(slack["blocks"]) <= 50
    assert 1 <= len(slack["blocks"][0]["text"]["text"]) <= 150
    assert all(1 <= len(b["text"]["text"]) <= 3000 for b in slack["blocks"][1:])
    discord = webhook_shapes.discord_payload(msg)
    assert len(discord["content"]) <= 2000 and len(discord["embeds"]) <= 10
    assert all(1 <= len(e["title"]) <= 256 for e in discord["embeds"])
    json.dumps(webhook_shapes.teams_payload(msg))
    mail = build_email(EmailSettings("h", 25, "none", "a@example.org", ("b@example.org",)), msg)
    parsed = message_from_bytes(mail.as_bytes(), policy=policy.default)
    assert "\n" not in parsed["Subject"] and parsed["To"] == "b@example.org"


def test_undecodable_text_still_makes_an_email():
    with SmtpServer() as server:
        deliver(email_channel(server), make_message(subject="a\udcff b", text="c\ud800"), env={})
    assert server.messages[0]["Subject"] == "a? b"
