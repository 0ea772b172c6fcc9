"""The Japan–Korea comparison as JSON (the contract), CSV and Markdown. Pure: values in, text out.

JSON (``compare_json``) holds the keys of issue 16, documented in the README: ``since``,
``until`` (UTC days, both inclusive), ``themes`` (``theme, label, jp, kr, other, gap``; each
side ``{items, share}``) and ``one_sided_stories`` (``story_id, side, items_jp, items_kr,
title, item_ids``), plus the extra top-level keys ``totals`` (relevant items per country, the
shares' base), ``grain`` and ``gap_over_time`` (``theme, start, end, jp_items, kr_items,
jp_share, kr_share, gap``) and ``top_entities`` (``theme`` or null for all themes, ``side``,
``entity``, ``label``, ``items``). Shares are fractions 0–1, unrounded.

CSV is one row per theme (the ``themes`` figures); Markdown shows the same facts as tables,
with feed text (story titles) escaped as in the brief.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from jkwatch.brief_render import md_escape
from jkwatch.csv_safe import LINE_TERMINATOR, escape_cell
from jkwatch.model import Comparison, OneSidedStory, ThemeComparison

FORMATS = ("json", "csv", "md")
COUNTRIES = ("jp", "kr", "other")
CSV_COLUMNS = (
    "theme",
    "label",
    "jp_items",
    "jp_share",
    "kr_items",
    "kr_share",
    "other_items",
    "other_share",
    "gap",
)
SIDE_TITLES = {"kr": "Covered in Korea, not in Japan", "jp": "Covered in Japan, not in Korea"}


def theme_json(theme: ThemeComparison) -> dict[str, Any]:
    out: dict[str, Any] = {"theme": theme.theme, "label": theme.label}
    for country in COUNTRIES:
        side = getattr(theme, country)
        out[country] = {"items": side.items, "share": side.share}
    out["gap"] = theme.gap
    return out


def story_json(story: OneSidedStory) -> dict[str, Any]:
    return {
        "story_id": story.story_id,
        "side": story.side,
        "items_jp": story.items_jp,
        "items_kr": story.items_kr,
        "title": story.title,
        "item_ids": list(story.item_ids),
    }


def compare_json(
    result: Comparison, entity_labels: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The contract: a plain dict ready for ``json.dumps``."""
    names = entity_labels or {}
    return {
        "since": result.since.isoformat(),
        "until": result.until.isoformat(),
        "themes": [theme_json(t) for t in result.themes],
        "one_sided_stories": [story_json(s) for s in result.one_sided_stories],
        "totals": dict(result.totals),
        "grain": result.grain,
        "gap_over_time": [
            {
                "theme": p.theme,
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "jp_items": p.jp_items,
                "kr_items": p.kr_items,
                "jp_share": p.jp_share,
                "kr_share": p.kr_share,
                "gap": p.gap,
            }
            for p in result.gap_over_time
        ],
        "top_entities": [
            {
                "theme": e.theme or None,
                "side": e.side,
                "entity": e.entity_id,
                "label": names.get(e.entity_id, e.entity_id),
                "items": e.items,
            }
            for e in result.entities
        ],
    }


def render_json(result: Comparison, entity_labels: Mapping[str, str] | None = None) -> str:
    return json.dumps(compare_json(result, entity_labels), ensure_ascii=False, indent=2) + "\n"


def render_csv(result: Comparison) -> str:
    """One row per theme; labels escaped against spreadsheet formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=LINE_TERMINATOR)
    writer.writerow(CSV_COLUMNS)
    for t in result.themes:
        row: list[Any] = [t.theme, t.label]
        for country in COUNTRIES:
            side = getattr(t, country)
            row += [side.items, f"{side.share:.6f}"]
        row.append(f"{t.gap:.6f}")
        writer.writerow([escape_cell(cell) for cell in row])
    return buffer.getvalue()


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def _pts(gap: float) -> str:
    return f"{100 * gap:+.1f}"


def render_markdown(result: Comparison, entity_labels: Mapping[str, str] | None = None) -> str:
    names = entity_labels or {}
    labels = {t.theme: t.label for t in result.themes}
    totals = result.totals
    lines = [
        f"# Japan vs Korea: {result.since.isoformat()} to {result.until.isoformat()}",
        "",
        f"Relevant items (UTC days, both included): Japan's press {totals.get('jp', 0)}, "
        f"Korea's press {totals.get('kr', 0)}, other {totals.get('other', 0)}. A share is a "
        "theme's items out of all relevant items of that country; gap = Japan's share minus "
        "Korea's, in percentage points.",
        "",
        "## Share of each press's coverage per theme",
        "",
        "| Theme | Japan items | Japan share | Korea items | Korea share | Other items | "
        "Other share | Gap (pts) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in result.themes:
        lines.append(
            f"| {md_escape(t.label)} | {t.jp.items} | {_pct(t.jp.share)} | {t.kr.items} | "
            f"{_pct(t.kr.share)} | {t.other.items} | {_pct(t.other.share)} | {_pts(t.gap)} |"
        )
    lines += ["", f"## The gap over time (per {result.grain})", ""]
    moving = [t.theme for t in result.themes if t.jp.items or t.kr.items][:5]
    if not moving:
        lines.append("No relevant items carry a theme in this range.")
    for theme in moving:
        lines += [
            f"### {md_escape(labels.get(theme, theme))}",
            "",
            "| Period | Japan share | Korea share | Gap (pts) |",
            "|---|---:|---:|---:|",
        ]
        for p in result.gap_over_time:
            if p.theme == theme:
                period = p.start.isoformat() + ("" if p.start == p.end else f"..{p.end}")
                lines.append(
                    f"| {period} | {_pct(p.jp_share)} | {_pct(p.kr_share)} | {_pts(p.gap)} |"
                )
        lines.append("")
    for side, heading in SIDE_TITLES.items():
        lines += [f"## {heading}", ""]
        stories = [s for s in result.one_sided_stories if s.side == side]
        if not stories:
            lines += ["None in this range.", ""]
            continue
        for s in stories:
            title = md_escape(s.title) or "(no headline)"
            lines.append(
                f"- **{title}** (story {s.story_id}): Japan {s.items_jp}, "
                f"Korea {s.items_kr}, other {s.items_other} item(s); items "
                + ", ".join(str(i) for i in s.item_ids)
            )
        lines.append("")
    lines += ["## Entities each side names most", ""]
    if not result.entities:
        lines += ["No entities named by relevant items in this range.", ""]
    for theme in ["", *[t.theme for t in result.themes]]:
        rows = [e for e in result.entities if e.theme == theme]
        if not rows:
            continue
        title = "All themes" if not theme else labels.get(theme, theme)
        parts = []
        for side, country in (("jp", "Japan"), ("kr", "Korea")):
            named = [
                f"{md_escape(names.get(e.entity_id, e.entity_id))} ({e.items})"
                for e in rows
                if e.side == side
            ]
            parts.append(f"{country}: " + (", ".join(named) or "none"))
        lines.append(f"- **{md_escape(title)}**. " + "; ".join(parts))
    return "\n".join(lines).rstrip() + "\n"


def render(result: Comparison, fmt: str, entity_labels: Mapping[str, str] | None = None) -> str:
    if fmt == "json":
        return render_json(result, entity_labels)
    if fmt == "csv":
        return render_csv(result)
    if fmt == "md":
        return render_markdown(result, entity_labels)
    raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
