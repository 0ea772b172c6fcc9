"""``jkwatch model train``: fit the learned layer on labelled sets and write its model file.

The files are the labelled JSON Lines that ``jkwatch eval`` reads (the sets in tests/data, or an
analyst's own ``jkwatch labels export``). The model is written where ``[learned] model`` in the
taxonomy points, so the next tag, ingest or ``retag`` uses it (its bytes are part of the
taxonomy's fingerprint, so ``retag`` knows stored tags are stale).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import click

from jkwatch.cli.errors import UserError
from jkwatch.cli.tag_commands import THEMES_OPTION, load_cli_taxonomy
from jkwatch.cli.usage import OneLineGroup
from jkwatch.ingest.tagging import TaggingError
from jkwatch.ingest.tagging.evaluation import parse_labelled
from jkwatch.ingest.tagging.training import DEFAULT_C, DEFAULT_THRESHOLD, train_model


@click.group("model", cls=OneLineGroup)
def model_group() -> None:
    """The learned layer that adds secondary themes on top of the keywords."""


@model_group.command("train")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True)
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Model file to write (.json, or .json.gz to compress).",
)
@click.option(
    "--c",
    "c",
    default=DEFAULT_C,
    show_default=True,
    type=click.FloatRange(min=0.001),
    help="Inverse regularisation strength of the logistic regressions.",
)
@click.option(
    "--threshold",
    default=DEFAULT_THRESHOLD,
    show_default=True,
    type=click.FloatRange(0.01, 0.99),
    help="Probability that adds a theme.",
)
@THEMES_OPTION
def train_command(
    files: tuple[Path, ...], out: Path, c: float, threshold: float, themes_path: Path | None
) -> None:
    """Train on labelled JSON Lines FILES and write the model to --out."""
    taxonomy = load_cli_taxonomy(themes_path)
    items = []
    for file in files:
        try:
            items += parse_labelled(file.read_text(encoding="utf-8").splitlines())
        except (OSError, UnicodeDecodeError, ValueError) as err:
            raise UserError(f"{file}: {err}") from err
    try:
        model = train_model(
            items,
            taxonomy.theme_ids,
            c=c,
            threshold=threshold,
            sources=[file.name for file in files],
        )
    except TaggingError as err:
        raise UserError(str(err)) from err
    text = json.dumps(model.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"
    data = text.encode("utf-8")
    if out.suffix == ".gz":
        data = gzip.compress(data, compresslevel=9, mtime=0)  # same input, same bytes
    tmp = out.with_name(out.name + ".tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(out)  # never a half-written model where the taxonomy points
    except OSError as err:
        raise UserError(f"{out}: cannot write model: {err.strerror or err}") from err
    click.echo(
        f"trained on {len(items)} items from {len(files)} file(s): "
        f"{len(model.themes)} themes, {len(model.idf)} n-grams -> {out}"
    )
