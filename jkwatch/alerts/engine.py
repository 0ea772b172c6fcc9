"""The delivery engine: evaluate rules and due briefs, claim each delivery once, send, record.

For each message (one event of one rule) and each of the rule's channels, the engine inserts
the ledger row (``db.deliveries.claim_new``) in its own short transaction; only the worker whose
insert landed sends, then records the result in a second transaction. A row that already exists
was sent, is being sent, is held, waits for a retry or was suppressed: evaluating again (a
rerun, a restart, a second worker) sends nothing. Retries, held alerts and lapsed claims are
sent by ``retry_due`` through a compare-and-set claim. A worker that dies between claim and
record leaves a claim that lapses after ``lease``; another worker then sends again (the one
at-least-once window).

Failures are ``DeliveryError`` values of the channel (their messages carry no secrets); any
other exception is recorded by its type name only. A retryable failure is retried after
``backoff * 2**(attempts - 1)`` (or the receiver's Retry-After if longer; capped at
``max_backoff``) up to ``max_attempts``, then the row
stays ``failed``. Quiet hours insert the row ``held`` until the period ends; past the rule's
``max_per_day`` distinct events in 24 hours, a new event is recorded ``suppressed`` and not sent.
One rule or channel failing never stops the others (nor ingest, when the scheduler ticks it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from jkwatch.alerts import channels as channel_module
from jkwatch.alerts.briefs import brief_key, brief_message
from jkwatch.alerts.channels import ChannelSpec
from jkwatch.alerts.config import AlertsConfig, BriefSpec, Rule
from jkwatch.alerts.message import DeliveryError, Message
from jkwatch.alerts.payload import from_payload, to_payload
from jkwatch.alerts.rules import evaluate
from jkwatch.clock import utcnow
from jkwatch.db import deliveries as ledger

log = logging.getLogger(__name__)

Deliver = Callable[[ChannelSpec, Message], None]
Clock = Callable[[], datetime]


def deliver_through_channels(spec: ChannelSpec, message: Message) -> None:
    """The real delivery: the channels module (email, webhook, Atom)."""
    channel_module.deliver(spec, message)


@dataclass(frozen=True)
class DeliverySettings:
    max_attempts: int = 5
    backoff: timedelta = timedelta(minutes=1)
    """Wait before the first retry; doubled after each further failure."""
    max_backoff: timedelta = timedelta(hours=6)
    lease: timedelta = timedelta(minutes=5)
    """How long a claim lasts: a crashed worker's delivery is retried after this."""
    rate_window: timedelta = timedelta(hours=24)

    rules_every: timedelta = timedelta(minutes=10)
    """The scheduler's tick evaluates the rules after each ingest cycle, and at least this
    often (another worker or a cron run may have ingested)."""

    def retry_at(self, now: datetime, attempts: int, asked_s: float | None = None) -> datetime:
        """Exponential backoff; longer if the receiver asked for it (Retry-After); capped."""
        wait = self.backoff * (2 ** max(0, attempts - 1))
        if asked_s is not None and asked_s > 0:
            wait = max(wait, timedelta(seconds=asked_s))
        return now + min(wait, self.max_backoff)


@dataclass(frozen=True)
class Outcome:
    """What happened to one (rule, event, channel) in this run."""

    rule: str
    event_key: str
    channel: str
    status: str
    """sent, retry, failed, held, suppressed, recorded (already in the ledger), or, in a dry
    run, would-send."""
    error: str | None = None
    subject: str = ""


@dataclass
class RunSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    """(rule or brief, error) of evaluations that failed."""
    messages: list[Message] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def line(self) -> str:
        parts = [
            f"{self.count(s)} {s}"
            for s in (
                "sent",
                "would-send",
                "retry",
                "failed",
                "held",
                "suppressed",
                "cancelled",
                "recorded",
            )
            if self.count(s)
        ]
        if self.errors:
            parts.append(f"{len(self.errors)} rule errors")
        return ", ".join(parts) or "nothing to send"


