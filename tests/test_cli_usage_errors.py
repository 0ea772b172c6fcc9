"""Every usage error is one line on stderr and exit code 2, for every command in the tree.

The cases are discovered by walking click's command tree, so a command added later is covered
without editing this file: an unknown option for each command, a missing argument for each
command that takes one, a bad choice or bad value for each option whose type can refuse one.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from jkwatch.cli.main import cli
from jkwatch.cli.usage import OneLineGroup

BAD_VALUES: dict[type[click.ParamType], str] = {
    click.Choice: "no-such-choice",
    click.types.IntParamType: "not-a-number",
    click.types.FloatParamType: "not-a-number",
    click.types.BoolParamType: "maybe-not",
    click.DateTime: "not-a-date",
}


def _walk(
    command: click.Command, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            if not sub.hidden:
                yield from _walk(sub, (*path, name))


TREE = list(_walk(cli, ()))


def _required_arguments(command: click.Command) -> list[str]:
    """Placeholder values for the command's required arguments, so only the case under test fails."""
    return [
        "placeholder"
        for param in command.params
        if isinstance(param, click.Argument) and param.required
    ]


def _bad_value(param: click.Parameter) -> str | None:
    if isinstance(param.type, click.Path) and param.type.exists:
        return "/no/such/path/for/jkwatch"
    for kind, value in BAD_VALUES.items():
        if isinstance(param.type, kind):
            return value
    return None


def _cases() -> Iterator[pytest.ParameterSet]:
    for path, command in TREE:
        name = " ".join(("jkwatch", *path))
        yield pytest.param([*path, "--no-such-option"], name, id=f"{name}: unknown option")
        if isinstance(command, click.Group):
            yield pytest.param([*path], name, id=f"{name}: missing command")
            yield pytest.param([*path, "no-such-command"], name, id=f"{name}: unknown command")
            continue
        if _required_arguments(command):
            yield pytest.param([*path], name, id=f"{name}: missing argument")
        for param in command.params:
            if not isinstance(param, click.Option) or param.is_flag or param.nargs != 1:
                continue
            bad = _bad_value(param)
            option = max(param.opts, key=len)
            if bad is not None:
                args = [*path, option, bad, *_required_arguments(command)]
                yield pytest.param(args, name, id=f"{name}: bad value for {option}")
            args = [*path, *_required_arguments(command), option]
            yield pytest.param(args, name, id=f"{name}: {option} without its value")


CASES = list(_cases())


def _assert_one_line(stderr: str, command_path: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith(f"error: {command_path}: "), line
    assert line.endswith(f"(see '{command_path} --help')"), line
    assert "Usage:" not in line and "Try '" not in line


def test_the_walk_finds_the_whole_command_tree():
    names = {" ".join(path) for path, _ in TREE}
    expected = {
        "",
        "feeds",
        "feeds list",
        "feeds add",
        "feeds remove",
        "feeds enable",
        "feeds disable",
        "feeds import-opml",
        "feeds export-opml",
        "ingest",
        "schedule",
        "run",
        "status",
        "dashboard",
        "import",
        "export",
        "tag",
        "retag",
        "eval",
        "demo",
        "db",
        "db upgrade",
    }
    assert expected <= names
    kinds = {case.id.split(": ")[1].split(" for ")[0] for case in CASES if case.id}
    assert {"unknown option", "missing argument", "bad value", "missing command"} <= kinds


@pytest.mark.parametrize(("args", "command_path"), CASES)
def test_a_usage_error_is_one_line_and_exit_code_2(args, command_path, tmp_path):
    db = f"sqlite:///{tmp_path / 'never-created.db'}"
    result = CliRunner().invoke(cli, ["--db", db, *args])
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stdout == ""
    _assert_one_line(result.stderr, command_path)
    assert not (tmp_path / "never-created.db").exists(), "a usage error touches no database"


def test_the_missing_argument_message_names_the_argument():
    result = CliRunner().invoke(cli, ["feeds", "add"])
    assert result.stderr == (
        "error: jkwatch feeds add: missing argument 'URL' (see 'jkwatch feeds add --help')\n"
    )
    assert result.exit_code == 2


def test_a_misspelt_command_or_option_gets_a_suggestion_on_the_same_line():
    command = CliRunner().invoke(cli, ["feeds", "lisst"])
    assert "no such command 'lisst' (did you mean 'list'?)" in command.stderr
    option = CliRunner().invoke(cli, ["export", "--sinse", "2026-01-01"])
    assert "no such option '--sinse' (did you mean '--since'?)" in option.stderr


def test_control_characters_typed_on_the_command_line_are_shown_escaped():
    for args in (["export", "--format", "x\n\x1b[31mred"], ["export", "--x\x1b[31m\u202e"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2
        (line,) = result.stderr.splitlines()
        assert "\x1b" not in line and "\u202e" not in line, line
        assert "[31m" in line, "shown, escaped"


@pytest.mark.slow
def test_a_usage_error_through_the_installed_entry_point_is_one_line(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "jkwatch.cli.main", "feeds", "add", "--kind", "bogus", "http://x"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    _assert_one_line(result.stderr, "jkwatch feeds add")
    assert "invalid value for '--kind': 'bogus' is not one of 'general', 'topic'" in result.stderr
    assert not (tmp_path / "data").exists()


def test_every_group_in_the_tree_reports_usage_errors_in_one_line():
    groups = [" ".join(path) or "jkwatch" for path, c in TREE if isinstance(c, click.Group)]
    plain = [
        " ".join(path) or "jkwatch"
        for path, c in TREE
        if isinstance(c, click.Group) and not isinstance(c, OneLineGroup)
    ]
    assert len(groups) >= 3 and plain == [], "declare new groups with cls=OneLineGroup"
