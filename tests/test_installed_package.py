"""The installed package runs on its own: a plain (not editable) install into a fresh virtual
environment, offline, used from an empty directory outside the checkout.

The dependencies come from the project's own environment through a ``.pth`` line naming its
site-packages: a directory named in a ``.pth`` line is put on ``sys.path`` but is not itself a
site directory, so the ``.pth`` files there (the editable install's finder) are not run, and
nothing of the checkout leaks in. The checkout is copied first, so the build's ``build/``
folder neither dirties it nor feeds stale files into the wheel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[1]
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    "data",
    "demo-data",
    "test-artifacts",
)
COMPILED = {".so", ".pyd", ".c", ".pyx", ".pxd"}

pytestmark = pytest.mark.slow


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("JKWATCH_", "PYTHON", "VIRTUAL_ENV"))
    }
    # Any attempt to compile a C extension fails loudly instead of quietly succeeding.
    env.update(CC="/bin/false", CXX="/bin/false", LDSHARED="/bin/false", **extra)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, set[str]]:
    """(the new environment's bin directory, its site-packages, names the install added)."""
    root = tmp_path_factory.mktemp("installed")
    source = root / "source"
    shutil.copytree(CHECKOUT, source, symlinks=True, ignore=NOT_SOURCE)
    env_dir = root / "env"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True, timeout=120
    )
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "jkwatch-test-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    before = set(os.listdir(site))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps"]
        + ["--no-build-isolation", "--no-index", "--no-cache-dir", "-q", str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        env=_clean_env(),
        cwd=root,
    )
    assert build.returncode == 0, (
        f"pip install failed (setuptools >= 70.1 must be in the project's environment: "
        f"pip install -e '.[test]'):\n{build.stderr[-3000:]}"
    )
    return env_dir / "bin", site, set(os.listdir(site)) - before


def _run(bin_dir: Path, *args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "jkwatch"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env=_clean_env(HOME=str(cwd)),
    )


def test_the_install_adds_only_jkwatch_and_its_dist_info(installed):
    _, site, added = installed
    assert added == {"jkwatch", "jkwatch-0.1.0.dist-info"}
    assert not {"db", "ingest", "dashboard", "config"} & set(os.listdir(site))


def test_the_wheel_is_pure_python(installed):
    _, site, _ = installed
    wheel = (site / "jkwatch-0.1.0.dist-info" / "WHEEL").read_text(encoding="utf-8")
    assert "Root-Is-Purelib: true" in wheel and "Tag: py3-none-any" in wheel
    compiled = [p for p in (site / "jkwatch").rglob("*") if p.suffix in COMPILED]
    assert compiled == []
    assert (site / "jkwatch" / "defaults" / "themes.toml").is_file(), "defaults are package data"
    assert not (site / "jkwatch" / "db").is_symlink(), "real files, not links to the checkout"


def test_help_tag_and_the_demo_work_from_an_empty_directory(installed, tmp_path):
    bin_dir, site, _ = installed
    where = tmp_path / "elsewhere"
    where.mkdir()

    found = subprocess.run(
        [str(bin_dir / "python"), "-c", "import jkwatch; print(jkwatch.__file__)"],
        capture_output=True,
        text=True,
        cwd=where,
        env=_clean_env(),
    )
    assert Path(found.stdout.strip()).is_relative_to(site), "the installed copy, not the checkout"

    help_text = _run(bin_dir, "--help", cwd=where)
    assert help_text.returncode == 0, help_text.stderr
    assert "--config DIR" in help_text.stdout

    line = {"id": "x1", "title": "North Korea fires ballistic missile toward Japan", "summary": ""}
    tagged = _run(bin_dir, "tag", cwd=where, stdin=json.dumps(line) + "\n")
    assert tagged.returncode == 0, tagged.stderr
    (out,) = tagged.stdout.splitlines()
    result = json.loads(out)
    assert result["id"] == "x1" and result["relevant"] is True

    db = f"sqlite:///{where / 'demo.db'}"
    demo = _run(bin_dir, "demo", "--no-dashboard", "--items", "50", "--db", db, cwd=where)
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert (where / "demo.db").is_file()
    stored = re.search(r"stored (\d+) items .*; 0 feed errors\)", demo.stdout)
    assert stored is not None and int(stored.group(1)) > 0, demo.stdout
