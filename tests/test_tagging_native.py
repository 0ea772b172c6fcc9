"""The compiled tagger: built by `make install`, identical in results, never stale.

`setup.py` compiles the tagger's hot modules with Cython; `ingest.tagging.native` decides at
import whether they run compiled. These tests check the build is in use where it can be built
(the throughput target depends on it), that the pure-Python source gives bit-identical results,
that any edit after the build sends every module back to its source instead of running old
machine code, and that the .pxd type declarations keep up with the classes.
"""

from __future__ import annotations

import ast
import importlib.machinery
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from ingest.tagging import native

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ingest" / "tagging"
PURE = native.pure_requested()


def _can_compile() -> bool:
    """Whether this machine has what the build needs: a C compiler and Python's headers."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    return shutil.which(compiler) is not None and headers.exists()


# Tests that compare the build with the source need a fresh build running in this process.
needs_build = pytest.mark.skipif(
    native.compiled_modules() != native.COMPILED, reason="the tagger is not running compiled"
)


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
    )
    assert done.returncode == 0, done.stderr[-3000:]
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
    if not _can_compile():
        pytest.skip("no C compiler or Python headers here: the tagger runs as pure Python")
    assert native.compiled_modules() == native.COMPILED, (
        "the tagger is not compiled, so it misses its throughput target: "
        f"{native.build_status()}; or set {native.PURE_ENV}=1 to test the source only"
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
        timeout=240,
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
    assert "not recorded by the build" in stderr


@needs_build
def test_the_pure_switch_runs_the_source_quietly(copied_tree: Path) -> None:
    report, stderr = _probe(copied_tree, pure=True)
    assert report["compiled"] == []
    assert report["scoring"].endswith("scoring.py")
    assert "from source" not in stderr
    assert report["relevant"] and "nk_weapons" in report["themes"]


def test_the_install_stamp_rebuilds_when_a_compiled_module_changes() -> None:
    # `make test` and `make run` reinstall (and so recompile) when one of these changes.
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")

    def listed(variable: str) -> list[str]:
        found = re.search(rf"^{variable}\s*:=\s*(.+)$", makefile, re.MULTILINE)
        assert found, f"Makefile must define {variable}"
        return found.group(1).split()

    assert listed("NATIVE_SOURCES") == [f"ingest/tagging/{name}.py" for name in native.COMPILED]
    assert sorted(listed("NATIVE_TYPES")) == sorted(
        f"ingest/tagging/{path.name}" for path in PACKAGE.glob("*.pxd")
    )
    assert listed("NATIVE_MANIFEST") == [f"ingest/tagging/{native.MANIFEST}"]
    stamp = re.search(r"^\$\(STAMP\):(.*)$", makefile, re.MULTILINE)
    assert stamp
    for needed in ("setup.py", "ingest/tagging/native.py", "$(NATIVE_SOURCES)", "$(NATIVE_TYPES)"):
        assert needed in stamp.group(1)
    assert "$(wildcard $(NATIVE_MANIFEST))" in stamp.group(1)  # a missing build record rebuilds


def _assigned_attributes(source: Path) -> dict[str, set[str]]:
    """Class name -> the `self.x` attributes its methods assign, from the source's syntax tree."""
    out: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef):
            names = out.setdefault(node.name, set())
            for inner in ast.walk(node):
                targets = []
                if isinstance(inner, ast.Assign):
                    targets = inner.targets
                elif isinstance(inner, ast.AnnAssign | ast.AugAssign):
                    targets = [inner.target]
                for target in targets:
                    for leaf in ast.walk(target):
                        if (
                            isinstance(leaf, ast.Attribute)
                            and isinstance(leaf.value, ast.Name)
                            and leaf.value.id == "self"
                        ):
                            names.add(leaf.attr)
    return out


def _declared_attributes(declarations: Path) -> dict[str, set[str]]:
    """Class name -> the attributes a .pxd declares for it (`cdef public <type> a, b`)."""
    out: dict[str, set[str]] = {}
    current = None
    for line in declarations.read_text(encoding="utf-8").splitlines():
        header = re.match(r"cdef class (\w+)", line)
        if header:
            current = out.setdefault(header.group(1), set())
        field = re.match(r"\s+cdef public \w+ (.+)$", line)
        if field and current is not None:
            current.update(name.strip() for name in field.group(1).split(","))
    return out


@pytest.mark.parametrize("declarations", sorted(PACKAGE.glob("*.pxd")), ids=lambda p: p.name)
def test_each_pxd_declares_exactly_the_attributes_its_classes_set(declarations: Path) -> None:
    # A compiled class rejects attributes its .pxd does not declare; catch that in either mode.
    assigned = _assigned_attributes(declarations.with_suffix(".py"))
    declared = _declared_attributes(declarations)
    assert declared, f"{declarations.name} declares no class"
    for name, attributes in declared.items():
        assert attributes == assigned[name], (
            f"{declarations.name}: {name} declares {sorted(attributes - assigned[name])} "
            f"without setting them, sets {sorted(assigned[name] - attributes)} undeclared"
        )


@needs_build
def test_a_leftover_build_of_a_module_no_longer_compiled_is_not_run(copied_tree: Path) -> None:
    package = copied_tree / "ingest" / "tagging"
    compiled = next(p for p in package.glob("text.*") if p.suffix in (".so", ".pyd"))
    shutil.copy2(compiled, package / compiled.name.replace("text", "taxonomy", 1))
    report, stderr = _probe(copied_tree)
    assert tuple(report["compiled"]) == native.COMPILED
    assert report["relevant"] and "nk_weapons" in report["themes"]
    assert "leftover build" in stderr and "taxonomy" in stderr


@pytest.mark.slow
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
    # Cython still runs (it writes the C), then every C compile fails.
    done = subprocess.run(
        [sys.executable, "setup.py", "build_ext", "--inplace"],
        cwd=tmp_path,
        env=dict(os.environ, CC="false", LDSHARED="false"),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "compiling the tagger failed" in done.stdout + done.stderr
    assert json.loads((tmp_path / "ingest" / "tagging" / native.MANIFEST).read_text()) == {}
    report, stderr = _probe(tmp_path)
    assert report["compiled"] == [] and report["scoring"].endswith("scoring.py")
    assert report["relevant"] and "nk_weapons" in report["themes"]


def test_version_says_how_the_tagger_runs() -> None:
    from click.testing import CliRunner

    from ingest import __version__
    from ingest.cli.main import cli

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    first, second = result.output.splitlines()
    assert first == f"jkwatch, version {__version__}"
    assert second == native.build_status()
    if native.compiled_modules() == native.COMPILED:
        assert second == "tagger: compiled (" + ", ".join(native.COMPILED) + ")"
    else:
        assert second.startswith(("tagger: source", "tagger: pure Python"))
