"""Running jkwatch the ways the tests need: in process through click, or as a real child process.

The one home for what test files used to copy: a free local port, polling until something is
true (instead of fixed sleeps), invoking the real command group, starting ``jkwatch`` as a
subprocess with a clean environment, and waiting for a dashboard to answer. Every helper takes
the database URL first (``None`` for none), because almost every call passes one.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from click.testing import CliRunner, Result

from jkwatch.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    condition: Callable[[], object], timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll ``condition`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:g} s waiting for {what}"
        time.sleep(interval)


def invoke(db: str | None, *args: str, input: str | None = None) -> Result:
    """``jkwatch [--db DB] ARGS`` in this process; exceptions propagate as in a plain call."""
    prefix = ["--db", db] if db is not None else []
    return CliRunner().invoke(cli, [*prefix, *args], input=input, catch_exceptions=False)


def jkwatch_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child ``jkwatch``: ours, no proxies, unbuffered, no default database."""
    env = {k: v for k, v in os.environ.items() if k != "JKWATCH_DATABASE_URL"}
    env.update(NO_PROXY="*", no_proxy="*", PYTHONUNBUFFERED="1")
    env.update(extra or {})
    return env


def _command(db: str | None, args: tuple[str, ...]) -> list[str]:
    prefix = ["--db", db] if db is not None else []
    return [sys.executable, "-m", "jkwatch.cli.main", *prefix, *args]


def start_jkwatch(
    db: str | None,
    *args: str,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    stdout: int | IO[Any] | None = subprocess.PIPE,
    stderr: int | IO[Any] | None = subprocess.PIPE,
) -> subprocess.Popen[str]:
    """``jkwatch [--db DB] ARGS`` as a child process (text pipes by default); the caller reaps it."""
    return subprocess.Popen(
        _command(db, args),
        cwd=cwd,
        env=jkwatch_env(env),
        stdout=stdout,
        stderr=stderr,
        text=True,
    )


def run_jkwatch(
    db: str | None,
    *args: str,
    cwd: Path = ROOT,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """``jkwatch [--db DB] ARGS`` as a child process run to completion, output captured."""
    return subprocess.run(
        _command(db, args),
        cwd=cwd,
        env=jkwatch_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def stop(process: subprocess.Popen[Any], timeout: float = 10) -> None:
    """Terminate ``process`` if it still runs, SIGKILL if it will not go; always reaped."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


def answers_http(url: str, timeout: float = 1) -> bool:
    """Whether ``url`` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def start_dashboard(
    db: str, port: int, output: int | IO[Any] | None = subprocess.DEVNULL
) -> subprocess.Popen[str]:
    """``jkwatch dashboard`` on ``db`` and ``port`` (stdout and stderr to ``output``)."""
    return start_jkwatch(
        db, "dashboard", "--port", str(port), stdout=output, stderr=subprocess.STDOUT
    )


def wait_healthy(base: str, process: subprocess.Popen[Any], timeout: float = 60) -> None:
    """Wait until the Streamlit server at ``base`` reports healthy; fail if it exits first."""

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"jkwatch dashboard exited with {process.returncode}")
        return answers_http(f"{base}/_stcore/health", timeout=2)

    wait_until(healthy, timeout, "the dashboard to become healthy", interval=0.1)
