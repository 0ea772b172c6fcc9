"""Compiled or source: which of the tagger's hot modules run as Cython builds.

`setup.py` compiles `COMPILED` from their unchanged Python source (typed by the `.pxd` files
beside them) into extension modules, which Python's importer prefers over the source, and
records each source's SHA-256 in `MANIFEST`. A build goes stale when someone edits a module and
does not rebuild; importing the old machine code would then silently ignore the edit. `select`
runs from the package's `__init__`, before any of these modules is imported, and loads all of
them from source when any build is stale, missing or unrecorded (or when `JKWATCH_PURE_PYTHON`
is set), so what runs is always what the source says. Results are identical either way; the compiled build is only faster.

Standard library only: `setup.py` imports this file on its own, before the package installs.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType

__all__ = [
    "COMPILED",
    "MANIFEST",
    "PURE_ENV",
    "SLOWER",
    "build_status",
    "compiled_modules",
    "pure_requested",
    "select",
    "source_digest",
]

#: Compiled modules in dependency order (each may import the ones before it).
COMPILED: tuple[str, ...] = ("text", "results", "matcher", "scoring", "tagger")
#: Source hashes of the last build, written next to the extension modules.
MANIFEST = "native-build.json"
#: Set to 1 to run the source even where a fresh build exists (tests compare both paths).
PURE_ENV = "JKWATCH_PURE_PYTHON"

_compiled: tuple[str, ...] = ()
SLOWER = "about 1.3x"  # the source against the compiled build (bench/RESULTS.md)


def compiled_modules() -> tuple[str, ...]:
    """The modules of `COMPILED` that run as compiled code in this process."""
    return _compiled


def build_status() -> str:
    """One line for people: how the tagger runs in this process (`make install` prints it)."""
    if _compiled == COMPILED:
        return "tagger: compiled (" + ", ".join(COMPILED) + ")"
    if pure_requested():
        return f"tagger: source, as {PURE_ENV} asks"
    return (
        f"tagger: pure Python, {SLOWER} slower than compiled (the build failed or is stale; "
        "it needs a C compiler and Python's headers; then `make -B install`)"
    )


def select(package: str, directory: Path) -> tuple[str, ...]:
    """Run the source of every module of `COMPILED` unless all their builds are fresh.

    All or nothing: compiled modules may depend on each other's compiled types, so one stale
    or missing build sends them all to their source. Returns the modules left compiled.
    Modules already imported stay as they are.
    """
    global _compiled
    pure = pure_requested()
    recorded = {} if pure else _read_manifest(directory / MANIFEST)
    built = [name for name in COMPILED if _has_extension(directory, name)]
    unrecorded = [name for name in built if name not in recorded]
    stale = [
        name
        for name in built
        if name in recorded and recorded[name] != source_digest(directory, name)
    ]
    if not pure and not stale and not unrecorded and len(built) == len(COMPILED):
        _compiled = COMPILED
        _shadow_strays(package, directory)
        return _compiled
    for name in COMPILED:
        if f"{package}.{name}" not in sys.modules:
            _load_source(package, directory, name)
    if built and not pure:
        missing = [name for name in COMPILED if name not in built]
        problems = [f"{', '.join(stale)} changed since the build"] if stale else []
        problems += [f"{', '.join(unrecorded)} not recorded by the build"] if unrecorded else []
        problems += [f"{', '.join(missing)} not compiled"] if missing else []
        warnings.warn(
            f"{package}: running the tagger from source (correct, but slower): "
            f"{'; '.join(problems)}. Rebuild with `make install` (`make -B install` to force).",
            RuntimeWarning,
            stacklevel=2,
        )
    _compiled = ()
    _shadow_strays(package, directory)
    return _compiled


def pure_requested() -> bool:
    return os.environ.get(PURE_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


def _shadow_strays(package: str, directory: Path) -> None:
    """Run from source any module with a leftover extension module beside it that is not in
    `COMPILED` (dropped from the list since a build): no build vouches for it."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        for built in directory.glob(f"*{suffix}"):
            name = built.name[: -len(suffix)]
            fullname = f"{package}.{name}"
            if (
                name in COMPILED
                or fullname in sys.modules
                or not (directory / f"{name}.py").exists()
            ):
                continue
            warnings.warn(
                f"{package}: {built.name} is a leftover build of a module no longer compiled; "
                f"running {name}.py instead (delete the file to silence this).",
                RuntimeWarning,
                stacklevel=3,
            )
            _load_source(package, directory, name)


def _has_extension(directory: Path, name: str) -> bool:
    return any(
        (directory / f"{name}{suffix}").exists()
        for suffix in importlib.machinery.EXTENSION_SUFFIXES
    )


def _read_manifest(path: Path) -> dict[str, str]:
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def source_digest(directory: Path, name: str) -> str:
    """SHA-256 of what a module's build is made from: its .py, and its .pxd (the compile-time
    types) where there is one."""
    digest = hashlib.sha256((directory / f"{name}.py").read_bytes())
    declarations = directory / f"{name}.pxd"
    if declarations.exists():
        digest.update(b"\0pxd\0" + declarations.read_bytes())
    return digest.hexdigest()


def _load_source(package: str, directory: Path, name: str) -> ModuleType:
    """Import `package.name` from its .py file, ahead of the extension module beside it."""
    fullname = f"{package}.{name}"
    spec = importlib.util.spec_from_file_location(fullname, directory / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[fullname] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[fullname]
        raise
    parent = sys.modules.get(package)
    if parent is not None:
        setattr(parent, name, module)
    return module
