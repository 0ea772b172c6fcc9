"""``jkwatch alerts list|test RULE|run [--dry-run]``: see, try and send alerts by hand.

``list`` reads only ``alerts.toml`` (no database); ``test`` evaluates one rule now, enabled or
not, and prints what it would send, sending and recording nothing; ``run`` evaluates every
enabled rule and due brief and delivers through the ledger, exactly as the scheduler does after
each ingest cycle; ``run --dry-run`` prints what ``run`` would send and writes nothing. A bad
``alerts.toml`` or an unknown rule is one line, exit 2.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from jkwatch.alerts.channels import describe
from jkwatch.alerts.config import AlertsConfig, Rule, load_alerts_config
from jkwatch.alerts.engine import AlertsEngine, Outcome
from jkwatch.alerts.message import AlertsConfigError, Message
from jkwatch.cli.context import AppContext
from jkwatch.cli.errors import UserError
from jkwatch.cli.terminal import clean, table
from jkwatch.cli.usage import OneLineGroup
from jkwatch.clock import utcnow
from jkwatch.ingest.scheduler import make_worker_id


def load_config() -> AlertsConfig:
    """The alerts configuration, or a ``UserError`` (one line, exit 2)."""
    try:
        return load_alerts_config()
    except AlertsConfigError as exc:
        raise UserError(str(exc)) from None


def _now_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--now",
        "now",
        type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]),
        hidden=True,
        help="Evaluate as if it were this time (ISO 8601 with offset; for tests and replays).",
    )(command)


def _clock(now: datetime | None) -> datetime:
    return now.astimezone(UTC) if now is not None else utcnow()


def _rule_summary(rule: Rule) -> str:
    if rule.type == "spike":
        what = f"theme {rule.theme}, z >= {rule.min_z:g}, >= {rule.min_count} items"
    elif rule.type == "story":
        parts = [f">= {rule.min_outlets} outlets"] if rule.min_outlets else []
        if rule.both_countries:
            parts.append("both countries")
        what = ", ".join(parts) + (f", themes {', '.join(rule.themes)}" if rule.themes else "")
    else:
        parts = [f'query "{rule.query}"'] if rule.query else []
        if rule.entity:
            parts.append(f"entity {rule.entity}")
        if rule.themes:
            parts.append(f"themes {', '.join(rule.themes)}")
        what = ", ".join(parts) + f", relevance >= {rule.min_relevance:g}"
    extra = []
    if rule.max_per_day:
        extra.append(f"max {rule.max_per_day}/day")
    if rule.quiet_hours:
        quiet = rule.quiet_hours
        extra.append(f"quiet {quiet.start:%H:%M}-{quiet.end:%H:%M} {rule.timezone.key}")
    return "; ".join([what, *extra])


@click.group("alerts", cls=OneLineGroup)
def alerts_group() -> None:
    """Alert rules and scheduled briefs (config/alerts.toml; see docs/alerts.md)."""


@alerts_group.command("list")
@_now_option
def list_command(now: datetime | None) -> None:
    """Channels, rules and briefs, with each brief's next send time."""
    config = load_config()
    click.echo(f"alerts config: {config.source}")
    click.echo("\nchannels:")
    for channel in config.channels.values():
        click.echo(f"  {clean(describe(channel))}")
    if not config.channels:
        click.echo("  (none)")
    click.echo("\nrules:")
    rows = [["name", "type", "enabled", "channels", "what"]]
    for rule in config.rules:
        rows.append(
            [
                rule.name,
                rule.type,
                "yes" if rule.enabled else "no",
                ",".join(rule.channels),
                _rule_summary(rule),
            ]
        )
    click.echo(table(rows) if config.rules else "  (none)")
    click.echo("\nbriefs:")
    at = _clock(now)
    rows = [["name", "schedule", "enabled", "range", "channels", "next"]]
    for spec in config.briefs:
        upcoming = spec.schedule.next_slot(at)
        rows.append(
            [
                spec.name,
                spec.schedule.describe(),
                "yes" if spec.enabled else "no",
                f"{spec.days}d",
                ",".join(spec.channels),
                f"{upcoming.isoformat(timespec='minutes')} "
                f"({upcoming.astimezone(UTC):%Y-%m-%d %H:%M} UTC)",
            ]
        )
    click.echo(table(rows) if config.briefs else "  (none)")


def _show(message: Message) -> None:
    click.echo(f"== {clean(message.event_key)}")
    click.echo(f"subject: {clean(message.subject)}")
    for line in message.text.splitlines():
        click.echo(f"  {clean(line)}")


@alerts_group.command("test")
@click.argument("rule_name", metavar="RULE")
@_now_option
@click.pass_obj
def test_command(app: AppContext, rule_name: str, now: datetime | None) -> None:
    """Evaluate RULE now (enabled or not) and print what it would send; sends and records
    nothing."""
    config = load_config()
    rule = config.rule(rule_name)
    if rule is None:
        known = ", ".join(r.name for r in config.rules) or "none"
        raise UserError(f"unknown rule {rule_name!r} (rules in {config.source}: {known})")
    engine = AlertsEngine(app.read_only_sessions(), config, clock=lambda: _clock(now))
    messages = engine.preview(rule)
    for message in messages:
        _show(message)
    channels = ", ".join(rule.channels)
    click.echo(
        f"rule {rule.name}: {len(messages)} message(s) now, for channels {channels}; "
        "nothing sent, nothing recorded"
    )


def _outcome_line(outcome: Outcome) -> str:
    line = (
        f"{outcome.status:<10} {clean(outcome.rule)}  {clean(outcome.channel)}  "
        f"{clean(outcome.event_key)}"
    )
    if outcome.error:
        line += f"  ({clean(outcome.error, 200)})"
    return line


@alerts_group.command("run")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send and record nothing.")
@_now_option
@click.pass_obj
def run_command(app: AppContext, dry_run: bool, now: datetime | None) -> None:
    """Evaluate every enabled rule and due brief now, deliver, and print a summary."""
    config = load_config()
    sessions = app.read_only_sessions() if dry_run else app.sessions()
    engine = AlertsEngine(sessions, config, clock=lambda: _clock(now), worker=make_worker_id())
    summary = engine.run(dry_run=dry_run)
    for outcome in summary.outcomes:
        click.echo(_outcome_line(outcome))
    for name, error in summary.errors:
        click.echo(f"error      {clean(name)}  ({clean(error, 200)})", err=True)
    prefix = "dry run: " if dry_run else ""
    click.echo(f"{prefix}{summary.line()}")
