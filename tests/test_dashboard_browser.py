"""The dashboard in a real headless Chromium, started by `jkwatch dashboard` on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.seed_dashboard import seeded_database

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        reason = "headless Chromium not installed (make browser / apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"{reason}; CI=true: the browser test must run")
        pytest.skip(reason)
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"jkwatch dashboard exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the dashboard did not become healthy in time")


def start_dashboard(url: str, port: int, output: int | None) -> subprocess.Popen:
    """`jkwatch dashboard` on ``url`` and ``port`` as a child process (stdout to ``output``)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("JKWATCH_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "jkwatch.cli.main", "--db", url, "dashboard", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("browser")
    with seeded_database("sqlite", directory) as url:
        port = _free_port()
        proc = start_dashboard(url, port, subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base, proc)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _chrome(url: str, profile: Path, *extra: str) -> str:
    args = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1400,1100",
        "--virtual-time-budget=15000",
        *extra,
        url,
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=90, check=False)
    return done.stdout


def _dom_when(url: str, profile: Path, ready: str, attempts: int = 6) -> str:
    """The DOM once ``ready`` shows (the first run of a cold server can outlast one load)."""
    dom = ""
    for n in range(attempts):
        dom = _chrome(url, profile / str(n), "--dump-dom")
        if ready in dom and 'data-testid="stStatusWidget"' not in dom:
            return dom
    return dom


def _assert_no_error_box(dom: str) -> None:
    assert 'data-testid="stException"' not in dom
    assert "stAlertContentError" not in dom


def test_trends_chart_renders_in_chromium_without_an_error_box(dashboard, tmp_path):
    dom = _dom_when(dashboard + "/", tmp_path, "stVegaLiteChart")
    assert "Theme trends" in dom, dom[-2000:]
    assert 'data-testid="stVegaLiteChart"' in dom or "vega-embed" in dom
    _assert_no_error_box(dom)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dashboard.png"
    shot.unlink(missing_ok=True)
    _chrome(dashboard + "/", tmp_path / "shot", f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 10_000


def test_an_html_title_reaches_the_browser_only_as_text(dashboard, tmp_path):
    dom = _dom_when(dashboard + "/items?q=script+alert&rel=0", tmp_path, "Why each item")
    _assert_no_error_box(dom)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom, dom[-3000:]
    assert "<script>alert(1)" not in dom
    assert '<img src="x"' not in dom and "<img src=x" not in dom
