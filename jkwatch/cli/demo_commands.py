"""``jkwatch demo``: an offline demo on synthetic data, in a database of its own.

Generates the synthetic corpus, serves it from 127.0.0.1, ingests it through the real
pipeline into the demo database (recreated each run, never the user's), then starts the
dashboard on it unless ``--no-dashboard``.
"""

from __future__ import annotations

import subprocess
import sys

import click

from jkwatch.cli.errors import UserError
from jkwatch.db.engine import describe_url
from jkwatch.demo.corpus import DEFAULT_ITEMS
from jkwatch.demo.runner import DemoError, DemoSettings, default_demo_url, run_demo


@click.command("demo")
@click.option(
    "--seed", type=int, default=7, show_default=True, help="Seed of the synthetic corpus."
)
@click.option(
    "--items",
    type=click.IntRange(50, 500_000),
    default=DEFAULT_ITEMS,
    show_default=True,
    help="Number of synthetic items to generate.",
)
@click.option(
    "--db",
    "demo_db",
    metavar="URL",
    help="Demo database URL (recreated on each run). Default: demo-data/demo.db here.",
)
@click.option("--no-dashboard", is_flag=True, help="Ingest only; do not start the dashboard.")
@click.option("--port", type=int, default=8501, show_default=True, help="Dashboard port.")
def demo_command(seed: int, items: int, demo_db: str | None, no_dashboard: bool, port: int) -> None:
    """Offline demo: ingest a synthetic corpus through the real pipeline, then show it."""
    url = demo_db or default_demo_url()
    click.echo("jkwatch demo: all data below are SYNTHETIC sample data from invented outlets.")
    click.echo(f"demo database: {describe_url(url)} (recreated on each run; yours is untouched)")
    try:
        result = run_demo(DemoSettings(seed=seed, items=items, db_url=url), say=click.echo)
    except DemoError as exc:
        raise UserError(str(exc)) from exc
    click.echo(
        f"stored {result.items_stored:,} items ({result.items_relevant:,} relevant) from "
        f"{result.feeds} synthetic feeds in {result.ingest_s:.1f} s "
        f"(corpus generated in {result.generate_s:.1f} s; {result.feed_errors} feed errors)"
    )
    if no_dashboard:
        click.echo(f"explore it with: jkwatch --db {url} dashboard")
        return
    click.echo(f"starting the dashboard on http://localhost:{port} (Ctrl-C to stop)")
    command = [
        sys.executable,
        "-m",
        "jkwatch.cli.main",
        "--db",
        url,
        "dashboard",
        "--port",
        str(port),
    ]
    try:
        code = subprocess.call(command)
    except KeyboardInterrupt:
        code = 0
    if code:
        raise UserError(f"the dashboard stopped with exit code {code}")