class AlertsEngine:
    """One per worker; ``run`` is safe to call from any number of workers at once."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        config: AlertsConfig,
        *,
        deliver: Deliver = deliver_through_channels,
        clock: Clock = utcnow,
        worker: str = "alerts",
        settings: DeliverySettings = DeliverySettings(),
    ) -> None:
        self.sessions = sessions
        self.config = config
        self.deliver = deliver
        self.clock = clock
        self.worker = worker
        self.settings = settings
        self._rules_due_at: datetime | None = None

    # -- evaluation -----------------------------------------------------------------------

    def preview(self, rule: Rule) -> list[Message]:
        """What ``rule`` yields now; reads only (``jkwatch alerts test``)."""
        with self.sessions() as session:
            return evaluate(session, rule, self.clock())

    def run(self, dry_run: bool = False, rules: bool = True) -> RunSummary:
        """Evaluate every enabled rule (unless ``rules`` is False) and due brief, deliver, then
        send due retries and released held alerts.

        ``dry_run`` writes nothing and sends nothing: outcomes say what would be sent.
        """
        summary = RunSummary()
        for rule in self.config.rules if rules else ():
            if rule.enabled:
                self._run_rule(rule, summary, dry_run)
        for spec in self.config.briefs:
            if spec.enabled:
                self._run_brief(spec, summary, dry_run)
        if not dry_run:
            self.retry_due(summary)
        return summary

    def tick(self, ingested: bool = True) -> None:
        """The scheduler's hook: rules after an ingest cycle (``ingested``), due briefs and
        retries always; never raising (ingest must go on)."""
        now = self.clock()
        rules = ingested or self._rules_due_at is None or now >= self._rules_due_at
        if rules:
            self._rules_due_at = now + self.settings.rules_every
        try:
            summary = self.run(rules=rules)
        except Exception:  # noqa: BLE001 - alerts never stop ingest
            log.exception("alerts run failed worker=%s", self.worker)
            return
        if summary.outcomes or summary.errors:
            log.info("alerts run worker=%s %s", self.worker, summary.line())

    def _run_rule(self, rule: Rule, summary: RunSummary, dry_run: bool) -> None:
        try:
            messages = self.preview(rule)
        except Exception as exc:  # noqa: BLE001 - one broken rule never stops the others
            log.exception("alert rule failed rule=%s", rule.name)
            summary.errors.append((rule.name, f"{type(exc).__name__}: {str(exc)[:200]}"))
            return
        for message in messages:
            summary.messages.append(message)
            self._dispatch(rule.name, rule.channels, message, summary, dry_run, rule)

    def _run_brief(self, spec: BriefSpec, summary: RunSummary, dry_run: bool) -> None:
        now = self.clock()
        slot = spec.schedule.latest_slot(now)
        key = brief_key(spec, slot)
        try:
            with self.sessions() as session:
                if set(ledger.statuses_of(session, spec.name, key)) >= set(spec.channels):
                    return
                message = brief_message(session, spec, slot, now)
        except Exception as exc:  # noqa: BLE001 - one broken brief never stops the others
            log.exception("scheduled brief failed brief=%s", spec.name)
            summary.errors.append((spec.name, f"{type(exc).__name__}: {str(exc)[:200]}"))
            return
        summary.messages.append(message)
        self._dispatch(spec.name, spec.channels, message, summary, dry_run, None)

    # -- delivery -------------------------------------------------------------------------

    def _dispatch(
        self,
        name: str,
        channel_names: Sequence[str],
        message: Message,
        summary: RunSummary,
        dry_run: bool,
        rule: Rule | None,
    ) -> None:
        now = self.clock()
        with self.sessions() as session:
            existing = ledger.statuses_of(session, name, message.event_key)
            status = self._status_for_new(session, rule, message, now, bool(existing))
        held_until = rule.quiet_hours.until(now) if rule and rule.quiet_hours else None
        if status == ledger.PENDING and held_until is not None:
            status = ledger.HELD
        for channel in channel_names:
            outcome = Outcome(name, message.event_key, channel, "recorded", None, message.subject)
            if channel in existing:
                summary.outcomes.append(outcome)
                continue
            if dry_run:
                shown = "would-send" if status == ledger.PENDING else status
                summary.outcomes.append(_with(outcome, shown))
                continue
            with self.sessions.begin() as session:
                delivery_id = ledger.claim_new(
                    session,
                    rule=name,
                    event_key=message.event_key,
                    channel=channel,
                    kind=message.kind,
                    subject=message.subject,
                    payload=to_payload(message),
                    now=now,
                    status=status,
                    worker=self.worker if status == ledger.PENDING else None,
                    lease=self.settings.lease,
                    next_attempt_at=held_until if status == ledger.HELD else None,
                )
            if delivery_id is None:  # another worker inserted it meanwhile: theirs to send
                summary.outcomes.append(outcome)
                continue
            if status != ledger.PENDING:
                log.info(
                    "alert %s rule=%s event_key=%s channel=%s",
                    status,
                    name,
                    message.event_key,
                    channel,
                )
                summary.outcomes.append(_with(outcome, status))
                continue
            summary.outcomes.append(self._send(delivery_id, name, channel, message, 1))

    def _status_for_new(
        self, session: Session, rule: Rule | None, message: Message, now: datetime, seen: bool
    ) -> str:
        """``suppressed`` for a new event past the rule's daily limit, else ``pending``."""
        if rule is None or rule.max_per_day is None or seen:
            return ledger.PENDING
        recent = ledger.events_since(
            session, rule.name, now - self.settings.rate_window, exclude=message.event_key
        )
        return ledger.SUPPRESSED if recent >= rule.max_per_day else ledger.PENDING

    def retry_due(self, summary: RunSummary | None = None) -> None:
        """Send every due retry, released held alert and lapsed claim, each claimed once."""
        summary = summary if summary is not None else RunSummary()
        now = self.clock()
        with self.sessions() as session:
            due = ledger.due_ids(session, now)
        for delivery_id in due:
            with self.sessions.begin() as session:
                claimed = ledger.claim_due(
                    session, delivery_id, self.worker, self.clock(), self.settings.lease
                )
            if claimed is None:
                continue
            if claimed.rule not in self._enabled_names():
                reason = f"not sent: rule or brief {claimed.rule!r} is disabled or removed"
                with self.sessions.begin() as session:
                    ledger.record_cancelled(session, claimed.id, self.worker, reason)
                log.info(
                    "alert cancelled rule=%s event_key=%s channel=%s",
                    claimed.rule,
                    claimed.event_key,
                    claimed.channel,
                )
                summary.outcomes.append(
                    Outcome(
                        claimed.rule, claimed.event_key, claimed.channel, "cancelled", reason, ""
                    )
                )
                continue
            message = from_payload(claimed.payload)
            summary.outcomes.append(
                self._send(claimed.id, claimed.rule, claimed.channel, message, claimed.attempts)
            )

    def _enabled_names(self) -> set[str]:
        return {rule.name for rule in self.config.rules if rule.enabled} | {
            spec.name for spec in self.config.briefs if spec.enabled
        }

    def _send(
        self, delivery_id: int, name: str, channel: str, message: Message, attempts: int
    ) -> Outcome:
        spec = self.config.channels.get(channel)
        error: str | None = None
        retryable = False
        asked_s: float | None = None
        if spec is None:
            error = f"channel {channel!r} is no longer configured"
        else:
            try:
                self.deliver(spec, message)
            except DeliveryError as exc:
                error, retryable = str(exc), exc.retryable
                asked_s = getattr(exc, "retry_after_s", None)
            except Exception as exc:  # noqa: BLE001 - recorded by type only: may hold secrets
                error, retryable = f"unexpected {type(exc).__name__} in channel {channel}", True
        now = self.clock()
        with self.sessions.begin() as session:
            if error is None:
                ledger.record_sent(session, delivery_id, self.worker, now)
                status = "sent"
            else:
                retry = retryable and attempts < self.settings.max_attempts
                retry_at = self.settings.retry_at(now, attempts, asked_s) if retry else None
                ledger.record_failure(session, delivery_id, self.worker, error, retry_at)
                status = "retry" if retry else "failed"
        log_at = log.info if error is None else log.warning
        log_at(
            "alert %s rule=%s event_key=%s channel=%s attempts=%d%s",
            status,
            name,
            message.event_key,
            channel,
            attempts,
            f" error={error}" if error else "",
        )
        return Outcome(name, message.event_key, channel, status, error, message.subject)


def _with(outcome: Outcome, status: str) -> Outcome:
    return Outcome(
        outcome.rule, outcome.event_key, outcome.channel, status, outcome.error, outcome.subject
    )
