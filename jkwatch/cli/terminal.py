"""Untrusted text on a terminal: one sanitiser for every command that prints feed text.

Feed names, titles and error messages come from publishers we do not control. An escape
sequence in a feed title could recolour the terminal, move the cursor or rewrite what was
printed; a bidirectional override could reorder a line. ``clean`` shows such characters as a
space; ``json_text`` keeps them, escaped, in JSON output (lossless for scripts, harmless on a
terminal).
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any


def _unsafe(ch: str) -> bool:
    """Control, format, private-use, unassigned, and line or paragraph separators."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def cells(text: str) -> int:
    """Terminal columns ``text`` takes: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def clean(text: str | None, width: int | None = None) -> str:
    """Printable text only, cut to ``width`` terminal columns (with an ellipsis)."""
    text = "".join(" " if _unsafe(ch) else ch for ch in (text or "")).strip()
    if width is not None and cells(text) > width:
        while cells(text) > width - 1:
            text = text[:-1]
        text += "…"
    return text


def json_text(payload: Any) -> str:
    """``payload`` as indented JSON, readable (non-ASCII kept) but with every unsafe character
    escaped (``json`` itself escapes only C0 controls)."""
    text = json.dumps(payload, ensure_ascii=False, indent=2)
    return "".join(json.dumps(ch)[1:-1] if _unsafe(ch) and ch != "\n" else ch for ch in text)


def table(rows: list[list[str]]) -> str:
    """Rows as aligned columns (CJK-aware); the first row is the header."""
    widths = [max(cells(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell + " " * (width - cells(cell)) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    )
