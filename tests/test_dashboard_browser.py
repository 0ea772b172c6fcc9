"""The dashboard in a real headless Chromium, started by `jkwatch dashboard` on a free port.

The click tests drive Chromium over the DevTools protocol (``tests.cdp``): they click a point
of the trends chart and a row of an items table like a mouse, and record every request the
page makes, which must all go to the dashboard on 127.0.0.1 (it must work air-gapped). A
screenshot of each page is kept under ``test-artifacts/`` (CI keeps it as an artefact).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cdp import Browser, browser
from tests.databases import IN_CI
from tests.processes import free_port, start_dashboard, stop, wait_healthy
from tests.seed_dashboard import FIRST_DAY, LAST_DAY

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


def _assert_no_error_box(dom: str) -> None:
    assert 'data-testid="stException"' not in dom
    assert "stAlertContentError" not in dom


def test_an_html_title_reaches_the_browser_only_as_text(dashboard, tmp_path):
    with browser(_chromium(), tmp_path / "profile") as page:
        page.navigate(dashboard + "/items?q=script+alert&rel=0")
        page.wait_rendered("Select a row")
        _click_first_row(page, 0)
        page.wait_rendered("Why it got its themes")
        dom = page.evaluate("document.documentElement.outerHTML")
        _assert_no_error_box(dom)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom, dom[-3000:]
        assert "<script>alert(1)" not in dom
        assert '<img src="x"' not in dom and "<img src=x" not in dom


PAGES = {
    "brief": ("/", "Spike timeline"),
    "trends": ("/trends", "Items behind a number"),
    "spikes": ("/spikes", "Spike windows"),
    "compare": ("/compare", "Entities each side names most"),
    "items": ("/items?rel=0", "Select a row"),
    "theme-detail": ("/theme_detail?theme=nk_weapons", "Latest items"),
    "sources": ("/sources", "Failing feeds"),
}
RANGE = f"from={FIRST_DAY}&to={LAST_DAY}"

POINTS = (
    '[...document.querySelectorAll(\'[data-testid="stVegaLiteChart"] svg '
    '[role="graphics-symbol"][aria-roledescription="point"]\')]'
)


def _with_range(path: str) -> str:
    return path + ("&" if "?" in path else "?") + RANGE


def _outside(requests: list[str]) -> list[str]:
    """Requests to any host but the dashboard's (data: and blob: URLs are not requests)."""
    out = []
    for url in requests:
        if url.startswith(("data:", "blob:", "about:")):
            continue
        host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
        if host != "127.0.0.1":
            out.append(url)
    return out


def _click_first_row(page: Browser, table: str) -> None:
    """Click the row marker of the first row of the ``table``-th data grid (a canvas)."""
    box = page.wait_for(
        f"""(() => {{
            const grid = document.querySelectorAll('[data-testid="stDataFrame"]')[{table}];
            if (!grid) return null;
            grid.scrollIntoView({{block: 'center'}});
            const r = grid.getBoundingClientRect();
            return r.height > 60 ? [r.x, r.y] : null;
        }})()""",
        what="the items table",
    )
    page.pump(0.5)
    box = page.evaluate(
        f"""(() => {{
            const r = document.querySelectorAll('[data-testid="stDataFrame"]')[{table}]
                .getBoundingClientRect();
            return [r.x, r.y];
        }})()"""
    )
    page.click(box[0] + 18, box[1] + 35 + 17)  # the marker column, first row under the header


def test_clicking_a_chart_point_and_a_table_row_shows_items_and_evidence(dashboard, tmp_path):
    with browser(_chromium(), tmp_path / "profile") as page:
        page.navigate(dashboard + "/trends?" + RANGE)
        page.wait_rendered("Items behind a number")
        page.wait_for(f"{POINTS}.length", what="the chart's points")
        # The newest week's points are the default drill-down: click an older one.
        point = page.evaluate(
            f"""(() => {{
                const pts = {POINTS};
                const p = pts.find(e => (e.getAttribute('aria-label') || '').includes('2026-09-21'))
                    || pts[0];
                p.scrollIntoView({{block: 'center'}});
                const r = p.getBoundingClientRect();
                return [r.x + r.width / 2, r.y + r.height / 2, p.getAttribute('aria-label')];
            }})()"""
        )
        label = dict(part.split(": ", 1) for part in point[2].split("; ") if ": " in part)
        theme, week = label["Theme"], label["Week (from Monday)"]
        page.pump(0.5)
        page.click(point[0], point[1])
        page.wait_rendered(f"{theme}, week of {week}:")
        _screenshot_now(page, "drill-point.png")
        _click_first_row(page, 1)
        page.wait_rendered("Why it got its themes")
        text = page.evaluate("document.body.innerText")
        assert "Summary of item-" in text or "Summary of burst-" in text
        assert "score" in text
        _screenshot_now(page, "drill-row.png")
        assert not _outside(page.requests), _outside(page.requests)


def _screenshot_now(page: Browser, name: str) -> Path:
    shot = page.screenshot(ARTIFACTS / name)
    assert shot.stat().st_size > 10_000
    return shot


def test_every_page_renders_makes_no_outside_request_and_is_kept_as_a_screenshot(
    dashboard, tmp_path
):
    with browser(_chromium(), tmp_path / "profile") as page:
        for name, (path, ready) in PAGES.items():
            page.navigate(dashboard + _with_range(path))
            page.wait_rendered(ready)
            dom = page.evaluate("document.documentElement.outerHTML")
            _assert_no_error_box(dom)
            if name in ("trends", "spikes", "compare"):
                assert 'data-testid="stVegaLiteChart"' in dom, f"no chart on {name}"
            _screenshot_now(page, f"page-{name}.png")
        page.pump(1.0)
        assert page.requests, "the recorder saw no request at all"
        assert not _outside(page.requests), _outside(page.requests)
