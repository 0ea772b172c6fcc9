"""``jkwatch dashboard``: upgrade the schema, then run the Streamlit app on localhost.

The CLI finds the dashboard's script through the import system (installed or editable alike)
but never imports the dashboard itself, whose Streamlit start-up is for the server process. The dashboard itself opens the database read-only, so the
schema upgrade happens here first. It binds to 127.0.0.1 unless told otherwise; see
docs/dashboard-auth.md before exposing it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import click

from jkwatch.cli.context import AppContext
from jkwatch.cli.lifeline import die_with_parent
from jkwatch.db.engine import describe_url


def _dashboard_script() -> Path:
    """``jkwatch/dashboard/app.py`` wherever the package lives, without importing it."""
    spec = importlib.util.find_spec("jkwatch.dashboard")
    assert spec is not None and spec.submodule_search_locations
    return Path(list(spec.submodule_search_locations)[0]) / "app.py"


DASHBOARD_SCRIPT = _dashboard_script()


def streamlit_command(script: Path, host: str, port: int, database_url: str) -> list[str]:
    """The argv that runs the dashboard (kept separate so tests can inspect it)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--",
        "--db",
        database_url,
    ]


@click.command("dashboard")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535))
@click.pass_obj
def dashboard_command(app: AppContext, host: str, port: int) -> None:
    """Start the Streamlit dashboard (read-only) on http://HOST:PORT."""
    if not DASHBOARD_SCRIPT.is_file():
        raise click.ClickException(f"dashboard script not found at {DASHBOARD_SCRIPT}")
    # The database must exist (a read-only view of nothing helps no one); an older schema is
    # upgraded here, because the dashboard itself only reads.
    app.existing_engine()
    app.engine()
    url = app.database_url
    shown = "localhost" if host in ("127.0.0.1", "::1", "localhost") else host
    click.echo(f"jkwatch dashboard on http://{shown}:{port} (database {describe_url(url)})")
    if host not in ("127.0.0.1", "::1", "localhost"):
        click.echo(
            "warning: listening beyond localhost; protect it (see docs/dashboard-auth.md)",
            err=True,
        )
    app.close()
    die_with_parent()  # started by `jkwatch run`: stop when it dies, even by SIGKILL
    command = streamlit_command(DASHBOARD_SCRIPT, host, port, url)
    sys.stdout.flush()
    sys.stderr.flush()
    # Become the Streamlit server rather than its parent: a signal sent to this process
    # (Ctrl-C, SIGTERM from systemd or `jkwatch run`) then reaches the server itself and no
    # orphaned server is left behind.
    try:
        os.execv(command[0], command)
    except OSError as exc:
        raise click.ClickException(f"cannot start streamlit: {exc.strerror or exc}") from exc
