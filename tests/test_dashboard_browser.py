"""The dashboard in a real headless Chromium, started by `jkwatch dashboard` on a free port."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import IN_CI
from tests.processes import free_port, start_dashboard, stop, wait_healthy

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        reason = "headless Chromium not installed (make browser / apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"{reason}; CI=true: the browser test must run")
        pytest.skip(reason)
    return found


@pytest.fixture(scope="module")
def dashboard(seeded_url) -> Iterator[str]:
    _chromium()  # skip before paying for a Streamlit server that no browser would load
    port = free_port()
    proc = start_dashboard(seeded_url("sqlite"), port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        yield base
    finally:
        stop(proc)


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


def _screenshot(url: str, profile: Path, name: str, attempts: int = 4) -> Path:
    """A screenshot artefact of a rendered page.

    A shot can land while Streamlit still shows its skeleton (a blank page of a few KB), so a
    small file is retaken, as ``_dom_when`` reloads a DOM that is not ready yet.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / name
    for n in range(attempts):
        shot.unlink(missing_ok=True)
        _chrome(url, profile / f"shot{n}", f"--screenshot={shot}")
        if shot.exists() and shot.stat().st_size > 10_000:
            break
    assert shot.exists(), f"Chromium wrote no screenshot of {url}"
    return shot


def _assert_no_error_box(dom: str) -> None:
    assert 'data-testid="stException"' not in dom
    assert "stAlertContentError" not in dom


def test_trends_chart_renders_in_chromium_without_an_error_box(dashboard, tmp_path):
    dom = _dom_when(dashboard + "/trends", tmp_path, "stVegaLiteChart")
    assert "Theme trends" in dom, dom[-2000:]
    assert 'data-testid="stVegaLiteChart"' in dom or "vega-embed" in dom
    _assert_no_error_box(dom)
    shot = _screenshot(dashboard + "/trends", tmp_path, "dashboard.png")
    assert shot.stat().st_size > 10_000


def test_an_html_title_reaches_the_browser_only_as_text(dashboard, tmp_path):
    dom = _dom_when(dashboard + "/items?q=script+alert&rel=0", tmp_path, "Why each item")
    _assert_no_error_box(dom)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom, dom[-3000:]
    assert "<script>alert(1)" not in dom
    assert '<img src="x"' not in dom and "<img src=x" not in dom
