"""jkwatch: a Japan–South Korea security news tracker.

Everything installed lives under this one import name. The design card's top-level folders map
into it (see ``pyproject.toml``): ``db/`` is ``jkwatch.db`` (storage), ``ingest/`` is
``jkwatch.ingest`` (the pipeline stages and the scheduler that drives them), ``dashboard/`` is
``jkwatch.dashboard`` and ``config/`` is ``jkwatch.defaults`` (the shipped taxonomy and feeds).
What belongs to none of them lives here: the domain model (``jkwatch.model``), the clock, the
configuration lookup, the command line (``jkwatch.cli``) and the demo (``jkwatch.demo``).
Imports flow one way: cli -> (ingest, dashboard, demo) -> db -> model.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("jkwatch")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.1.0"
