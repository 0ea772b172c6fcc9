"""Imports flow one way: cli -> (ingest, dashboard, demo) -> db -> the base modules.

The base modules (the domain model, the clock, errors, configuration lookup and the shipped
defaults) import nothing else of jkwatch. The pure ingest stages import nothing from storage,
so they stay testable without a database.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BASE = {
    "jkwatch.model",
    "jkwatch.clock",
    "jkwatch.errors",
    "jkwatch.config",
    "jkwatch.corrections",
    "jkwatch.events",
    "jkwatch.defaults",
    "jkwatch.countries",
}
LAYERS = {
    "jkwatch.db",
    "jkwatch.ingest",
    "jkwatch.dashboard",
    "jkwatch.demo",
    "jkwatch.cli",
    "jkwatch.alerts",
}

# Where each part's source lives in the checkout, and the jkwatch layers it may not import.
RULES: dict[str, tuple[list[Path], set[str]]] = {
    "base": (
        [
            ROOT / "jkwatch" / f"{name}.py"
            for name in (
                "model",
                "clock",
                "errors",
                "config",
                "corrections",
                "events",
                "brief_render",
                "countries",
                "compare_render",
            )
        ]
        + [ROOT / "config" / "__init__.py"],
        LAYERS,
    ),
    "db": ([ROOT / "db"], LAYERS - {"jkwatch.db"}),
    "ingest": (
        [ROOT / "ingest"],
        {"jkwatch.dashboard", "jkwatch.demo", "jkwatch.cli", "jkwatch.alerts"},
    ),
    "dashboard": ([ROOT / "dashboard"], {"jkwatch.ingest", "jkwatch.demo", "jkwatch.cli"}),
    "demo": ([ROOT / "jkwatch" / "demo"], {"jkwatch.dashboard", "jkwatch.cli"}),
    # cli -> alerts -> db -> base: alerts never reaches up into the command line, the
    # dashboard or the ingest stages (the CLI hands the scheduler the alerts tick as a hook; the
    # dashboard reads the alerts configuration for the next brief per schedule).
    "alerts": (
        [ROOT / "jkwatch" / "alerts"],
        {"jkwatch.ingest", "jkwatch.dashboard", "jkwatch.demo", "jkwatch.cli"},
    ),
    # The channels deliver a message and need nothing of storage.
    "alert channels": (
        [
            ROOT / "jkwatch" / "alerts" / f"{name}.py"
            for name in (
                "message",
                "channels",
                "channel_config",
                "email_channel",
                "webhook_channel",
                "webhook_shapes",
                "atom_channel",
                "redact",
                "feed_server",
            )
        ],
        LAYERS - {"jkwatch.alerts"},
    ),
}

# The pure stages: no storage, no session, no clock of their own beyond jkwatch.clock.
PURE_STAGES = [
    ROOT / "ingest" / name
    for name in (
        "normalize.py",
        "dedupe.py",
        "language.py",
        "parse.py",
        "schedule.py",
        "planner.py",
        "fetch.py",
        "fetch_api.py",
        "fetch_http.py",
        "tagging",
        "stories",
    )
]


def _imports(path: Path) -> set[str]:
    """Every module name ``path`` imports (absolute imports only; the package uses no others)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            if node.module:
                found.add(node.module)
    return found


def _sources(places: list[Path]) -> list[Path]:
    files: list[Path] = []
    for place in places:
        files.extend(sorted(place.rglob("*.py")) if place.is_dir() else [place])
    return files


def _offenders(places: list[Path], forbidden: set[str]) -> list[str]:
    offenders = []
    for path in _sources(places):
        for module in sorted(_imports(path)):
            if any(module == bad or module.startswith(bad + ".") for bad in forbidden):
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    return offenders


@pytest.mark.parametrize("part", sorted(RULES))
def test_each_part_never_imports_the_layers_above_it(part):
    places, forbidden = RULES[part]
    assert _offenders(places, forbidden) == []


def test_pure_stages_import_nothing_from_storage():
    assert _offenders(PURE_STAGES, {"jkwatch.db", "sqlalchemy"}) == []


def test_nothing_imports_the_bare_top_level_folder_names():
    """Installed code lives under ``jkwatch`` only: ``db``, ``ingest`` and ``dashboard`` are
    folders of the checkout, never import names."""
    places = [ROOT / name for name in ("jkwatch", "db", "ingest", "dashboard", "config", "tests")]
    places.append(ROOT / "bench")
    assert _offenders(places, {"db", "ingest", "dashboard"}) == []
