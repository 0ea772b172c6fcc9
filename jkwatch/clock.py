"""The wall clock, in one place: every layer takes its "now" from here (or is handed one)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, aware and in UTC: times are stored and passed in UTC everywhere."""
    return datetime.now(UTC)
