"""Build hook: compiles the tagger's hot modules with Cython (metadata lives in pyproject.toml).

The modules stay plain Python source; Cython compiles that same source into extension modules
that sit beside it and take precedence on import. That roughly halves the interpreter overhead
of tagging (see bench/RESULTS.md). The build is optional: without Cython or a C compiler the
install still succeeds, warns, and the tagger runs as pure Python, slower but with identical
results (`ingest/tagging/native.py` checks the compiled modules match their source).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def _native_module():
    """ingest/tagging/native.py (standard library only), loaded on its own: the package and its
    dependencies are not installed while this runs."""
    spec = importlib.util.spec_from_file_location("_jkwatch_native", ROOT / "ingest/tagging/native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NATIVE = _native_module()
SLOWER = "about 1.25x"  # pure Python against compiled, bench_tagging (bench/RESULTS.md)


class OptionalNativeBuild(build_ext):
    """build_ext that never fails the install, and records what it compiled from."""

    def run(self) -> None:
        self._built: set[str] = set()
        try:
            super().run()
        except Exception as error:  # noqa: BLE001 - any build failure means "use pure Python"
            self._fall_back(error)
        self._write_manifest()

    def build_extension(self, ext) -> None:  # type: ignore[no-untyped-def]
        try:
            super().build_extension(ext)
        except Exception as error:  # noqa: BLE001
            self._fall_back(error)
        else:
            self._built.add(ext.name)

    def _fall_back(self, error: Exception) -> None:
        self.warn(
            f"jkwatch: compiling the tagger failed ({error}); it will run as pure Python, "
            f"{SLOWER} slower, with the same results. Install a C compiler to compile it."
        )

    def _write_manifest(self) -> None:
        """Source hashes of the modules this build compiled, next to them. `ingest.tagging.
        native` runs the source of any module not listed (a failed build may leave an old
        extension module behind) or whose source has changed since."""
        hashes = {}
        for ext in self.extensions:
            built = Path(self.get_ext_fullpath(ext.name))
            if ext.name in self._built and built.exists():
                package, name = ext.name.rsplit(".", 1)
                hashes[name] = NATIVE.source_digest(ROOT / Path(*package.split(".")), name)
        if self.extensions:
            target = Path(self.get_ext_fullpath(self.extensions[0].name)).parent / NATIVE.MANIFEST
            target.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def native_extensions() -> list:
    """The Cython extensions, or none (with a warning) when Cython is not installed."""
    try:
        from Cython.Build import cythonize
    except ImportError:
        print(
            f"jkwatch: Cython not found; the tagger will run as pure Python, {SLOWER} slower",
            file=sys.stderr,
        )
        return []
    sources = [f"ingest/tagging/{name}.py" for name in NATIVE.COMPILED]
    return cythonize(
        sources,
        build_dir="build/cython",
        language_level=3,
        quiet=True,
        # binding=False: plain C functions for methods; the modules use no introspection.
        compiler_directives={"binding": False, "annotation_typing": False},
    )


setup(
    ext_modules=native_extensions(),
    cmdclass={"build_ext": OptionalNativeBuild},
    options={"build_ext": {"parallel": 2}},
)
