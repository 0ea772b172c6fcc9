"""The one feed-health renderer: ``jkwatch feeds list`` and ``jkwatch status``.

Both commands read ``jkwatch.db.feed_health`` and print through here, so they agree: the same
JSON keys (``record``; documented in README, "Feed health"), times in UTC (ISO 8601 with ``Z``
in JSON, ``YYYY-MM-DD HH:MM`` on the terminal) and the same sanitiser for feed-supplied text
(``jkwatch.cli.terminal``). ``feeds list`` shows a table, ``status`` a block per feed with the
schedule's details.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import click

from jkwatch.cli.context import AppContext
from jkwatch.cli.terminal import clean, json_text, table
from jkwatch.clock import utcnow
from jkwatch.db.feed_health import HEALTH_DAYS, FeedHealth, feed_health

json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON array, for scripts (the same keys for `status` and `feeds list`).",
)

Layout = Callable[[list[FeedHealth], datetime], str]


def show(app: AppContext, as_json: bool, layout: Layout, when_empty: str) -> None:
    """Read every feed's health once and print it as JSON or in ``layout``."""
    now = utcnow()
    with app.read_only_sessions()() as session:
        feeds = feed_health(session, now)
    if as_json:
        click.echo(dumps(feeds))
    else:
        click.echo(layout(feeds, now) if feeds else when_empty)


def iso(when: datetime | None) -> str | None:
    """A time as ISO 8601 UTC with ``Z`` (seconds), the form of every time jkwatch prints."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


def stamp(when: datetime) -> str:
    """A time for a terminal column, in UTC."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def record(feed: FeedHealth) -> dict[str, Any]:
    """One feed as plain JSON values: the field names of ``FeedHealth`` are the keys."""
    return {
        key: iso(value) if isinstance(value, datetime) else value
        for key, value in asdict(feed).items()
    }


def dumps(feeds: list[FeedHealth]) -> str:
    """What ``--json`` prints: one array of ``record``s, the same for both commands."""
    return json_text([record(feed) for feed in feeds])


def result(feed: FeedHealth) -> str:
    """The last attempt's result in words (with the error, or why the feed is disabled)."""
    if feed.last_result is None:
        text = "never fetched"
    elif feed.last_result == "error":
        text = f"error: {feed.last_error or 'failed'}"
    else:
        text = feed.last_result.replace("_", " ")
        if feed.last_http_status and feed.last_http_status != 200:
            text += f" ({feed.last_http_status})"
    if not feed.enabled:
        text += f" (disabled: {feed.disabled_reason or 'by the user'})"
    return clean(text)


def due(feed: FeedHealth, now: datetime) -> str:
    if not feed.enabled:
        return "disabled"
    if feed.next_due_at is None or feed.next_due_at <= now:
        return "now"
    return stamp(feed.next_due_at)


def _span(seconds: float) -> str:
    if seconds < 90:
        return f"{int(seconds)}s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)}m"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def relative(when: datetime | None, now: datetime) -> str:
    """``2026-11-02 09:00 (5m ago)``, or ``never``."""
    if when is None:
        return "never"
    delta = (when - now).total_seconds()
    span = _span(abs(delta))
    return f"{stamp(when)} ({'in ' + span if delta > 0 else span + ' ago'})"


def listing(feeds: list[FeedHealth], now: datetime) -> str:
    """``feeds list``: a table, then a one-line summary."""
    rows = [
        [
            "ID",
            "NAME",
            "LANG",
            "COUNTRY",
            "KIND",
            "ON",
            "LAST ATTEMPT",
            "LAST RESULT",
            "ERRORS",
            "NEXT DUE",
            "ITEMS",
        ]
    ]
    for feed in feeds:
        rows.append(
            [
                str(feed.id),
                clean(feed.name, 40),
                clean(feed.language) or "-",
                feed.country,
                clean(feed.kind),
                "yes" if feed.enabled else "no",
                stamp(feed.last_attempt_at) if feed.last_attempt_at else "never",
                clean(result(feed), 60),
                str(feed.error_streak),
                due(feed, now),
                str(feed.items),
            ]
        )
    failing = sum(1 for feed in feeds if feed.error_streak)
    disabled = sum(1 for feed in feeds if not feed.enabled)
    return (
        f"times in UTC\n{table(rows)}\n\n{len(feeds)} feeds, {failing} failing, {disabled} disabled"
    )


def details(feeds: list[FeedHealth], now: datetime) -> str:
    """``status``: a block per feed with the schedule's details."""
    lines = [f"times in UTC, now {stamp(now)}"]
    for feed in feeds:
        if not feed.enabled:
            when = f"disabled: {clean(feed.disabled_reason or 'by the user')}"
        elif feed.next_due_at is None or feed.next_due_at <= now:
            when = "due now"
        else:
            when = "due " + relative(feed.next_due_at, now)
        lines.append(f"[{feed.id}] {clean(feed.name)}")
        attempt = feed.last_attempt_at
        tried = f"last attempt {relative(attempt, now)}: " if attempt else ""
        lines.append(f"    {tried}{result(feed)}")
        lines.append(
            f"    {when}; error streak {feed.error_streak}; {feed.items} items "
            f"({feed.items_per_day:g} a day over the last {HEALTH_DAYS} days)"
        )
        if feed.lease_owner and feed.lease_expires_at:
            lines.append(
                f"    being fetched by {clean(feed.lease_owner)} "
                f"(lease until {feed.lease_expires_at.astimezone(UTC):%H:%M:%S})"
            )
    return "\n".join(lines)
