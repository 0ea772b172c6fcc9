"""The CLI's foundation: help for every command, database configuration errors, upgrade."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from jkwatch.cli.main import cli

COMMANDS = [
    ["db", "upgrade"],
    ["feeds", "list"],
    ["feeds", "add"],
    ["feeds", "remove"],
    ["ingest"],
    ["schedule"],
    ["tag"],
    ["retag"],
    ["import"],
    ["dashboard"],
    ["run"],
    ["demo"],
    ["export"],
    ["status"],
    ["eval"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output


def _run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "JKWATCH_DATABASE_URL"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "jkwatch.cli.main", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_db_upgrade_creates_the_default_sqlite_file_under_data(tmp_path):
    result = _run("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "jkwatch.db").exists()


@pytest.mark.slow
def test_environment_variable_chooses_the_database(tmp_path):
    target = tmp_path / "elsewhere.db"
    result = _run(
        "db", "upgrade", cwd=tmp_path, env={"JKWATCH_DATABASE_URL": f"sqlite:///{target}"}
    )
    assert result.returncode == 0, result.stderr
    assert target.exists() and not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://root@localhost/x", "unsupported database scheme 'mysql'"),
        ("postgresql://postgres@127.0.0.1:1/nothing", "cannot connect to postgresql"),
        ("not a url", "not a database URL"),
    ],
)
@pytest.mark.slow
def test_bad_database_urls_give_one_line_and_exit_2(tmp_path, url, expected):
    result = _run("--db", url, "db", "upgrade", cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in result.stderr


def test_an_unwritable_data_directory_is_a_clear_error(tmp_path):
    if os.geteuid() == 0:
        blocked = tmp_path / "file-not-dir"
        blocked.write_text("x")
        url = f"sqlite:///{blocked}/sub/jkwatch.db"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        url = f"sqlite:///{locked}/jkwatch.db"
    result = _run("--db", url, "db", "upgrade", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
