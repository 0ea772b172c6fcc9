"""Time rules of alerts, pure: brief schedules, quiet hours and durations, in named zones.

Wall-clock times are read in the rule's or brief's IANA zone through ``zoneinfo``, so a daily
07:00 stays 07:00 across daylight-saving changes: on the day a clock springs forward over the
time, the slot is the first instant after the gap; on the day it falls back, the first of the two
07:00s. Every function takes ``now`` (aware) instead of reading a clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_DURATION = re.compile(r"(\d{1,4})([hd])")


@dataclass(frozen=True)
class Schedule:
    """``daily HH:MM`` or ``weekly WEEKDAY HH:MM`` in ``zone``."""

    at: time
    zone: ZoneInfo
    weekday: int | None = None
    """0 = Monday; None for a daily schedule."""

    def describe(self) -> str:
        clock = self.at.strftime("%H:%M")
        if self.weekday is None:
            return f"daily {clock} {self.zone.key}"
        return f"weekly {WEEKDAYS[self.weekday]} {clock} {self.zone.key}"

    def _slot_on(self, day: date) -> datetime | None:
        if self.weekday is not None and day.weekday() != self.weekday:
            return None
        return datetime.combine(day, self.at, tzinfo=self.zone)

    def latest_slot(self, now: datetime) -> datetime:
        """The latest slot at or before ``now`` (in the schedule's zone)."""
        today = now.astimezone(self.zone).date()
        for back in range(9):
            slot = self._slot_on(today - timedelta(days=back))
            if slot is not None and slot <= now:
                return slot
        raise AssertionError("a weekly schedule has a slot in every 8 days")

    def next_slot(self, now: datetime) -> datetime:
        """The first slot strictly after ``now``."""
        today = now.astimezone(self.zone).date()
        for ahead in range(9):
            slot = self._slot_on(today + timedelta(days=ahead))
            if slot is not None and slot > now:
                return slot
        raise AssertionError("a weekly schedule has a slot in every 8 days")


@dataclass(frozen=True)
class QuietHours:
    """A daily quiet period ``start``-``end`` in ``zone``; it may run past midnight."""

    start: time
    end: time
    zone: ZoneInfo

    def until(self, now: datetime) -> datetime | None:
        """When the quiet period that ``now`` is in ends; None when ``now`` is not quiet."""
        local = now.astimezone(self.zone)
        today = local.date()
        # The period that began today, or the one that began yesterday and runs past midnight.
        for begun in (today, today - timedelta(days=1)):
            start = datetime.combine(begun, self.start, tzinfo=self.zone)
            end_day = begun if self.end > self.start else begun + timedelta(days=1)
            end = datetime.combine(end_day, self.end, tzinfo=self.zone)
            if start <= now < end:
                return end
        return None


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ValueError naming it when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name like Asia/Tokyo)") from exc


def clock_time(text: str) -> time:
    """``HH:MM`` (24-hour) as a time; ValueError otherwise."""
    match = _CLOCK.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time of day like 07:00")
    return time(int(match.group(1)), int(match.group(2)))


def parse_schedule(text: str, tz: ZoneInfo) -> Schedule:
    """``daily HH:MM`` or ``weekly WEEKDAY HH:MM``; ValueError with the expected shape."""
    words = text.lower().split()
    expected = '"daily 07:00" or "weekly monday 08:00"'
    if len(words) == 2 and words[0] == "daily":
        return Schedule(at=clock_time(words[1]), zone=tz)
    if len(words) == 3 and words[0] == "weekly":
        if words[1] not in WEEKDAYS:
            raise ValueError(f"{words[1]!r} is not a weekday (expected {expected})")
        return Schedule(at=clock_time(words[2]), zone=tz, weekday=WEEKDAYS.index(words[1]))
    raise ValueError(f"{text!r} is not a schedule (expected {expected})")


def parse_quiet_hours(text: str, tz: ZoneInfo) -> QuietHours:
    """``HH:MM-HH:MM``; ValueError otherwise (an empty period is an error too)."""
    parts = text.split("-")
    if len(parts) != 2:
        raise ValueError(f"{text!r} is not a period like 22:00-07:00")
    start, end = clock_time(parts[0]), clock_time(parts[1])
    if start == end:
        raise ValueError(f"{text!r} is an empty period")
    return QuietHours(start=start, end=end, zone=tz)


def parse_duration(text: str) -> timedelta:
    """``12h`` or ``7d`` (positive); ValueError otherwise."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration like 24h or 7d")
    amount = int(match.group(1))
    return timedelta(hours=amount) if match.group(2) == "h" else timedelta(days=amount)
