"""One Tagger per process and taxonomy version, for commands and pipelines that need "the
configured tagger".

Building a tagger (reading the taxonomy and its learned model, compiling the automaton) costs
about a second; a long-running scheduler pays it once, but every in-process command did too
(`jkwatch tag`, `ingest`, `import`, `retag`, `backfill`, and the test suite that calls them
hundreds of times). Tagging never mutates a tagger, so one instance can be shared. The cache
is keyed on the taxonomy file's bytes and the learned model file's size and time, so an edited
taxonomy or a retrained model is picked up by the next call.
"""

from __future__ import annotations

import hashlib
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from jkwatch.config import config_file
from jkwatch.ingest.tagging.schema import ENV_VAR
from jkwatch.ingest.tagging.tagger import Tagger
from jkwatch.ingest.tagging.taxonomy import load_taxonomy, model_path


@dataclass(frozen=True)
class _Entry:
    themes_digest: str
    model: Path | None
    model_stamp: tuple[int, int] | None
    tagger: Tagger


_entries: dict[str, _Entry] = {}
_lock = threading.Lock()


def configured_tagger(path: Path | str | None = None) -> Tagger:
    """The tagger of the taxonomy at ``path`` (default: the configured one, as
    ``load_taxonomy`` finds it), built once per version. Raises ``TaxonomyError`` like
    ``load_taxonomy``."""
    where = Path(path) if path is not None else config_file("themes.toml", ENV_VAR)
    try:
        data = where.read_bytes()
    except OSError:
        return Tagger(load_taxonomy(where))  # load_taxonomy words the error
    digest = hashlib.sha256(data).hexdigest()
    key = str(where.resolve())
    with _lock:
        entry = _entries.get(key)
        if entry and entry.themes_digest == digest and _stamp(entry.model) == entry.model_stamp:
            return entry.tagger
        tagger = Tagger(load_taxonomy(where))
        model = _learned_model(data, where.parent)
        _entries[key] = _Entry(digest, model, _stamp(model), tagger)
        return tagger


def _learned_model(data: bytes, directory: Path) -> Path | None:
    """The learned model file a (valid) taxonomy names, or None."""
    learned = tomllib.loads(data.decode("utf-8")).get("learned")
    if isinstance(learned, dict) and isinstance(learned.get("model"), str):
        return model_path(directory, learned["model"])
    return None


def _stamp(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
