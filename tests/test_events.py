"""Event annotations: the shipped file, the analyst's own file, and clear errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jkwatch.events import Event, EventsError, events_path, load_events


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "events.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_is_a_commented_example_with_no_events(monkeypatch):
    monkeypatch.delenv("JKWATCH_EVENTS", raising=False)
    monkeypatch.delenv("JKWATCH_CONFIG_DIR", raising=False)
    assert load_events() == ()
    assert "[[events]]" in events_path().read_text(encoding="utf-8")


def test_events_are_read_oldest_first_with_dates_labels_and_themes(tmp_path):
    path = _write(
        tmp_path,
        '[[events]]\ndate = 2026-10-20\nlabel = "Summit  in Tokyo"\nthemes = ["jk_cooperation"]\n'
        '[[events]]\ndate = "2026-10-02"\nlabel = "Missile test"\n',
    )
    assert load_events(path) == (
        Event(date(2026, 10, 2), "Missile test"),
        Event(date(2026, 10, 20), "Summit in Tokyo", ("jk_cooperation",)),
    )


def test_an_event_without_themes_applies_to_every_chart_and_one_with_themes_to_theirs():
    everywhere = Event(date(2026, 1, 1), "All")
    scoped = Event(date(2026, 1, 1), "Scoped", ("nk_weapons",))
    assert everywhere.applies_to(["jk_cooperation"])
    assert scoped.applies_to(["nk_weapons", "us_alliance"])
    assert not scoped.applies_to(["jk_cooperation"])


def test_the_analysts_file_in_the_config_directory_replaces_the_example(tmp_path, monkeypatch):
    _write(tmp_path, '[[events]]\ndate = 2026-03-01\nlabel = "Own event"\n')
    monkeypatch.delenv("JKWATCH_EVENTS", raising=False)
    monkeypatch.setenv("JKWATCH_CONFIG_DIR", str(tmp_path))
    assert [e.label for e in load_events()] == ["Own event"]


def test_the_environment_variable_names_one_events_file(tmp_path, monkeypatch):
    path = tmp_path / "mine.toml"
    path.write_text('[[events]]\ndate = 2026-03-02\nlabel = "From the variable"\n', "utf-8")
    monkeypatch.setenv("JKWATCH_EVENTS", str(path))
    assert [e.label for e in load_events()] == ["From the variable"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[events]]\nlabel = "No date"\n', "event 1: 'date' is missing"),
        ('[[events]]\ndate = "14 Oct"\nlabel = "x"\n', "'date' must be a day as YYYY-MM-DD"),
        ("[[events]]\ndate = 2026-10-14T09:00:00\nlabel = 'x'\n", "not a date and time"),
        ("[[events]]\ndate = 2026-10-14\n", "'label' must be a non-empty string"),
        ("[[events]]\ndate = 2026-10-14\nlabel = '" + "x" * 81 + "'\n", "longer than 80"),
        ("[[events]]\ndate = 2026-10-14\nlabel = 'x'\nthemes = [1]\n", "list of theme ids"),
        ("[[events]]\ndate = 2026-10-14\nlabel = 'x'\ncolour = 'red'\n", "unknown key(s) colour"),
        ("events = 3\n", "must be a list"),
        ("[[events]\n", "not valid TOML"),
    ],
)
def test_a_bad_entry_is_an_error_that_names_the_file_and_the_problem(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(EventsError) as caught:
        load_events(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_an_unknown_theme_id_is_an_error_when_the_themes_are_known(tmp_path):
    path = _write(tmp_path, "[[events]]\ndate = 2026-10-14\nlabel = 'x'\nthemes = ['nk_weapon']\n")
    with pytest.raises(EventsError, match="unknown theme id"):
        load_events(path, known_themes={"nk_weapons"})


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path):
    with pytest.raises(EventsError, match="cannot read"):
        load_events(tmp_path / "absent.toml")
