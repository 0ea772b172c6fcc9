"""Usage errors in the product's style: one line on stderr, exit code 2.

click reports a bad command line with a three-line block (usage, a hint, the error). jkwatch
says it in one line that names the command and where to read more::

    error: jkwatch feeds add: missing argument 'URL' (see 'jkwatch feeds add --help')

Every group of the tree is a ``OneLineGroup``: it converts each ``click.UsageError`` raised
below it (parsing, unknown commands, bad values, ``BadParameter`` from a command body) into a
``OneLineUsageError`` that names the command, so subcommands added later are covered without
doing anything (a test checks that every group is one).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import IO, Any

import click

ROOT = "jkwatch"
_SUGGESTION = re.compile(r"\.\s+Did you mean (.+)\?$")


def _visible(text: str) -> str:
    """Control and format characters (from the command line, e.g. a pasted escape sequence)
    shown escaped, so the message stays on one line and cannot drive the terminal."""
    out = []
    for ch in text:
        if unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029":
            out.append(json.dumps(ch)[1:-1])
        else:
            out.append(ch)
    return "".join(out)


def sentence(text: str) -> str:
    """click's message as a clause: one line, no final period, lower-case first word."""
    text = " ".join(_visible(text).split())
    text = _SUGGESTION.sub(r" (did you mean \1?)", text).rstrip(".")
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        text = text[0].lower() + text[1:]
    return text


def _missing_command(ctx: click.Context) -> str:
    group = ctx.command
    names = group.list_commands(ctx) if isinstance(group, click.Group) else []
    return f"missing command (one of: {', '.join(names)})" if names else "missing command"


def describe(exc: click.UsageError, path: str | None = None) -> str:
    """The one-line text for a click usage error, without the ``error:`` prefix; ``path`` is
    the command's path when the error does not know its context."""
    ctx = exc.ctx
    if ctx is not None and ctx.command_path:
        path = ctx.command_path
    path = path or ROOT
    if isinstance(exc, click.exceptions.NoArgsIsHelpError) and ctx is not None:
        message = _missing_command(ctx)
    elif isinstance(exc, click.NoSuchOption):
        message = f"no such option '{_visible(exc.option_name)}'"
        if exc.possibilities:
            message += (
                " (did you mean "
                + " or ".join(f"'{name}'" for name in sorted(exc.possibilities))
                + "?)"
            )
    elif exc.message == "Missing command." and ctx is not None:
        message = _missing_command(ctx)
    else:
        message = sentence(exc.format_message())
    return f"{path}: {message} (see '{path} --help')"


class OneLineUsageError(click.UsageError):
    """A usage error that ``show``s as one line; click's standalone mode exits with 2."""

    exit_code = 2

    def __init__(self, line: str, ctx: click.Context | None = None) -> None:
        super().__init__(line, ctx)
        self.line = line

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.line}", err=file is None, file=file)


def one_line(exc: click.UsageError, path: str | None = None) -> OneLineUsageError:
    """``exc`` as a one-line usage error (unchanged when it already is one)."""
    if isinstance(exc, OneLineUsageError):
        return exc
    return OneLineUsageError(describe(exc, path), exc.ctx)


class OneLineGroup(click.Group):
    """A group whose subcommands' usage errors come out as one line naming the subcommand.

    click's option parser raises some errors (an option without its value) before it knows
    the context; the group knows which subcommand it was parsing (``invoked_subcommand`` is
    set before the subcommand's context is made), so it names that one.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            path = None
            if exc.ctx is None and ctx.invoked_subcommand:
                path = f"{ctx.command_path} {ctx.invoked_subcommand}"
            raise one_line(exc, path) from None
