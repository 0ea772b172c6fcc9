"""``jkwatch alerts list|test|run [--dry-run]`` on a real database and a real alerts.toml."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from jkwatch.cli.main import cli
from jkwatch.db.models import AlertDelivery
from tests.brief_corpus import seed_brief

NOW = "2026-11-15T12:00:00+0000"


def _alerts_file(tmp_path: Path, enabled: bool = True) -> Path:
    path = tmp_path / "alerts.toml"
    flag = "true" if enabled else "false"
    path.write_text(
        f"""
[channels.feed]
type = "atom"
path = "{tmp_path / "alerts.xml"}"

[[rules]]
name = "nk-spike"
type = "spike"
theme = "nk_weapons"
min_z = 2.5
channels = ["feed"]
enabled = {flag}

[[rules]]
name = "salvo"
type = "watch"
query = "salvo"
lookback = "30d"
channels = ["feed"]
enabled = false

[[briefs]]
name = "morning"
schedule = "daily 07:00"
timezone = "Asia/Tokyo"
range = "7d"
channels = ["feed"]
enabled = {flag}
""",
        encoding="utf-8",
    )
    return path


def _run(db_url: str, *args: str):
    return CliRunner().invoke(cli, ["--db", db_url, *args], catch_exceptions=False)


def _deliveries(sessions) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(AlertDelivery)) or 0)


@pytest.fixture
def seeded(sessions, engine, tmp_path, monkeypatch):
    seed_brief(sessions)
    monkeypatch.setenv("JKWATCH_ALERTS", str(_alerts_file(tmp_path)))
    return str(engine.url.render_as_string(hide_password=False)), sessions


def test_list_shows_channels_rules_and_the_next_brief(tmp_path, monkeypatch):
    monkeypatch.setenv("JKWATCH_ALERTS", str(_alerts_file(tmp_path)))
    result = CliRunner().invoke(cli, ["alerts", "list", "--now", NOW], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "feed" in result.output
    assert "nk-spike" in result.output and "salvo" in result.output
    assert "daily 07:00 Asia/Tokyo" in result.output
    assert "2026-11-16T07:00+09:00 (2026-11-15 22:00 UTC)" in result.output


def test_test_prints_what_a_rule_would_send_and_records_nothing(seeded):
    url, sessions = seeded
    result = _run(url, "alerts", "test", "salvo", "--now", NOW)  # a disabled rule
    assert result.exit_code == 0, result.output
    assert result.output.count("== watch:salvo:item:") == 7
    assert "Missile salvo over the sea" in result.output
    assert "nothing sent, nothing recorded" in result.output
    assert _deliveries(sessions) == 0


def test_run_dry_run_lists_what_would_be_sent_and_writes_nothing(seeded, tmp_path):
    url, sessions = seeded
    result = _run(url, "alerts", "run", "--dry-run", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "would-send" in result.output and "spike:nk_weapons:" in result.output
    assert "brief:morning:2026-11-15T07:00+09:00" in result.output
    assert "salvo" not in result.output  # disabled
    assert result.output.strip().endswith("dry run: 2 would-send")
    assert _deliveries(sessions) == 0
    assert not (tmp_path / "alerts.xml").exists()


def test_an_unknown_rule_is_one_line_and_exit_2(seeded):
    url, _ = seeded
    result = _run(url, "alerts", "test", "nope")
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: unknown rule 'nope'")
    assert len(result.output.strip().splitlines()) == 1


def test_a_bad_alerts_file_is_one_line_and_exit_2(tmp_path, monkeypatch):
    path = tmp_path / "alerts.toml"
    path.write_text('[[rules]]\nname = "x"\ntype = "spike"\nchannels = ["nowhere"]\n')
    monkeypatch.setenv("JKWATCH_ALERTS", str(path))
    for args in (["alerts", "list"], ["alerts", "run", "--dry-run"]):
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 2
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "rule 'x': channels: unknown channel 'nowhere'" in lines[0]
