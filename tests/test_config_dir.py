"""``jkwatch --config DIR``: the user's files override the shipped defaults, file by file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from jkwatch.cli.main import cli
from jkwatch.config import CONFIG_DIR_ENV, shipped

ITEM = {
    "id": "z1",
    "title": "Japan and South Korea sign the Zorblat Accord",
    "summary": "",
    "lang": "en",
}
TERM = "Zorblat Accord"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    # --config sets the variable for the whole process; monkeypatch puts it back afterwards.
    monkeypatch.delenv(CONFIG_DIR_ENV, raising=False)
    monkeypatch.delenv("JKWATCH_THEMES", raising=False)


def _own_themes(directory: Path) -> Path:
    """A copy of the shipped taxonomy with one extra term for jk_cooperation."""
    text = shipped("themes.toml").read_text(encoding="utf-8")
    assert '"GSOMIA:3",' in text
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "themes.toml").write_text(
        text.replace('"GSOMIA:3",', f'"GSOMIA:3", "{TERM}:3",', 1), encoding="utf-8"
    )
    return directory


def _tag(*options: str) -> dict:
    result = CliRunner().invoke(cli, [*options, "tag"], input=json.dumps(ITEM) + "\n")
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    return json.loads(line)


def _evidence(tagged: dict) -> str:
    return json.dumps(tagged["themes"], ensure_ascii=False).lower()


def test_a_themes_file_in_the_config_dir_changes_what_tag_finds(tmp_path):
    default = _tag()
    assert TERM.lower() not in _evidence(default)
    own = _tag("--config", str(_own_themes(tmp_path / "conf")))
    assert TERM.lower() in _evidence(own)
    assert "jk_cooperation" in {theme["id"] for theme in own["themes"]}


def test_a_file_missing_from_the_config_dir_falls_back_to_the_default(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "feeds.toml").write_text("feeds = []\n", encoding="utf-8")
    assert _tag("--config", str(tmp_path / "conf")) == _tag()


def test_jkwatch_themes_still_wins_over_the_config_dir(tmp_path, monkeypatch):
    default = _tag()
    monkeypatch.setenv("JKWATCH_THEMES", str(shipped("themes.toml")))
    assert _tag("--config", str(_own_themes(tmp_path / "conf"))) == default


def test_the_config_dir_from_the_environment_works_like_the_option(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_DIR_ENV, str(_own_themes(tmp_path / "conf")))
    assert TERM.lower() in _evidence(_tag())


def test_the_option_sets_an_absolute_path_for_child_processes(tmp_path, monkeypatch):
    _own_themes(tmp_path / "conf")
    monkeypatch.chdir(tmp_path)
    seen = []
    # What the command's children inherit: the value while it runs, read as it is put back.
    monkeypatch.setattr(
        "jkwatch.cli.main._restore_env", lambda name, value: seen.append(os.environ[name])
    )
    _tag("--config", "conf")
    assert seen == [str((tmp_path / "conf").resolve())]


def test_a_missing_config_dir_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "nope"), "tag"], input="")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: jkwatch: invalid value for '--config'") and "nope" in line


def test_help_documents_the_option():
    result = CliRunner().invoke(cli, ["--help"])
    assert "--config DIR" in result.output and "JKWATCH_CONFIG_DIR" in result.output


def test_the_config_option_does_not_outlive_the_command(tmp_path: Path) -> None:
    """In-process callers (this suite, scripts) keep their own environment afterwards."""
    _own_themes(tmp_path / "conf")
    _tag("--config", str(tmp_path / "conf"))
    assert CONFIG_DIR_ENV not in os.environ
