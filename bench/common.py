"""What every benchmark shares: timing medians, a machine description, tables and JSON.

Each benchmark builds a list of ``Row`` values (a metric, its median, the unit, the target
and whether it was met) and calls ``report``: a small table on stdout and the same figures
with the machine description in ``bench/results/<name>.json``.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pg_base_url() -> str:
    return os.environ.get("JKWATCH_TEST_PG_URL") or DEFAULT_PG_URL


@dataclass
class Row:
    metric: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None
    runs: list[float] = field(default_factory=list)
    note: str = ""


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by ``fn()`` and its result."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def median_of(
    fn: Callable[[], Any], runs: int = 5, setup: Callable[[], Any] | None = None
) -> tuple[float, list[float]]:
    """Median seconds of ``runs`` calls (``setup`` before each, untimed), and all timings."""
    times = []
    for _ in range(runs):
        if setup is not None:
            setup()
        times.append(timed(fn)[0])
    return statistics.median(times), times


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _pg_version() -> str | None:
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(pg_base_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
        engine.dispose()
        return str(version)
    except Exception:  # noqa: BLE001 - no server means "not measured", not a failure
        return None


def machine() -> dict[str, Any]:
    """The machine the figures come from: they mean nothing without it."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _pg_version(),
    }


def _fmt(value: float, unit: str) -> str:
    if unit == "s" and value < 1:
        return f"{value * 1000:.1f} ms"
    if unit in ("s",):
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    if value >= 1000:
        return f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}"


def report(name: str, rows: list[Row], params: dict[str, Any]) -> dict[str, Any]:
    """Print a table and write ``bench/results/<name>.json``; returns the JSON document."""
    info = machine()
    print(f"\n== {name} ({', '.join(f'{k}={v}' for k, v in params.items())})")
    print(
        f"   {info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB, Python {info['python']}, "
        f"SQLite {info['sqlite']}, PostgreSQL {info['postgresql']}"
    )
    width = max([len(row.metric) for row in rows] + [6])
    print(f"   {'metric'.ljust(width)}  {'median':>14}  {'target':>12}  ok")
    for row in rows:
        mark = "" if row.ok is None else ("yes" if row.ok else "NO")
        print(
            f"   {row.metric.ljust(width)}  {_fmt(row.value, row.unit):>14}  {row.target:>12}  {mark}"
            + (f"  ({row.note})" if row.note else "")
        )
    doc = {
        "name": name,
        "params": params,
        "machine": info,
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "rows": [asdict(row) for row in rows],
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return doc


@contextmanager
def pg_schema(prefix: str = "bench") -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_base_url())
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_base_url() else "?"
    try:
        yield f"{pg_base_url()}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def pg_available() -> bool:
    return _pg_version() is not None
