"""The shared tagger: built once per taxonomy version, rebuilt when the taxonomy or its learned
model changes, so commands stop paying a second per call without serving stale tags."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from jkwatch.ingest.tagging import TaxonomyError, configured_tagger

pytestmark = pytest.mark.slow  # each test builds one or two taggers (about a second each)

SHIPPED = Path(__file__).resolve().parents[1] / "config"


@pytest.fixture()
def config_copy(tmp_path: Path) -> Path:
    for name in ("themes.toml", "theme_model.json.gz"):
        shutil.copy(SHIPPED / name, tmp_path / name)
    return tmp_path / "themes.toml"


def test_the_same_taxonomy_gives_the_same_tagger(config_copy: Path) -> None:
    assert configured_tagger(config_copy) is configured_tagger(config_copy)


def test_an_edited_taxonomy_gives_a_new_tagger_that_uses_the_edit(config_copy: Path) -> None:
    before = configured_tagger(config_copy)
    assert not before.tag("Zorblax drills near Japan and North Korea", "").relevant
    text = config_copy.read_text(encoding="utf-8")
    config_copy.write_text(
        text.replace(
            "[relevance.security]\nen = [", '[relevance.security]\nen = ["zorblax:3", ', 1
        ),
        encoding="utf-8",
    )
    after = configured_tagger(config_copy)
    assert after is not before
    assert after.taxonomy.fingerprint != before.taxonomy.fingerprint
    assert after.tag("Zorblax drills near Japan and North Korea", "").relevant


def test_a_retrained_model_gives_a_new_tagger(config_copy: Path) -> None:
    before = configured_tagger(config_copy)
    model = config_copy.parent / "theme_model.json.gz"
    stat = model.stat()
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert configured_tagger(config_copy) is not before


def test_a_missing_taxonomy_is_the_same_error_as_loading_it(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read taxonomy file"):
        configured_tagger(tmp_path / "nope.toml")
