"""What every layer's errors share: one-line messages.

Each layer keeps its own exception hierarchy (``jkwatch.db.errors``, ``TaggingError``, ...);
the CLI is the only place that turns them into messages and exit codes. Driver and library
errors are often several lines long, and the product's error style is one line.
"""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (driver errors are multi-line)."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__
