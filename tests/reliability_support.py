"""Helpers of the reliability suite (corpus, faults, hostile input, fuzz).

Small on purpose: fetch settings with short timeouts, a one-call pipeline run, and memory
readings from ``/proc``. Feed documents and stored feeds come from ``tests.factories``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import httpx
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.ingest.fetch import FetchSettings
from jkwatch.ingest.pipeline import Pipeline, PipelineSettings, RunReport
from jkwatch.model import FeedRecord
from tests.factories import shared_tagger

FIXTURES = Path(__file__).parent / "fixtures" / "robustness"


def rss_kib() -> int:
    """Resident set size of this process in KiB (Linux ``/proc/self/status``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def fetch_settings(**overrides: object) -> FetchSettings:
    values: dict[str, object] = {
        "trust_env": False,
        "connect_timeout_s": 3.0,
        "read_timeout_s": 3.0,
        "total_timeout_s": 10.0,
    }
    values.update(overrides)
    return FetchSettings(**values)  # type: ignore[arg-type]


def run_pipeline(
    sessions: sessionmaker[Session],
    feeds: Sequence[FeedRecord],
    transport: httpx.AsyncBaseTransport | None = None,
    **fetch: object,
) -> RunReport:
    settings = PipelineSettings(fetch=fetch_settings(**fetch))
    return Pipeline(sessions, settings, tagger=shared_tagger(), transport=transport).refresh(feeds)


def reset_peak_rss() -> None:
    """Reset the kernel's peak-RSS mark (VmHWM) so a later reading covers only what follows."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_kib() -> int:
    """Peak resident set size (VmHWM) in KiB since the last ``reset_peak_rss``."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")
