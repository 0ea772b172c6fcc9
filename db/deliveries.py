"""The alert delivery ledger: claim a delivery, record its result, read the log.

One row per (rule, event_key, channel), unique. Delivery is exactly once because the only ways
to get the right to send are:

* ``claim_new``: insert the row (``insert_ignore``): of two workers inserting the same key,
  one inserts, the other's insert is ignored (PostgreSQL makes it wait for the first
  transaction, then skip);
* ``claim_due``: a compare-and-set ``UPDATE`` of a due ``pending``/``held`` row whose claim
  is free or lapsed; on PostgreSQL a concurrent update waits and re-checks the condition, so
  only one of them changes the row.

Each claim is its own short transaction (the caller commits it before sending), and carries
an expiry: a worker that dies between claim and record leaves a claim that lapses, and another
worker retries the delivery (at-least-once in that one window). Like every ``db`` function
these take the caller's session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TableClause

from jkwatch.db.dialect import insert_ignore
from jkwatch.db.models import AlertDelivery

PENDING = "pending"
HELD = "held"
SENT = "sent"
FAILED = "failed"
SUPPRESSED = "suppressed"
CANCELLED = "cancelled"
"""A retry or held alert whose rule or brief was disabled or removed before it went out."""
STATUSES = (PENDING, HELD, SENT, FAILED, SUPPRESSED, CANCELLED)
ERROR_LIMIT = 500
_TABLE = cast(TableClause, AlertDelivery.__table__)
"""Stored error messages are cut to this many characters."""


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds the right to send, until its claim lapses."""

    id: int
    rule: str
    event_key: str
    channel: str
    kind: str
    attempts: int
    """Attempts including the one now claimed."""
    payload: dict[str, Any]


@dataclass(frozen=True)
class DeliveryRow:
    """One ledger row as the log shows it (never an ORM object)."""

    id: int
    created_at: datetime
    rule: str
    kind: str
    event_key: str
    channel: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    subject: str


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount or 0


def claim_new(
    session: Session,
    *,
    rule: str,
    event_key: str,
    channel: str,
    kind: str,
    subject: str,
    payload: dict[str, Any],
    now: datetime,
    status: str = PENDING,
    worker: str | None = None,
    lease: timedelta = timedelta(minutes=5),
    next_attempt_at: datetime | None = None,
) -> int | None:
    """Insert the delivery's row; its id when this call inserted it, None when it existed.

    ``pending`` rows are inserted claimed by ``worker`` (one attempt counted): the caller
    sends, then records. ``held`` rows (quiet hours) wait for ``next_attempt_at``;
    ``suppressed`` rows (rate limit) are only a record.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown delivery status {status!r}")
    claimed = status == PENDING
    if claimed and not worker:
        raise ValueError("a pending delivery is inserted claimed: give the worker")
    values = {
        "rule": rule,
        "event_key": event_key,
        "channel": channel,
        "kind": kind,
        "status": status,
        "attempts": 1 if claimed else 0,
        "next_attempt_at": next_attempt_at if next_attempt_at is not None else now,
        "claimed_by": worker if claimed else None,
        "claim_expires_at": now + lease if claimed else None,
        "created_at": now,
        "subject": subject,
        "payload": payload,
    }
    # RETURNING says whether this insert landed (a skipped one returns no row); the rowcount
    # of an INSERT with RETURNING is not reliable across drivers.
    inserted = session.execute(
        insert_ignore(_TABLE).values(**values).returning(_TABLE.c.id)
    ).scalar_one_or_none()
    return int(inserted) if inserted is not None else None


def _due(now: datetime) -> list[Any]:
    return [
        AlertDelivery.status.in_((PENDING, HELD)),
        or_(AlertDelivery.next_attempt_at.is_(None), AlertDelivery.next_attempt_at <= now),
        or_(AlertDelivery.claim_expires_at.is_(None), AlertDelivery.claim_expires_at <= now),
    ]


def due_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Deliveries that may be claimed now (retries, held alerts, lapsed claims), oldest first."""
    return list(
        session.scalars(
            select(AlertDelivery.id)
            .where(*_due(now))
            .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id)
            .limit(limit)
        )
    )


