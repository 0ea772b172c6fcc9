"""The compiled tagger: built by `make install`, identical in results, never stale.

`setup.py` compiles the tagger's hot modules with Cython; `ingest.tagging.native` decides at
import which of them run compiled. These tests check the build is in use (the throughput target
depends on it), that the pure-Python source gives bit-identical results, and that a module
edited after the build runs from its source instead of from old machine code.
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.tagging import native

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ingest" / "tagging"
PURE = os.environ.get(native.PURE_ENV, "").strip() not in ("", "0")


def _built() -> bool:
    return (
        all(
            any(
                (PACKAGE / f"{name}{suffix}").exists()
                for suffix in importlib.machinery.EXTENSION_SUFFIXES
            )
            for name in native.COMPILED
        )
        and (PACKAGE / native.MANIFEST).exists()
    )


needs_build = pytest.mark.skipif(not _built(), reason="no compiled tagger in this checkout")


def _probe(pythonpath: Path, *, pure: bool = False) -> tuple[dict, str]:
    """Import the tagger from `pythonpath` in a fresh interpreter; report what ran compiled."""
    env = {key: value for key, value in os.environ.items() if key != native.PURE_ENV}
    env["PYTHONPATH"] = str(pythonpath)
    if pure:
        env[native.PURE_ENV] = "1"
    code = (
        "import json, ingest.tagging.native as n, ingest.tagging.scoring as s\n"
        "from ingest.tagging import Tagger, load_taxonomy\n"
        "r = Tagger(load_taxonomy()).tag('North Korea fires ballistic missile', 'JCS says')\n"
        "print(json.dumps({'compiled': n.compiled_modules(), 'scoring': s.__file__,"
        " 'relevant': r.relevant, 'themes': list(r.theme_ids)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=pythonpath,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout), done.stderr


@pytest.fixture()
def copied_tree(tmp_path: Path) -> Path:
    """A copy of the `ingest` package with its compiled build and config, to tamper with."""
    shutil.copytree(
        ROOT / "ingest", tmp_path / "ingest", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "config", tmp_path / "config")
    return tmp_path


def test_make_install_compiled_every_hot_module() -> None:
    if PURE:
        pytest.skip(f"{native.PURE_ENV} is set: this run tests the source")
    assert native.compiled_modules() == native.COMPILED, (
        "the tagger is not compiled, so it misses its throughput target: run `make install` "
        f"(needs Cython and a C compiler), or set {native.PURE_ENV}=1 to test the source only"
    )


@needs_build
def test_the_source_gives_bit_identical_results() -> None:
    # The golden file pins every result to the last bit; the source must pass it too.
    env = dict(os.environ, **{native.PURE_ENV: "1"})
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_tagging_golden.py",
            "tests/test_tagging_fast_paths.py",
            "tests/test_tagging_round.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(r"\d+ passed", done.stdout)


@needs_build
def test_a_fresh_build_runs_compiled(copied_tree: Path) -> None:
    report, stderr = _probe(copied_tree)
    assert tuple(report["compiled"]) == native.COMPILED
    assert not report["scoring"].endswith(".py")
    assert report["relevant"] and "nk_weapons" in report["themes"]
    assert "from source" not in stderr


@needs_build
@pytest.mark.parametrize("edited", ["scoring.py", "matcher.pxd"])
def test_an_edit_after_the_build_runs_the_source(copied_tree: Path, edited: str) -> None:
    # All or nothing: one stale module sends every compiled module back to its source.
    path = copied_tree / "ingest" / "tagging" / edited
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    report, stderr = _probe(copied_tree)
    assert report["compiled"] == []
    assert report["scoring"] == str(copied_tree / "ingest" / "tagging" / "scoring.py")
    assert f"{edited.split('.')[0]} changed since the build" in stderr
    assert report["relevant"] and "nk_weapons" in report["themes"]


@needs_build
def test_a_missing_build_runs_the_source(copied_tree: Path) -> None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        (copied_tree / "ingest" / "tagging" / f"matcher{suffix}").unlink(missing_ok=True)
    report, stderr = _probe(copied_tree)
    assert report["compiled"] == []
    assert "matcher not compiled" in stderr


@needs_build
def test_a_build_without_its_manifest_is_not_trusted(copied_tree: Path) -> None:
    (copied_tree / "ingest" / "tagging" / native.MANIFEST).unlink()
    report, stderr = _probe(copied_tree)
    assert report["compiled"] == []
    assert report["scoring"].endswith("scoring.py")
    assert "changed since the build" in stderr


@needs_build
def test_the_pure_switch_runs_the_source_quietly(copied_tree: Path) -> None:
    report, stderr = _probe(copied_tree, pure=True)
    assert report["compiled"] == []
    assert report["scoring"].endswith("scoring.py")
    assert "from source" not in stderr
    assert report["relevant"] and "nk_weapons" in report["themes"]


def test_the_install_stamp_rebuilds_when_a_compiled_module_changes() -> None:
    # `make test` and `make run` reinstall (and so recompile) when one of these sources changes.
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    listed = re.search(r"^NATIVE_SOURCES\s*:=\s*(.+)$", makefile, re.MULTILINE)
    assert listed, "Makefile must list NATIVE_SOURCES"
    assert listed.group(1).split() == [f"ingest/tagging/{name}.py" for name in native.COMPILED]
    assert re.search(r"^\$\(STAMP\):.*\$\(NATIVE_SOURCES\)", makefile, re.MULTILINE)


def test_without_a_working_compiler_the_install_warns_and_runs_the_source(tmp_path: Path) -> None:
    pytest.importorskip("Cython")
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, tmp_path / name)
    shutil.copytree(
        ROOT / "ingest",
        tmp_path / "ingest",
        ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", native.MANIFEST),
    )
    shutil.copytree(ROOT / "config", tmp_path / "config")
    if (ROOT / "build" / "cython").exists():  # Cython's C output, so only compiling is left
        shutil.copytree(ROOT / "build" / "cython", tmp_path / "build" / "cython")
    done = subprocess.run(
        [sys.executable, "setup.py", "build_ext", "--inplace"],
        cwd=tmp_path,
        env=dict(os.environ, CC="false", LDSHARED="false"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "compiling the tagger failed" in done.stdout + done.stderr
    assert json.loads((tmp_path / "ingest" / "tagging" / native.MANIFEST).read_text()) == {}
    report, stderr = _probe(tmp_path)
    assert report["compiled"] == [] and report["scoring"].endswith("scoring.py")
    assert report["relevant"] and "nk_weapons" in report["themes"]
