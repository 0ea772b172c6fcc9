"""Issue 18's "done when", end to end: ``jkwatch alerts run`` (and the scheduler) deliver through
the real channels to a real local SMTP server (aiosmtpd) and a real HTTP receiver on 127.0.0.1.

The webhook URL carries a token and the SMTP login a password, both given through environment
variables: neither may appear in the command's output, the logs or the alert log."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from jkwatch.cli.main import cli
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from jkwatch.db.models import AlertDelivery
from jkwatch.db.query_filters import RELEVANT_BUCKET, Filters
from jkwatch.db.trends import spikes_in_range
from tests.alert_receivers import SmtpServer, WebhookReceiver
from tests.brief_corpus import plan, seed_brief
from tests.processes import start_jkwatch, stop

NOW = "2026-11-15T12:00:00+0000"
TOKEN = "T0KEN-abc123-do-not-print"
PASSWORD = "pa55-do-not-print"
HOOK_ENV = "JKWATCH_TEST_HOOK_URL"
PASSWORD_ENV = "JKWATCH_TEST_SMTP_PASSWORD"


def _alerts_toml(
    path: Path, smtp: SmtpServer, *, rule: bool = True, brief: bool = False, login: bool = False
) -> Path:
    credentials = f'username = "desk"\npassword_env = "{PASSWORD_ENV}"\n' if login else ""
    path.write_text(
        f"""
[channels.desk]
type = "email"
smtp_host = "{smtp.host}"
smtp_port = {smtp.port}
security = "none"
{credentials}from = "jkwatch <alerts@example.org>"
to = ["analyst@example.org"]

[channels.team]
type = "webhook"
url_env = "{HOOK_ENV}"
format = "json"

[[rules]]
name = "nk-spike"
type = "spike"
theme = "nk_weapons"
min_z = 2.5
min_count = 5
channels = ["desk", "team"]
enabled = {"true" if rule else "false"}

[[briefs]]
name = "morning"
schedule = "daily 07:00"
timezone = "Asia/Tokyo"
range = "7d"
channels = ["desk"]
enabled = {"true" if brief else "false"}
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def receivers() -> Iterator[tuple[SmtpServer, WebhookReceiver]]:
    with SmtpServer() as smtp, WebhookReceiver() as hook:
        yield smtp, hook


@pytest.fixture
def setup(sessions, engine, tmp_path, receivers, monkeypatch):
    smtp, hook = receivers
    seed_brief(sessions)
    monkeypatch.setenv(HOOK_ENV, hook.url(f"/hooks/{TOKEN}"))
    monkeypatch.setenv(
        "JKWATCH_ALERTS", str(_alerts_toml(tmp_path / "alerts.toml", smtp, brief=False))
    )
    url = engine.url.render_as_string(hide_password=False)
    return url, sessions, smtp, hook


def _run(url: str, *args: str):
    return CliRunner().invoke(cli, ["--db", url, "alerts", "run", *args], catch_exceptions=False)


def _ledger(sessions) -> list[AlertDelivery]:
    with sessions() as s:
        return list(s.scalars(select(AlertDelivery).order_by(AlertDelivery.id)))


def _episode(sessions):
    with sessions() as s:
        from datetime import date

        today = date(2026, 11, 15)
        (episode,) = [
            e
            for e in spikes_in_range(
                s,
                Filters(themes=("nk_weapons",), min_bucket=RELEVANT_BUCKET),
                today - timedelta(days=28),
                today,
            )
            if e.direction == "rise"
        ]
    return episode


def _text_of(mail) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content()


def test_a_planted_spike_sends_one_email_and_one_webhook_then_a_rerun_sends_nothing(setup, caplog):
    url, sessions, smtp, hook = setup
    caplog.set_level(logging.DEBUG)
    result = _run(url, "--now", NOW)
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("2 sent")
    episode = _episode(sessions)

    (mail,) = smtp.messages
    assert "North Korean weapons" in mail["Subject"]
    body = _text_of(mail)
    assert f"{episode.count} relevant items" in body and f"z = {episode.z:g}" in body
    planted = [it.url for it in plan() if "salvo" in it.title.lower()]
    assert any(u in body for u in planted)

    (post,) = hook.bodies
    assert post["event_key"] == f"spike:nk_weapons:{episode.start.isoformat()}"
    assert post["data"]["theme"] == "nk_weapons"
    assert post["data"]["count"] == episode.count and post["data"]["z"] == episode.z
    assert post["items"] and all(item["url"] for item in post["items"])
    assert {item["url"] for item in post["items"]} & set(planted)

    again = _run(url, "--now", NOW)
    later = _run(url, "--now", "2026-11-15T18:00:00+0000")
    assert again.exit_code == later.exit_code == 0
    assert len(smtp.messages) == 1 and len(hook.bodies) == 1
    assert [r.status for r in _ledger(sessions)] == ["sent", "sent"]
    assert TOKEN not in result.output + again.output + caplog.text


