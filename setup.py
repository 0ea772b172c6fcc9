"""Build hook: compiles the tagger's hot modules with Cython (metadata lives in pyproject.toml).

The modules stay plain Python source; Cython compiles that same source into extension modules
that sit beside it and take precedence on import, which makes tagging about 1.3x faster (see
bench/RESULTS.md). The build is optional: if Cython or the C compiler fails, the install still
succeeds, warns, and the tagger runs as pure Python, slower but with identical results
(`ingest/tagging/native.py` checks the compiled modules match their source; `make install`
reports which one you got).
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
PACKAGE = ROOT / "ingest" / "tagging"


def _native_module():
    """ingest/tagging/native.py (standard library only), loaded on its own: the package and its
    dependencies are not installed while this runs."""
    spec = importlib.util.spec_from_file_location("_jkwatch_native", PACKAGE / "native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NATIVE = _native_module()


class OptionalNativeBuild(build_ext):
    """build_ext that runs Cython only when it actually builds, never fails the install, and
    records exactly which sources the build came from."""

    def run(self) -> None:
        # Digests first: an edit saved while Cython runs must not be vouched for by this build.
        digests = {name: NATIVE.source_digest(PACKAGE, name) for name in NATIVE.COMPILED}
        complete = False
        self.failed: list[str] = []
        try:
            # Point the (already set up) placeholders at Cython's C, keeping setuptools' state.
            generated = {ext.name: ext for ext in _cythonize(self.extensions)}
            for ext in self.extensions:
                ext.sources = generated[ext.name].sources
            super().run()
            complete = not self.failed
        except Exception as error:  # noqa: BLE001 - any build failure means "use the source"
            self._fall_back(error)
        if self.extensions:
            self._write_manifest(digests if complete else {})

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as error:  # noqa: BLE001
            self.failed.append(ext.name)
            self._fall_back(error)

    def _fall_back(self, error: Exception) -> None:
        self.warn(
            f"jkwatch: compiling the tagger failed ({error}); it will run as pure Python, "
            f"{NATIVE.SLOWER} slower, with the same results. Install a C compiler to compile it."
        )

    def _write_manifest(self, digests: dict[str, str]) -> None:
        """The source digests next to the extension modules, written atomically; empty after a
        failed or partial build, so `ingest.tagging.native` then runs every module's source."""
        target = Path(self.get_ext_fullpath(self.extensions[0].name)).parent / NATIVE.MANIFEST
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".tmp")
        partial.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(partial, target)


def _cythonize(extensions: list[Extension]) -> list[Extension]:
    """Extensions built from Cython's C for the placeholders (whose sources are .py files)."""
    from Cython.Build import cythonize

    return cythonize(
        extensions,
        build_dir="build/cython",
        # Always regenerate the C: Cython's freshness check misses a deleted .pxd, and the
        # manifest must describe exactly the sources this build came from.
        force=True,
        language_level=3,
        quiet=True,
        # binding=False: plain C functions for methods; the modules use no introspection.
        # annotation_typing=False: the .py annotations are for readers and type checkers; C
        # types come only from the .pxd files.
        compiler_directives={"binding": False, "annotation_typing": False},
    )


setup(
    # Placeholders: Cython turns them into C only when build_ext runs (pip calls this file
    # three times per install, and only one of those builds).
    ext_modules=[
        Extension(f"ingest.tagging.{name}", [f"ingest/tagging/{name}.py"])
        for name in NATIVE.COMPILED
    ],
    cmdclass={"build_ext": OptionalNativeBuild},
    options={"build_ext": {"parallel": 2}},
)
