"""Turning exceptions into one-line messages and exit codes: the CLI edge, and only here.

Exit codes: 0 done (feed-level errors are reported, not fatal), 1 unexpected internal
error, 2 usage, configuration or database error.
"""

from __future__ import annotations

import sys

import click

EXIT_OK = 0
EXIT_BUG = 1
EXIT_CONFIG = 2


class UserError(Exception):
    """A problem the user can fix (bad option value, missing file): message, exit 2."""


def fail(message: str, code: int = EXIT_CONFIG) -> None:
    """Print ``error: message`` on stderr and exit with ``code``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