def test_a_failing_receiver_is_retried_with_the_error_recorded_and_no_secret_anywhere(
    setup, caplog
):
    url, sessions, smtp, hook = setup
    caplog.set_level(logging.DEBUG)
    hook.respond(503, body=f"down, token {TOKEN}".encode())
    first = _run(url, "--now", NOW)
    assert first.exit_code == 0, first.output
    team = next(r for r in _ledger(sessions) if r.channel == "team")
    assert (team.status, team.attempts) == ("pending", 1)
    assert "503" in (team.last_error or "")
    assert len(hook.posts) == 1 and len(smtp.messages) == 1

    not_yet = _run(url, "--now", "2026-11-15T12:00:30+0000")
    assert len(hook.posts) == 1
    hook.respond(200)
    retried = _run(url, "--now", "2026-11-15T12:01:01+0000")
    assert len(hook.posts) == 2
    team = next(r for r in _ledger(sessions) if r.channel == "team")
    assert (team.status, team.attempts) == ("sent", 2)
    assert len(smtp.messages) == 1  # the email went the first time and only then

    shown = first.output + not_yet.output + retried.output + caplog.text
    assert TOKEN not in shown
    assert all(TOKEN not in (r.last_error or "") for r in _ledger(sessions))
    dashboard_rows = CliRunner().invoke(
        cli, ["--db", url, "alerts", "run", "--dry-run", "--now", NOW], catch_exceptions=False
    )
    assert TOKEN not in dashboard_rows.output


@pytest.mark.slow
def test_a_receiver_that_keeps_failing_is_given_up_and_stays_failed(setup):
    url, sessions, _, hook = setup
    hook.respond(500)
    minute = 0
    for _ in range(8):
        _run(url, "--now", f"2026-11-15T{12 + minute // 60:02d}:{minute % 60:02d}:00+0000")
        minute += 20  # past every backoff (1, 2, 4, 8 minutes)
    team = next(r for r in _ledger(sessions) if r.channel == "team")
    assert (team.status, team.attempts) == ("failed", 5)
    assert len(hook.posts) == 5


def test_a_brief_due_on_a_fake_clock_is_emailed_once_as_html_with_markdown_text(
    setup, tmp_path, monkeypatch
):
    url, sessions, smtp, _ = setup
    monkeypatch.setenv(
        "JKWATCH_ALERTS",
        str(_alerts_toml(tmp_path / "briefs.toml", smtp, rule=False, brief=True)),
    )
    before = _run(url, "--now", "2026-11-15T21:59:00+0000")  # 06:59 in Tokyo, 16 Nov
    assert [m["Subject"] for m in smtp.messages] == [
        "[jkwatch] morning brief: 2026-11-08 to 2026-11-14"
    ]  # the latest slot (15 Nov, 07:00) had not gone out yet
    due = _run(url, "--now", "2026-11-15T22:00:00+0000")  # 07:00 in Tokyo
    assert before.exit_code == due.exit_code == 0
    assert len(smtp.messages) == 2
    mail = smtp.messages[1]
    assert mail["Subject"] == "[jkwatch] morning brief: 2026-11-09 to 2026-11-15"
    assert _text_of(mail).startswith("# Brief: 2026-11-09 to 2026-11-15 (UTC)")
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert html.lstrip().lower().startswith("<!doctype html") and "<script" not in html.lower()

    for when in ("2026-11-15T22:00:30+0000", "2026-11-16T10:00:00+0000"):
        assert _run(url, "--now", when).exit_code == 0
    assert len(smtp.messages) == 2
    keys = [r.event_key for r in _ledger(sessions)]
    assert keys == [
        "brief:morning:2026-11-15T07:00+09:00",
        "brief:morning:2026-11-16T07:00+09:00",
    ]


