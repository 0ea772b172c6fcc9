"""`jkwatch dashboard` is the Streamlit server itself: stopping it leaves nothing running."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from tests.test_dashboard_browser import _free_port, _wait_healthy

REPO = Path(__file__).resolve().parents[1]


def test_sigterm_to_jkwatch_dashboard_stops_the_server_and_frees_its_port(tmp_path):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("JKWATCH_DATABASE_URL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ingest.cli.main",
            "--db",
            f"sqlite:///{tmp_path / 'd.db'}",
            "dashboard",
            "--port",
            str(port),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", proc)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "a dashboard server is still listening"
