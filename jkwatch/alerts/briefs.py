"""Scheduled briefs: which slot is due, and the brief of a slot as a message.

A brief is due once per slot of its schedule: the due slot is the latest one at or before now,
so a worker that was down over several slots sends only the latest one, not a backlog. The
ledger key ``brief:<name>:<slot in its zone>`` makes each slot go out once. The brief covers
``days`` UTC days (the counts are kept per UTC day) ending with the UTC day of the send time
minus 12 hours: the latest day at least half over (a 07:00 Tokyo brief, 22:00 UTC, covers the
UTC day that is ending; a 07:00 London brief covers yesterday).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from jkwatch.alerts.config import BriefSpec
from jkwatch.alerts.message import Message
from jkwatch.brief_render import brief_json, render_html, render_markdown
from jkwatch.db.brief import build_brief
from jkwatch.db.themes import list_themes


def brief_key(spec: BriefSpec, slot: datetime) -> str:
    return f"brief:{spec.name}:{slot.isoformat(timespec='minutes')}"


def brief_range(spec: BriefSpec, slot: datetime) -> tuple[date, date]:
    until = (slot.astimezone(UTC) - timedelta(hours=12)).date()
    return until - timedelta(days=spec.days - 1), until


def brief_message(session: Session, spec: BriefSpec, slot: datetime, now: datetime) -> Message:
    """The brief of ``slot`` (HTML self-contained, Markdown as the text part)."""
    since, until = brief_range(spec, slot)
    brief = build_brief(session, since, until, themes=spec.themes, top=spec.top)
    labels = {theme.id: theme.label for theme in list_themes(session)}
    summary = brief_json(brief)
    return Message(
        event_key=brief_key(spec, slot),
        kind="brief",
        rule=spec.name,
        subject=f"[jkwatch] {spec.name} brief: {since.isoformat()} to {until.isoformat()}",
        text=render_markdown(brief, labels),
        html=render_html(brief, labels),
        created_at=now,
        data={
            "brief": spec.name,
            "slot": slot.isoformat(timespec="minutes"),
            "since": since.isoformat(),
            "until": until.isoformat(),
            "stories": len(summary["stories"]),
            "movers": len(summary["movers"]),
            "spikes": len(summary["spikes"]),
        },
    )
