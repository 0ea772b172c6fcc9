"""A plain answer for commands whose issue has not landed yet (they must not pretend)."""

from __future__ import annotations

from ingest.cli.errors import fail


def not_yet(command: str, issue: int) -> None:
    fail(f"`jkwatch {command}` is not available in this build yet (tracked in issue {issue})")
