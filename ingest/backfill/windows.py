"""Window planning (pure): a range of UTC days cut into windows, full windows cut in halves.

A range ``since..until`` (both inclusive) starts as windows of ``INITIAL_DAYS`` days. A
response that holds as many entries as the service returns at most ("full") may have left
some out, so its window is split into two halves, down to single days. A single day that is
still full is stored as it is, and the runner logs that some items of that day are missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

INITIAL_DAYS = 7


@dataclass(frozen=True, order=True)
class Window:
    """The UTC days ``first..last``, both inclusive."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"window ends ({self.last}) before it starts ({self.first})")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def halves(self) -> tuple[Window, Window]:
        """The window cut in two (the first half takes the odd day); needs at least 2 days."""
        if self.days < 2:
            raise ValueError("a one-day window cannot be split")
        middle = self.first + timedelta(days=(self.days + 1) // 2 - 1)
        return Window(self.first, middle), Window(middle + timedelta(days=1), self.last)

    def holds(self, day: date) -> bool:
        return self.first <= day <= self.last

    def is_final(self, today: date) -> bool:
        """Whether the window lies wholly before ``today``: nothing more can appear in it."""
        return self.last < today

    def __str__(self) -> str:
        return str(self.first) if self.days == 1 else f"{self.first}..{self.last}"


def initial_windows(since: date, until: date, days: int = INITIAL_DAYS) -> list[Window]:
    """``since..until`` as consecutive windows of ``days`` days (the last may be shorter)."""
    if until < since:
        raise ValueError(f"--since {since} is after --until {until}")
    if days < 1:
        raise ValueError("windows need at least one day")
    windows = []
    first = since
    while first <= until:
        last = min(until, first + timedelta(days=days - 1))
        windows.append(Window(first, last))
        first = last + timedelta(days=1)
    return windows


def is_full(listed: int, cap: int) -> bool:
    """A response listing ``cap`` entries (or more) may have left some out."""
    return listed >= cap


def days_of(window: Window) -> Iterator[date]:
    day = window.first
    while day <= window.last:
        yield day
        day += timedelta(days=1)
