"""Feed collection, normalisation, dedupe and theme tagging for jkwatch (writes through ``db``)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("jkwatch")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.1.0"
