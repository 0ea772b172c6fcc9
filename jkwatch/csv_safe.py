"""Spreadsheet-formula escaping for CSV cells (OWASP "CSV injection"), in one place.

Feed titles and summaries are written by publishers we do not control, and jkwatch writes them
to CSV (``jkwatch export --format csv``, the dashboard's downloads). A spreadsheet opening that
file runs a cell that starts like a formula. The defence is a leading apostrophe, which makes
the cell plain text. A cell is escaped when

- it starts with a tab, carriage return or line feed (some spreadsheets drop them, and read
  what follows as the start of the cell), or
- its first character after any leading whitespace (spaces, U+3000 ideographic space, ...) is
  ``=``, ``+``, ``-`` or ``@``, or their full-width forms ``＝ ＋ － ＠`` (Japanese spreadsheet
  set-ups turn full-width ones into formulas when converting input).

Only text is escaped: numbers stay numbers (a negative number is not an attack). A base module:
it imports nothing else of jkwatch, so the CLI and the dashboard can both use it.
"""

from __future__ import annotations

from typing import TypeVar

FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
"""Characters that make a spreadsheet read a cell as a formula (ASCII and full-width)."""
CONTROL_STARTS = ("\t", "\r", "\n")
LINE_TERMINATOR = "\r\n"
"""Write CSV with this: Python's csv writer quotes a cell only for the characters of its line
terminator, so with a bare ``"\n"`` a carriage return inside a cell goes out unquoted and a
spreadsheet starts a new row there, with the rest of the cell as the first of the next row."""

T = TypeVar("T")


def needs_escape(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula."""
    if text.startswith(CONTROL_STARTS):
        return True
    stripped = text.lstrip()
    return bool(stripped) and stripped[0] in FORMULA_STARTS


def escape_text(text: str) -> str:
    """``text`` as a cell that a spreadsheet shows as text, never runs."""
    return "'" + text if needs_escape(text) else text


def escape_cell(value: T) -> T | str:
    """A cell value with text escaped (see ``escape_text``); other values unchanged."""
    return escape_text(value) if isinstance(value, str) else value