@pytest.mark.slow
def test_the_scheduler_sends_a_due_brief_after_its_cycle(setup, tmp_path, monkeypatch):
    url, _, smtp, _ = setup
    monkeypatch.setenv(
        "JKWATCH_ALERTS",
        str(_alerts_toml(tmp_path / "briefs.toml", smtp, rule=False, brief=True)),
    )
    result = CliRunner().invoke(cli, ["--db", url, "schedule", "--once"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert [m["Subject"].split(":")[0] for m in smtp.messages] == ["[jkwatch] morning brief"]
    again = CliRunner().invoke(cli, ["--db", url, "schedule", "--once"], catch_exceptions=False)
    assert again.exit_code == 0 and len(smtp.messages) == 1


@pytest.mark.slow
def test_three_worker_processes_on_postgresql_send_each_alert_once(pg_url, tmp_path, receivers):
    smtp, hook = receivers
    hook.respond(200, delay_s=0.05)  # a slow receiver widens the window between workers
    engine = make_engine(pg_url)
    upgrade(engine)
    seed_brief(make_sessionmaker(engine))
    alerts = _alerts_toml(tmp_path / "alerts.toml", smtp, rule=True, brief=True)
    env = {"JKWATCH_ALERTS": str(alerts), HOOK_ENV: hook.url(f"/hooks/{TOKEN}")}
    workers = [
        start_jkwatch(pg_url, "alerts", "run", "--now", "2026-11-15T22:00:00+0000", env=env)
        for _ in range(3)
    ]
    outputs = []
    try:
        for process in workers:
            out, err = process.communicate(timeout=60)
            outputs.append(out + err)
            assert process.returncode == 0, out + err
    finally:
        for process in workers:
            stop(process)
    with make_sessionmaker(engine)() as s:
        rows = list(s.scalars(select(AlertDelivery)))
    engine.dispose()
    # One spike to two channels, one brief to one: three deliveries, each sent once.
    assert sorted((r.event_key.split(":")[0], r.channel, r.status) for r in rows) == [
        ("brief", "desk", "sent"),
        ("spike", "desk", "sent"),
        ("spike", "team", "sent"),
    ]
    assert Counter(m["Subject"].split(":")[0] for m in smtp.messages) == Counter(
        {"[jkwatch] morning brief": 1, "[jkwatch] Spike": 1}
    )
    assert len(hook.bodies) == 1
    assert sum(out.count("sent ") for out in outputs) == 3
    assert all(TOKEN not in out for out in outputs)


def test_a_broken_alerts_file_warns_once_and_ingest_runs_without_alerts(
    sqlite_url, tmp_path, monkeypatch
):
    broken = tmp_path / "alerts.toml"
    broken.write_text('[[rules]]\nname = "x"\ntype = "spike"\nchannels = ["gone"]\n')
    monkeypatch.setenv("JKWATCH_ALERTS", str(broken))
    result = CliRunner().invoke(
        cli, ["--db", sqlite_url, "schedule", "--once"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: alerts are off: {broken}: rule 'x': channels: unknown channel 'gone' "
        "(known: none defined)"
    ]


def test_a_refused_smtp_password_fails_for_good_and_is_recorded_without_the_password(
    sessions, engine, tmp_path, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    seed_brief(sessions)
    url = engine.url.render_as_string(hide_password=False)
    with SmtpServer(logins={"desk": PASSWORD}) as smtp, WebhookReceiver() as hook:
        monkeypatch.setenv(HOOK_ENV, hook.url(f"/hooks/{TOKEN}"))
        monkeypatch.setenv(
            "JKWATCH_ALERTS", str(_alerts_toml(tmp_path / "alerts.toml", smtp, login=True))
        )
        monkeypatch.setenv(PASSWORD_ENV, "wrong-" + PASSWORD)
        refused = _run(url, "--now", NOW)
        rows = {r.channel: r for r in _ledger(sessions)}
        # A refused login will not succeed by retrying: failed at once, visible in the log.
        assert (rows["desk"].status, rows["desk"].attempts) == ("failed", 1)
        assert "login refused (535)" in (rows["desk"].last_error or "")
        assert rows["team"].status == "sent" and smtp.messages == []
        monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
        listed = CliRunner().invoke(cli, ["alerts", "list"], catch_exceptions=False)
        later = _run(url, "--now", "2026-11-15T13:00:00+0000")
        assert smtp.messages == []  # a failed delivery stays failed; it is not resent
        shown = refused.output + listed.output + later.output + caplog.text
        for secret in (PASSWORD, TOKEN):
            assert secret not in shown
            assert all(secret not in (r.last_error or "") for r in _ledger(sessions))
