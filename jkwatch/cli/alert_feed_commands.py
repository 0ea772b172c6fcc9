"""``jkwatch serve-feeds``: the Atom channels of ``config/alerts.toml`` over HTTP, read-only,
for feed readers (``/alerts/<channel>.atom``; ``/`` lists them)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import click

from jkwatch.alerts.channel_config import ChannelSpec, parse_channels
from jkwatch.alerts.feed_server import atom_feeds, make_feed_server
from jkwatch.alerts.message import AlertsConfigError
from jkwatch.cli.errors import UserError
from jkwatch.config import config_file

ALERTS_FILE = "alerts.toml"
ALERTS_ENV = "JKWATCH_ALERTS"
LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")


def load_channels(config_dir: Path | None) -> tuple[Path, dict[str, ChannelSpec]]:
    """The alerts file (``DIR/alerts.toml`` with ``--config DIR``, else the usual lookup) and
    its channels; every problem a ``UserError`` of one line."""
    path = config_dir / ALERTS_FILE if config_dir else config_file(ALERTS_FILE, ALERTS_ENV)
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise UserError(f"{path}: no alerts file; see docs/alert-channels.md") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML ({exc})") from None
    try:
        return path, parse_channels(document.get("channels", {}), str(path))
    except AlertsConfigError as exc:
        raise UserError(str(exc)) from None


@click.command("serve-feeds")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port, printed at start).",
)
@click.option(
    "--config",
    "config_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Directory holding alerts.toml. Default: the global --config, $JKWATCH_CONFIG_DIR.",
)
def serve_feeds_command(host: str, port: int, config_dir: Path | None) -> None:
    """Serve the Atom alert feeds read-only at http://HOST:PORT/alerts/CHANNEL.atom."""
    path, channels = load_channels(config_dir)
    feeds = atom_feeds(channels)
    if not feeds:
        raise UserError(f'{path}: no channel of type "atom" to serve')
    try:
        server = make_feed_server(feeds, host, port)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    bound = server.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"serving {len(feeds)} alert feed(s) at http://{shown}:{bound}/", nl=True)
    for route, (file, _) in feeds.items():
        click.echo(f"  {route}  <- {os.path.relpath(file)}")
    if host not in LOCAL_HOSTS:
        click.echo(
            "warning: listening beyond localhost; the feeds are readable by anyone who can reach it",
            err=True,
        )
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
