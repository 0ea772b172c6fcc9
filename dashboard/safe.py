"""Handling untrusted feed text at the display edge (pure).

Feed titles, summaries and URLs come from publishers we do not control. Links are offered
only for http(s) URLs (no ``javascript:`` or ``data:``), and CSV exports neutralise cells
that a spreadsheet would read as a formula (OWASP "CSV injection", ``jkwatch.csv_safe``, the
same escaping as ``jkwatch export``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pandas as pd

from jkwatch.csv_safe import LINE_TERMINATOR, escape_cell

_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$&:\"'")


def safe_link(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL with a host, else ``None``."""
    if not url or not isinstance(url, str):
        return None
    candidate = url.strip()
    if any(ord(ch) < 32 for ch in candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return candidate


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV (with BOM for spreadsheet apps), every text cell escaped."""
    safe = frame.copy()
    for column in safe.columns:
        # Text is ``object`` or (pandas >= 3) ``str`` dtype: checking only ``object`` let every
        # cell of a string column through unescaped.
        dtype = safe[column].dtype
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            safe[column] = safe[column].map(escape_cell)
    safe.columns = [escape_cell(str(c)) for c in safe.columns]
    return safe.to_csv(index=False, lineterminator=LINE_TERMINATOR).encode("utf-8-sig")


def escape_markdown(text: str) -> str:
    """Text that Streamlit's markdown shows literally (no links, images, HTML or emphasis)."""
    out = []
    for ch in str(text):
        if ch in _MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        elif ch in "\r\n":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)
