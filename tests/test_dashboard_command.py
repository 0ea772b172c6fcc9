"""`jkwatch dashboard` is the Streamlit server itself: stopping it leaves nothing running."""

from __future__ import annotations

import signal
import socket
import subprocess

import pytest

from jkwatch.db.engine import make_engine
from jkwatch.db.migrate import upgrade
from tests.processes import free_port as _free_port
from tests.processes import start_dashboard
from tests.processes import wait_healthy as _wait_healthy


@pytest.mark.slow
def test_sigterm_to_jkwatch_dashboard_stops_the_server_and_frees_its_port(tmp_path):
    port = _free_port()
    url = f"sqlite:///{tmp_path / 'd.db'}"
    engine = make_engine(url)
    upgrade(engine)  # `jkwatch dashboard` refuses a database that does not exist
    engine.dispose()
    proc = start_dashboard(url, port, subprocess.DEVNULL)
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
