"""One spreadsheet-formula escaper (``jkwatch.csv_safe``) for the CLI export and the dashboard."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from jkwatch.cli.ingest_commands import csv_cell
from jkwatch.csv_safe import escape_cell, escape_text, needs_escape
from jkwatch.dashboard.safe import csv_bytes

HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "   =cmd|' /C calc'!A0",
    "\u3000=1+1",  # ideographic space, common in Japanese text
    "\u00a0+1",
    "\uff1d1+1",  # full-width =
    "\uff0b1",
    "\uff0d1",
    "\uff20SUM(A1)",
    "\t",
]

HARMLESS = [
    "North Korea fires missile",
    "北朝鮮がミサイル発射",
    "북한 미사일 발사",
    "a = b",
    "1-2",
    "",
    "   ",
    "'already quoted",
]


@pytest.mark.parametrize("text", HOSTILE, ids=repr)
def test_text_a_spreadsheet_would_run_gets_a_leading_apostrophe(text):
    assert needs_escape(text)
    assert escape_text(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS, ids=repr)
def test_ordinary_text_is_left_alone(text):
    assert not needs_escape(text)
    assert escape_text(text) == text


def test_numbers_stay_numbers_even_when_negative():
    assert escape_cell(-3) == -3 and escape_cell(-0.5) == -0.5 and escape_cell(None) is None
    assert csv_cell(-0.5) == "-0.5" and csv_cell(-3) == "-3"


@pytest.mark.parametrize("text", HOSTILE + HARMLESS, ids=repr)
def test_the_cli_export_and_the_dashboard_download_escape_alike(text):
    from_cli = csv_cell(text)
    frame = pd.DataFrame({"title": [text]})
    text_out = csv_bytes(frame).decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(text_out, newline=""))
    assert row["title"] == from_cli == escape_text(text)


def test_list_cells_are_joined_then_escaped():
    assert csv_cell(["-x", "y"]) == "'-x;y"
    assert csv_cell(["nk_weapons", "us_alliance"]) == "nk_weapons;us_alliance"
    assert csv_cell(True) == "true" and csv_cell(None) == ""


def test_a_hostile_dashboard_column_header_is_escaped_too():
    frame = pd.DataFrame({"=1+1": ["x"]})
    header = csv_bytes(frame).decode("utf-8-sig").splitlines()[0]
    assert header == "'=1+1"


def test_a_carriage_return_inside_a_cell_cannot_start_a_new_row():
    text = "harmless\r=1+1"
    raw = csv_bytes(pd.DataFrame({"title": [text], "n": [1]})).decode("utf-8-sig")
    assert f'"{text}"' in raw, "quoted, so the CR stays inside the cell"
    (row,) = csv.DictReader(io.StringIO(raw, newline=""))
    assert row == {"title": text, "n": "1"}


def test_the_escaper_is_a_base_module_that_imports_nothing_of_jkwatch():
    import ast

    import jkwatch.csv_safe as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name if isinstance(node, ast.Import) else node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [node])
    }
    assert not [name for name in imported if name.split(".")[0] == "jkwatch"]