def claim_due(
    session: Session, delivery_id: int, worker: str, now: datetime, lease: timedelta
) -> Claimed | None:
    """Compare-and-set claim of one due delivery; None when another worker got it first or it
    is no longer due."""
    result = session.execute(
        update(AlertDelivery)
        .where(AlertDelivery.id == delivery_id, *_due(now))
        .values(
            status=PENDING,
            claimed_by=worker,
            claim_expires_at=now + lease,
            attempts=AlertDelivery.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        return None
    row = session.execute(
        select(
            AlertDelivery.id,
            AlertDelivery.rule,
            AlertDelivery.event_key,
            AlertDelivery.channel,
            AlertDelivery.kind,
            AlertDelivery.attempts,
            AlertDelivery.payload,
        ).where(AlertDelivery.id == delivery_id)
    ).one()
    return Claimed(*row)


def record_sent(session: Session, delivery_id: int, worker: str, now: datetime) -> bool:
    """Mark a claimed delivery sent; False when the claim was no longer this worker's."""
    result = session.execute(
        update(AlertDelivery)
        .where(AlertDelivery.id == delivery_id, AlertDelivery.claimed_by == worker)
        .values(
            status=SENT, sent_at=now, claimed_by=None, claim_expires_at=None, next_attempt_at=None
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def record_failure(
    session: Session,
    delivery_id: int,
    worker: str,
    error: str,
    retry_at: datetime | None,
) -> bool:
    """A failed attempt: ``pending`` again from ``retry_at``, or ``failed`` for good (None).

    ``error`` must already be free of secrets (``DeliveryError`` messages are); it is cut to
    ``ERROR_LIMIT`` characters.
    """
    result = session.execute(
        update(AlertDelivery)
        .where(AlertDelivery.id == delivery_id, AlertDelivery.claimed_by == worker)
        .values(
            status=PENDING if retry_at is not None else FAILED,
            next_attempt_at=retry_at,
            last_error=error[:ERROR_LIMIT],
            claimed_by=None,
            claim_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def record_cancelled(session: Session, delivery_id: int, worker: str, reason: str) -> bool:
    """A claimed retry or held alert that will not be sent (its rule is gone or disabled)."""
    result = session.execute(
        update(AlertDelivery)
        .where(AlertDelivery.id == delivery_id, AlertDelivery.claimed_by == worker)
        .values(
            status=CANCELLED,
            next_attempt_at=None,
            last_error=reason[:ERROR_LIMIT],
            claimed_by=None,
            claim_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def events_since(session: Session, rule: str, since: datetime, exclude: str = "") -> int:
    """How many distinct events of ``rule`` were recorded since ``since``, suppressed ones
    aside (the rate limit's count), not counting the event ``exclude``."""
    return int(
        session.scalar(
            select(func.count(func.distinct(AlertDelivery.event_key))).where(
                AlertDelivery.rule == rule,
                AlertDelivery.created_at >= since,
                AlertDelivery.status != SUPPRESSED,
                AlertDelivery.event_key != exclude,
            )
        )
        or 0
    )


def statuses_of(session: Session, rule: str, event_key: str) -> dict[str, str]:
    """Channel -> status of the deliveries recorded for one event (empty: never seen)."""
    rows = session.execute(
        select(AlertDelivery.channel, AlertDelivery.status).where(
            AlertDelivery.rule == rule, AlertDelivery.event_key == event_key
        )
    ).all()
    return {channel: status for channel, status in rows}


def delivery_log(
    session: Session, limit: int = 200, statuses: tuple[str, ...] = ()
) -> list[DeliveryRow]:
    """The newest deliveries first (ties: newest id), optionally of some statuses only."""
    query = select(
        AlertDelivery.id,
        AlertDelivery.created_at,
        AlertDelivery.rule,
        AlertDelivery.kind,
        AlertDelivery.event_key,
        AlertDelivery.channel,
        AlertDelivery.status,
        AlertDelivery.attempts,
        AlertDelivery.last_error,
        AlertDelivery.next_attempt_at,
        AlertDelivery.sent_at,
        AlertDelivery.subject,
    )
    if statuses:
        query = query.where(AlertDelivery.status.in_(statuses))
    rows = session.execute(
        query.order_by(AlertDelivery.created_at.desc(), AlertDelivery.id.desc()).limit(limit)
    ).all()
    return [DeliveryRow(*row) for row in rows]  # type: ignore[call-arg]


def last_sent_at(session: Session, rule: str) -> datetime | None:
    """When a delivery of ``rule`` (a brief's name) last went out."""
    return session.scalar(
        select(func.max(AlertDelivery.sent_at)).where(
            and_(AlertDelivery.rule == rule, AlertDelivery.status == SENT)
        )
    )
