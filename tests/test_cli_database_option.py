"""``--db URL`` before or after any command; read-only commands never create a database.

The command tree is walked, so a command added later is covered without editing this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from jkwatch.cli.main import cli
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from jkwatch.db.themes import ThemeInfo, sync_themes


def _walk(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    if path:
        yield path
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            if not sub.hidden:
                yield from _walk(sub, (*path, name))


def _own_db_option(path: tuple[str, ...]) -> bool:
    """``jkwatch demo --db`` names the demo's own throw-away database, not the shared one."""
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return any("--db" in param.opts and param.expose_value for param in command.params)


COMMANDS = [path for path in _walk(cli, ()) if not _own_db_option(path)]
READ_ONLY = [
    ("status",),
    ("export",),
    ("feeds", "list"),
    ("labels", "export"),
    ("db", "status"),
    ("dashboard",),
]


def _run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def migrated_sqlite(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_two_different_database_urls_after_any_command_are_a_usage_error(path, tmp_path):
    one, two = f"sqlite:///{tmp_path / 'one.db'}", f"sqlite:///{tmp_path / 'two.db'}"
    result = _run(*path, "--db", one, "--db", two)
    assert result.exit_code == 2, result.output
    assert "--db given twice with different URLs" in result.output
    assert result.output.count("\n") == 1
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_a_database_url_before_and_another_after_any_command_are_a_usage_error(path, tmp_path):
    one, two = f"sqlite:///{tmp_path / 'one.db'}", f"sqlite:///{tmp_path / 'two.db'}"
    result = _run("--db", one, *path, "--db", two)
    assert result.exit_code == 2, result.output
    assert "different URLs" in result.output


def test_the_database_option_after_the_command_chooses_the_database(migrated_sqlite):
    after = _run("db", "status", "--db", migrated_sqlite)
    assert after.exit_code == 0, after.output
    assert migrated_sqlite in after.output and "up to date" in after.output
    before = _run("--db", migrated_sqlite, "db", "status")
    assert before.output == after.output


def test_the_same_url_given_before_and_after_the_command_is_accepted(migrated_sqlite):
    result = _run("--db", migrated_sqlite, "feeds", "list", "--db", migrated_sqlite, "--json")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "[]"


def test_the_option_after_a_subcommand_of_a_group_reaches_that_subcommand(migrated_sqlite):
    result = _run(
        "feeds", "add", "--no-discover", "http://127.0.0.1:9/feed.xml", "--db", migrated_sqlite
    )
    assert result.exit_code == 0, result.output
    listed = _run("feeds", "list", "--json", "--db", migrated_sqlite)
    assert "127.0.0.1:9/feed.xml" in listed.output


def test_a_command_added_later_takes_the_option_after_it_too(migrated_sqlite):
    @click.command("probe-later")
    @click.pass_obj
    def probe(app) -> None:  # type: ignore[no-untyped-def]
        click.echo(app.database_url)

    cli.add_command(probe)
    try:
        result = _run("probe-later", "--db", migrated_sqlite)
    finally:
        del cli.commands["probe-later"]
    assert result.exit_code == 0, result.output
    assert result.output.strip() == migrated_sqlite


# -- read-only commands on a database that does not exist ----------------------------------


@pytest.mark.parametrize("path", READ_ONLY, ids=" ".join)
def test_a_read_only_command_on_a_missing_sqlite_file_says_so_and_creates_nothing(path, tmp_path):
    target = tmp_path / "data" / "nothing.db"
    result = _run(*path, "--db", f"sqlite:///{target}")
    assert result.exit_code == 2, result.output
    assert f"no database at {target}" in result.output
    assert "jkwatch db upgrade" in result.output
    assert result.output.count("\n") == 1
    assert not target.exists() and not target.parent.exists()


@pytest.mark.parametrize("path", READ_ONLY, ids=" ".join)
def test_a_read_only_command_on_a_postgresql_schema_without_jkwatch_says_so(path, pg_url):
    result = _run(*path, "--db", pg_url)
    assert result.exit_code == 2, result.output
    assert "holds no jkwatch schema" in result.output
    assert "run `jkwatch db upgrade`" in result.output
    engine = create_engine(pg_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("path", READ_ONLY, ids=" ".join)
def test_a_read_only_command_on_a_missing_postgresql_database_says_so(path, pg_url):
    missing = pg_url.split("?")[0].rsplit("/", 1)[0] + "/jkwatch_no_such_database"
    result = _run(*path, "--db", missing)
    assert result.exit_code == 2, result.output
    assert "does not exist" in result.output and "jkwatch db upgrade" in result.output


def test_an_empty_sqlite_file_is_not_a_jkwatch_database(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    result = _run("status", "--db", f"sqlite:///{empty}")
    assert result.exit_code == 2, result.output
    assert "holds no jkwatch schema" in result.output
    assert empty.stat().st_size == 0


def test_read_only_commands_work_on_an_existing_database_on_both_engines(engine, db_url):
    for path in READ_ONLY[:-1]:  # the dashboard would start a server
        result = _run(*path, "--db", db_url)
        assert result.exit_code == 0, (path, result.output)


def test_a_database_at_an_older_revision_is_reported_not_migrated_by_a_reader(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0005")
    engine.dispose()
    result = _run("export", "--db", url)
    assert result.exit_code == 2, result.output
    assert "is at schema revision 0005" in result.output and "jkwatch db upgrade" in result.output
    status = _run("db", "status", "--db", url)
    assert status.exit_code == 0 and "needs upgrade" in status.output


# -- export's own checks ---------------------------------------------------------------------


def test_export_with_since_after_until_is_an_error_not_an_empty_success(engine, db_url):
    result = _run("export", "--db", db_url, "--since", "2026-11-05", "--until", "2026-11-01")
    assert result.exit_code == 2, result.output
    assert "--since 2026-11-05 is after --until 2026-11-01" in result.output


def test_export_with_an_unknown_theme_is_an_error_naming_the_known_ones(engine, db_url):
    with make_sessionmaker(engine).begin() as session:
        sync_themes(session, [ThemeInfo("nk_weapons", "NK weapons", "", 0)])
    result = _run("export", "--db", db_url, "--theme", "nk_weapon")
    assert result.exit_code == 2, result.output
    assert "unknown theme 'nk_weapon' (known: nk_weapons)" in result.output
    known = _run("export", "--db", db_url, "--theme", "nk_weapons", "--since", "2026-11-01")
    assert known.exit_code == 0, known.output
    assert known.output == ""
