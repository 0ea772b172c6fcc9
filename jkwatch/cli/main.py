"""The ``jkwatch`` command: option parsing, command registry, and the error edge.

Library errors become one-line messages here (and in ``jkwatch.cli.errors``) and nowhere
else: 2 for configuration and database problems, 1 for a bug (with a hint to rerun with
``--debug`` for the traceback).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from jkwatch import __version__
from jkwatch.cli.context import AppContext
from jkwatch.cli.errors import EXIT_BUG, EXIT_CONFIG, UserError
from jkwatch.cli.usage import OneLineGroup, one_line, sentence
from jkwatch.config import CONFIG_DIR_ENV
from jkwatch.db.engine import describe_url
from jkwatch.db.errors import DatabaseError
from jkwatch.entities import EntitiesError


class JkwatchGroup(OneLineGroup):
    """The root group: turns user-facing errors into one ``error: ...`` line and exit code 2.

    Doing it in the group (not only in ``main``) means ``CliRunner`` tests see the same
    messages and exit codes as a user at a terminal. Every command line passes through
    ``make_context`` (the root's own options) and ``invoke`` (everything below it), so usage
    errors of commands added later are converted too (``jkwatch.cli.usage``).
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: object,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise one_line(exc) from None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            accept_db_option(command)
        return command

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except click.UsageError:
            raise  # already one line (OneLineGroup); click's main shows it and exits 2
        except (DatabaseError, UserError, EntitiesError) as exc:
            if ctx.meta.get("debug"):
                raise
            click.echo(f"error: {exc}", err=True)
            ctx.exit(EXIT_CONFIG)
        except click.ClickException as exc:  # e.g. click.FileError: one line too
            click.echo(f"error: {sentence(exc.format_message())}", err=True)
            ctx.exit(EXIT_CONFIG)


DB_HELP = (
    "Database URL (sqlite:///file.db or postgresql://user@host/db). "
    "Default: $JKWATCH_DATABASE_URL, else data/jkwatch.db in the working directory."
)
_DB_AFTER = "db_after_command"


def accept_db_option(command: click.Command) -> None:
    """Let ``--db URL`` follow ``command`` (and every command below it) as well as precede it.

    Done when the root resolves a command name, so commands added later anywhere in the tree
    take it without doing anything. The value lands in the one ``AppContext``; two different
    URLs, wherever they are given, are a usage error (exit 2). Idempotent.
    """
    if not any(p.name == _DB_AFTER or "--db" in p.opts for p in command.params):
        command.params.append(
            click.Option(
                ["--db", _DB_AFTER],
                metavar="URL",
                multiple=True,
                expose_value=False,
                callback=_db_after_command,
                help=f"{DB_HELP} May also be given before the command.",
            )
        )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            accept_db_option(sub)


def _db_after_command(ctx: click.Context, _param: click.Parameter, urls: tuple[str, ...]) -> None:
    if urls:
        app = ctx.ensure_object(AppContext)  # made by the root command, unless run without it
        app.db_option = one_database_url((app.db_option, *urls), ctx)


def one_database_url(urls: tuple[str | None, ...], ctx: click.Context) -> str | None:
    """The one URL among those given (``None`` if none); different ones are a usage error."""
    given = list(dict.fromkeys(url for url in urls if url))
    if len(given) > 1:
        shown = " and ".join(describe_url(url) for url in given)
        raise click.UsageError(f"--db given twice with different URLs ({shown}): give one", ctx)
    return given[0] if given else None


@click.group(
    "jkwatch",
    cls=JkwatchGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--db",
    "db_option",
    metavar="URL",
    multiple=True,
    help=f"{DB_HELP} May also be given after the command.",
)
@click.option(
    "--config",
    "config_dir",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Directory with your own themes.toml / feeds.toml; a file missing there falls back to "
    "the shipped default. Default: $JKWATCH_CONFIG_DIR. $JKWATCH_THEMES and $JKWATCH_FEEDS, "
    "naming one file each, still win.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(__version__, "--version", prog_name="jkwatch")
@click.pass_context
def cli(
    ctx: click.Context,
    db_option: tuple[str, ...],
    config_dir: Path | None,
    verbose: bool,
    debug: bool,
) -> None:
    """jkwatch: collect Japan–South Korea security news, tag it by theme, show the trends."""
    if config_dir is not None:
        # Through the environment, so child processes (the dashboard) read the same files;
        # absolute, so a child with another working directory does too.
        # Put back when the command ends, so an in-process caller (tests, scripts) keeps its own.
        previous = os.environ.get(CONFIG_DIR_ENV)
        os.environ[CONFIG_DIR_ENV] = str(config_dir.resolve())
        ctx.call_on_close(lambda: _restore_env(CONFIG_DIR_ENV, previous))
    logging.basicConfig(
        level=logging.DEBUG if debug else (logging.INFO if verbose else logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    app = AppContext(db_option=one_database_url(db_option, ctx))
    ctx.obj = app
    ctx.meta["debug"] = debug
    ctx.call_on_close(app.close)


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _register() -> None:
    from jkwatch.cli import (
        alert_commands,
        alert_feed_commands,
        backfill_commands,
        brief_commands,
        compare_commands,
        dashboard_commands,
        db_commands,
        demo_commands,
        entity_commands,
        feed_commands,
        ingest_commands,
        label_commands,
        model_commands,
        retag_commands,
        schedule_commands,
        search_commands,
        story_commands,
        tag_commands,
    )

    cli.add_command(db_commands.db_group)
    cli.add_command(feed_commands.feeds_group)
    cli.add_command(ingest_commands.ingest_command)
    cli.add_command(ingest_commands.import_command)
    cli.add_command(ingest_commands.export_command)
    cli.add_command(tag_commands.tag_command)
    cli.add_command(tag_commands.eval_command)
    cli.add_command(model_commands.model_group)
    cli.add_command(retag_commands.retag_command)
    cli.add_command(label_commands.label_command)
    cli.add_command(label_commands.labels_group)
    cli.add_command(story_commands.stories_group)
    cli.add_command(entity_commands.entities_group)
    cli.add_command(schedule_commands.schedule_command)
    cli.add_command(schedule_commands.run_command)
    cli.add_command(schedule_commands.status_command)
    cli.add_command(dashboard_commands.dashboard_command)
    cli.add_command(demo_commands.demo_command)
    cli.add_command(brief_commands.brief_command)
    cli.add_command(search_commands.search_command)
    cli.add_command(compare_commands.compare_command)
    cli.add_command(alert_commands.alerts_group)
    cli.add_command(alert_feed_commands.serve_feeds_command)
    cli.add_command(backfill_commands.backfill_command)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        # Without standalone mode click returns the code of ``ctx.exit(n)`` instead of exiting.
        code = cli.main(args=argv, prog_name="jkwatch", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        one_line(exc).show()
        sys.exit(EXIT_CONFIG)
    except click.ClickException as exc:
        click.echo(f"error: {sentence(exc.format_message())}", err=True)
        sys.exit(EXIT_CONFIG if exc.exit_code in (1, 2) else exc.exit_code)
    except (DatabaseError, UserError) as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence prints, not crashes
        if debug:
            raise
        click.echo(
            f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)",
            err=True,
        )
        sys.exit(EXIT_BUG)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
