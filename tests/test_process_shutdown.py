"""Stopping ``jkwatch run`` stops the Streamlit server it started, however it is stopped.

Real processes: ``jkwatch run`` with its scheduler (on feeds served from 127.0.0.1) and its
dashboard child; SIGTERM is the orderly stop, SIGKILL leaves the kernel to stop the child
(``jkwatch.cli.lifeline``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jkwatch.cli import lifeline
from jkwatch.db.engine import make_engine
from jkwatch.db.migrate import upgrade
from tests.factories import RSS_TYPE, rss
from tests.feedserver import FeedServer, Response
from tests.processes import ROOT, answers_http, free_port, start_jkwatch, stop, wait_until

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads process states from /proc (Linux)"
)


@pytest.fixture
def migrated(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'run.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def feeds_file(tmp_path: Path) -> Iterator[Path]:
    with FeedServer() as server:
        url = server.route(
            "/local.xml",
            Response(
                body=rss([("l-1", "Patrol talks resume in Tokyo", "http://127.0.0.1/l-1")]),
                headers=RSS_TYPE,
            ),
        )
        path = tmp_path / "feeds.toml"
        path.write_text(f'[[feeds]]\nurl = "{url}"\nname = "Local feed"\n', encoding="utf-8")
        yield path


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting for a reaper)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        out |= {int(p) for p in (task / "children").read_text().split()}
    return out


def _start_run(db: str, feeds: Path, port: int) -> tuple[subprocess.Popen[str], int]:
    """``jkwatch run`` with a healthy dashboard; returns it and the dashboard's pid."""
    run = start_jkwatch(
        db,
        "run",
        "--port",
        str(port),
        "--max-sleep-seconds",
        "0.2",
        env={"JKWATCH_FEEDS": str(feeds)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def healthy() -> bool:
        assert run.poll() is None, f"jkwatch run exited with {run.returncode}"
        return answers_http(f"http://127.0.0.1:{port}/_stcore/health")

    wait_until(healthy, 60, "the dashboard of jkwatch run", interval=0.2)
    (dashboard,) = _children(run.pid)
    return run, dashboard


@pytest.mark.slow
def test_sigterm_to_jkwatch_run_stops_its_dashboard_server(migrated, feeds_file):
    port = free_port()
    run, dashboard = _start_run(migrated, feeds_file, port)
    try:
        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=30) == 0
    finally:
        stop(run)
    assert not _alive(dashboard), "the dashboard server outlived jkwatch run"
    assert not answers_http(f"http://127.0.0.1:{port}/_stcore/health")


@pytest.mark.slow
def test_the_dashboard_stops_when_jkwatch_run_is_killed_outright(migrated, feeds_file):
    port = free_port()
    run, dashboard = _start_run(migrated, feeds_file, port)
    try:
        run.kill()  # SIGKILL: no handler runs, nothing is stopped in order
        run.wait(timeout=10)
        wait_until(lambda: not _alive(dashboard), 30, "the orphaned dashboard to stop")
    finally:
        stop(run)
        if _alive(dashboard):
            os.kill(dashboard, signal.SIGKILL)
    assert not answers_http(f"http://127.0.0.1:{port}/_stcore/health")


def test_a_child_whose_parent_is_already_gone_exits_at_once():
    # The child names a parent that is not its own: it must not start serving.
    env = lifeline.child_env()
    env[lifeline.PARENT_ENV] = "1" if os.getpid() != 1 else "2"
    code = (
        "from jkwatch.cli.lifeline import die_with_parent\ndie_with_parent()\nprint('still here')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0 and "still here" not in result.stdout


def test_a_child_without_a_named_parent_is_left_alone():
    code = (
        "from jkwatch.cli.lifeline import die_with_parent\ndie_with_parent()\nprint('still here')\n"
    )
    env = {k: v for k, v in lifeline.child_env().items() if k != lifeline.PARENT_ENV}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.stdout.strip() == "still here"
