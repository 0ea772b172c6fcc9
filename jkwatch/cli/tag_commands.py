"""``jkwatch tag`` and ``jkwatch eval``: the tagger as a JSON Lines filter, and its scorecard.

``tag`` is a contract other tools rely on: one output line per input line, in order, so a caller
can zip inputs and outputs. A malformed input line yields an error object in its place (and a
message on stderr) instead of stopping the stream.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import click

from jkwatch.cli.errors import UserError
from jkwatch.ingest.tagging import (
    Tagger,
    Taxonomy,
    TaxonomyError,
    configured_tagger,
    load_taxonomy,
)
from jkwatch.ingest.tagging.evaluation import evaluate, format_report, parse_labelled, report_json

THEMES_OPTION = click.option(
    "--themes",
    "themes_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Taxonomy file (default: $JKWATCH_THEMES, else config/themes.toml).",
)


def load_cli_taxonomy(path: Path | None) -> Taxonomy:
    """The taxonomy for a command, its problems as one-line user errors."""
    try:
        return load_taxonomy(path)
    except TaxonomyError as err:
        raise UserError(str(err)) from err


def cli_tagger(path: Path | None) -> Tagger:
    """The (shared, built once per version) tagger for a command; problems as user errors."""
    try:
        return configured_tagger(path)
    except TaxonomyError as err:
        raise UserError(str(err)) from err


def _text(row: dict[str, Any], key: str, required: bool) -> str:
    value = row.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"'{key}' must be a string" if key in row else f"missing '{key}'")
    return value


def tag_line(tagger: Tagger, line: str, number: int) -> dict[str, Any]:
    """The output object for one input line (an error object when the line is malformed)."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        return {"id": None, "line": number, "error": f"invalid JSON: {err.msg}"}
    if not isinstance(row, dict):
        return {"id": None, "line": number, "error": "expected a JSON object"}
    try:
        title = _text(row, "title", required=True)
        summary = _text(row, "summary", required=False)
        lang = row.get("lang") if isinstance(row.get("lang"), str) else None
    except ValueError as err:
        return {"id": None, "line": number, "error": str(err)}
    result = tagger.tag(title, summary, lang=lang)
    return {"id": row.get("id"), **result.to_json()}


def run_tag(tagger: Tagger, source: Iterable[str], out: BinaryIO, err: TextIO) -> tuple[int, int]:
    """Stream `source` lines to `out` as UTF-8 JSON Lines; returns (tagged, rejected) counts."""
    done = failed = 0
    for number, line in enumerate(source, 1):
        if not line.strip():
            continue
        obj = tag_line(tagger, line, number)
        if "error" in obj:
            failed += 1
            err.write(f"line {number}: {obj['error']}\n")
        else:
            done += 1
        out.write(json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n")
    out.flush()
    return done, failed


@click.command("tag")
@THEMES_OPTION
def tag_command(themes_path: Path | None) -> None:
    """Tag JSON Lines from stdin; write one JSON line per input to stdout.

    \b
    Input:  {"id": ..., "title": "...", "summary": "...", "lang": "en|ja|ko"}
            (summary and lang optional; other keys ignored; blank lines skipped)
    Output: {"id": ..., "relevant": bool, "relevance": 0..1,
             "themes": [{"id", "score", "evidence": [{"term", "field", "count"}]}]}
            themes are listed only for relevant items (relevance >= the taxonomy threshold).

    A malformed line produces {"id": null, "line": N, "error": "..."} in its place on stdout
    and a message on stderr; tagging continues and the exit code stays 0.
    """
    tagger = cli_tagger(themes_path)
    # Bytes in and out, decoded and encoded as UTF-8 whatever the locale says.
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    run_tag(tagger, stdin, sys.stdout.buffer, sys.stderr)


@click.command("eval")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--misses",
    default=20,
    show_default=True,
    type=click.IntRange(0),
    help="How many misses to list.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@THEMES_OPTION
def eval_command(file: Path, misses: int, as_json: bool, themes_path: Path | None) -> None:
    """Score the tagger on a labelled JSON Lines FILE.

    Each line: {"id", "lang", "title", "summary", "relevant": bool, "themes": [ids]}. Prints
    per-theme precision/recall/F1, micro and macro F1, relevance precision/recall/F1, the
    items the tagger got wrong with the raw evidence behind its verdict, and the terms that
    most often caused its false themes and false relevant verdicts. 'jkwatch labels export'
    writes such a file from your own corrections.
    """
    tagger = cli_tagger(themes_path)
    try:
        items = parse_labelled(file.read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise UserError(f"{file}: {err}") from err
    report = evaluate(tagger, items)
    if as_json:
        click.echo(json.dumps(report_json(report, misses=misses), ensure_ascii=False))
    else:
        click.echo(format_report(report, misses=misses))
