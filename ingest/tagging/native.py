"""Compiled or source: which of the tagger's hot modules run as Cython builds.

`setup.py` compiles `COMPILED` from their unchanged Python source into extension modules beside
them, which Python's importer prefers, and records each source's SHA-256 in `MANIFEST`. A build
goes stale when someone edits a module and does not rebuild; importing the old machine code
would then silently ignore the edit. `select` runs from the package's `__init__`, before any of
these modules is imported, and loads the source instead of every compiled module that is stale
or unrecorded (or of all of them when `JKWATCH_PURE_PYTHON` is set), so what runs is always
what the source says. Results are identical either way; the compiled build is only faster.

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

__all__ = ["COMPILED", "MANIFEST", "PURE_ENV", "compiled_modules", "select"]

#: Compiled modules in dependency order (each may import the ones before it).
COMPILED: tuple[str, ...] = ("text", "matcher", "scoring", "tagger")
#: Source hashes of the last build, written next to the extension modules.
MANIFEST = "native-build.json"
#: Set to 1 to run the source even where a fresh build exists (tests compare both paths).
PURE_ENV = "JKWATCH_PURE_PYTHON"

_compiled: tuple[str, ...] = ()


def compiled_modules() -> tuple[str, ...]:
    """The modules of `COMPILED` that run as compiled code in this process."""
    return _compiled


def select(package: str, directory: Path) -> tuple[str, ...]:
    """Load from source each module of `COMPILED` whose build is missing, stale or unwanted.

    Returns the modules left to their compiled build. Modules already imported stay as they are.
    """
    global _compiled
    pure = os.environ.get(PURE_ENV, "").strip() not in ("", "0")
    recorded = {} if pure else _read_manifest(directory / MANIFEST)
    fresh = []
    stale = []
    for name in COMPILED:
        if f"{package}.{name}" in sys.modules:
            continue
        if not _has_extension(directory, name):
            _load_source(package, directory, name)
            continue
        source = directory / f"{name}.py"
        if not pure and recorded.get(name) == _sha256(source):
            fresh.append(name)
            continue
        if not pure:
            stale.append(name)
        _load_source(package, directory, name)
    if stale:
        warnings.warn(
            f"{package}: the compiled {', '.join(stale)} no longer match their source; running "
            "the source (correct, but slower). Rebuild with `make install`.",
            RuntimeWarning,
            stacklevel=2,
        )
    _compiled = tuple(fresh)
    return _compiled


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


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
