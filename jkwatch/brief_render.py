"""The brief as JSON (the contract), Markdown and HTML (for people). Pure: values in, text out.

JSON (``brief_json``) holds exactly the keys of issue 15, documented in the README:
``since``, ``until`` (UTC days, both inclusive), ``baseline`` (the movers' baseline in words),
``stories`` (``story_id, title, items, outlets, languages, themes, first_seen, last_seen,
item_ids, urls``, and since the Japan–Korea lens ``outlets_by_country``: outlet names per
country of publication, "jp" / "kr" / "other"), ``movers`` (``theme, label, count, baseline, z, direction, story_ids``) and
``spikes`` (``theme, start, end, count, baseline, z``). Times are ISO 8601 in UTC.

Markdown and HTML show the same facts with theme labels and language names. Every string that
came from a feed (titles, outlet names, urls) is escaped: Markdown punctuation and angle
brackets are backslash-escaped or turned into entities, HTML goes through ``html.escape``, and
only ``http``/``https`` urls become links. The HTML is one self-contained file (inline style,
no scripts, no external requests), readable when mailed.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from jkwatch.countries import COUNTRY_LABELS
from jkwatch.model import Brief, Mover, SpikeEpisode, StorySummary

LANGUAGE_NAMES = {"en": "English", "ja": "Japanese", "ko": "Korean", "und": "undetermined"}
FORMATS = ("md", "html", "json")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def country_outlets(story: StorySummary, escape: Callable[[str], str]) -> str:
    """Outlets per country, like "Japan: A, B; Korea: C" (each name through ``escape``); ""
    when no outlet of the story has a known country (the plain list says as much)."""
    if set(story.outlets_by_country) <= {"other"}:
        return ""
    return "; ".join(
        f"{COUNTRY_LABELS.get(country, country)}: {', '.join(escape(n) for n in names)}"
        for country, names in story.outlets_by_country.items()
    )


def _when(value: date | datetime) -> str:
    return value.isoformat()


def story_json(story: StorySummary) -> dict[str, Any]:
    return {
        "story_id": story.story_id,
        "title": story.title,
        "items": story.items,
        "outlets": story.outlets,
        "languages": list(story.languages),
        "themes": list(story.themes),
        "first_seen": _when(story.first_seen),
        "last_seen": _when(story.last_seen),
        "item_ids": list(story.item_ids),
        "urls": list(story.urls),
        "outlets_by_country": {c: list(n) for c, n in story.outlets_by_country.items()},
    }


def mover_json(mover: Mover) -> dict[str, Any]:
    return {
        "theme": mover.theme,
        "label": mover.label,
        "count": mover.count,
        "baseline": mover.baseline,
        "z": mover.z,
        "direction": mover.direction,
        "story_ids": list(mover.story_ids),
    }


def spike_json(spike: SpikeEpisode) -> dict[str, Any]:
    return {
        "theme": spike.theme_id,
        "start": _when(spike.start),
        "end": _when(spike.end),
        "count": spike.count,
        "baseline": spike.baseline,
        "z": spike.z,
    }


def brief_json(brief: Brief) -> dict[str, Any]:
    """The contract: a plain dict ready for ``json.dumps``."""
    return {
        "since": _when(brief.since),
        "until": _when(brief.until),
        "baseline": brief.baseline,
        "stories": [story_json(s) for s in brief.stories],
        "movers": [mover_json(m) for m in brief.movers],
        "spikes": [spike_json(s) for s in brief.spikes],
    }


def render_json(brief: Brief) -> str:
    return json.dumps(brief_json(brief), ensure_ascii=False, indent=2) + "\n"


# --- Markdown --------------------------------------------------------------------------------


def md_escape(text: str) -> str:
    """Feed text as inert Markdown: punctuation backslash-escaped, ``<``/``&`` as entities."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def safe_url(url: str | None) -> str | None:
    """The url when it is plain ``http(s)`` without spaces or brackets, else None (no link)."""
    if not url or not re.match(r"^https?://[^\s<>()\"'`]+$", url, re.IGNORECASE):
        return None
    return url


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _label(labels: Mapping[str, str], theme: str) -> str:
    return labels.get(theme, theme)


def _signed(z: float) -> str:
    return f"{z:+.2f}"


def render_markdown(brief: Brief, labels: Mapping[str, str] | None = None) -> str:
    labels = labels or {}
    lines = [f"# Brief: {brief.since.isoformat()} to {brief.until.isoformat()} (UTC)", ""]
    lines += ["## Top stories", ""]
    if not brief.stories:
        lines.append("No stories in this range.")
    for rank, story in enumerate(brief.stories, start=1):
        themes = ", ".join(md_escape(_label(labels, t)) for t in story.themes) or "no theme"
        languages = ", ".join(language_name(code) for code in story.languages)
        outlets = country_outlets(story, md_escape) or ", ".join(
            md_escape(name) for name in story.outlet_names
        )
        lines.append(f"{rank}. **{md_escape(story.title)}** (story {story.story_id})")
        lines.append(
            f"   {_n(story.items, 'item')} from {_n(story.outlets, 'outlet')} ({outlets}); "
            f"{languages}; "
            f"themes: {themes}; first seen {story.first_seen:%Y-%m-%d %H:%M} UTC, "
            f"last seen {story.last_seen:%Y-%m-%d %H:%M} UTC"
        )
        for url in story.urls:
            link = safe_url(url)
            lines.append(f"   - <{link}>" if link else f"   - {md_escape(url)}")
    lines += ["", "## Movers", "", f"Baseline: {brief.baseline}.", ""]
    if not brief.movers:
        lines.append("No theme moved.")
    else:
        lines += [
            "| theme | direction | count | baseline | z | stories |",
            "|---|---|---|---|---|---|",
        ]
    for mover in brief.movers:
        stories = ", ".join(str(i) for i in mover.story_ids) or "none"
        lines.append(
            f"| {md_escape(mover.label)} | {mover.direction} | {mover.count} | "
            f"{mover.baseline:g} | {_signed(mover.z)} | {stories} |"
        )
    lines += ["", "## Spikes", ""]
    if not brief.spikes:
        lines.append("No spike in this range.")
    for spike in brief.spikes:
        lines.append(
            f"- {md_escape(_label(labels, spike.theme_id))}: {spike.direction} from "
            f"{spike.start.isoformat()} to {spike.end.isoformat()}, {_n(spike.count, 'item')} "
            f"against {spike.baseline:g} expected (z {_signed(spike.z)})"
        )
    return "\n".join(lines) + "\n"


# --- HTML ------------------------------------------------------------------------------------

_STYLE = (
    "body{font-family:Georgia,'Times New Roman',serif;max-width:46em;margin:1.5em auto;"
    "padding:0 1em;color:#1a1a1a;line-height:1.45}"
    "h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3em .5em;"
    "text-align:left}th{background:#f2f2f2}.meta{color:#555;font-size:.92em}"
    "li{margin-bottom:.7em}.rise{color:#0b5394}.fall{color:#a61c00}"
)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(brief: Brief, labels: Mapping[str, str] | None = None) -> str:
    labels = labels or {}
    title = f"Brief: {brief.since.isoformat()} to {brief.until.isoformat()} (UTC)"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        "<h2>Top stories</h2>",
    ]
    if not brief.stories:
        out.append("<p>No stories in this range.</p>")
    else:
        out.append("<ol>")
        for story in brief.stories:
            themes = ", ".join(_label(labels, t) for t in story.themes) or "no theme"
            languages = ", ".join(language_name(code) for code in story.languages)
            out.append(f"<li><strong>{_e(story.title)}</strong> (story {story.story_id})")
            out.append(
                f'<div class="meta">{_n(story.items, "item")} from {_n(story.outlets, "outlet")} '
                f"({_e(country_outlets(story, str) or ', '.join(story.outlet_names))}); "
                f"{_e(languages)}; themes: "
                f"{_e(themes)}; first seen {story.first_seen:%Y-%m-%d %H:%M} UTC, last seen "
                f"{story.last_seen:%Y-%m-%d %H:%M} UTC</div>"
            )
            if story.urls:
                out.append("<ul>")
                for url in story.urls:
                    link = safe_url(url)
                    shown = _e(url)
                    out.append(
                        f'<li><a href="{_e(link)}">{shown}</a></li>'
                        if link
                        else f"<li>{shown}</li>"
                    )
                out.append("</ul>")
            out.append("</li>")
        out.append("</ol>")
    out += ["<h2>Movers</h2>", f'<p class="meta">Baseline: {_e(brief.baseline)}.</p>']
    if not brief.movers:
        out.append("<p>No theme moved.</p>")
    else:
        out.append(
            "<table><tr><th>theme</th><th>direction</th><th>count</th><th>baseline</th>"
            "<th>z</th><th>stories</th></tr>"
        )
        for mover in brief.movers:
            stories = ", ".join(str(i) for i in mover.story_ids) or "none"
            out.append(
                f'<tr><td>{_e(mover.label)}</td><td class="{_e(mover.direction)}">'
                f"{_e(mover.direction)}</td><td>{mover.count}</td><td>{mover.baseline:g}</td>"
                f"<td>{_signed(mover.z)}</td><td>{_e(stories)}</td></tr>"
            )
        out.append("</table>")
    out.append("<h2>Spikes</h2>")
    if not brief.spikes:
        out.append("<p>No spike in this range.</p>")
    else:
        out.append("<ul>")
        for spike in brief.spikes:
            out.append(
                f"<li>{_e(_label(labels, spike.theme_id))}: "
                f'<span class="{_e(spike.direction)}">{_e(spike.direction)}</span> from '
                f"{spike.start.isoformat()} to {spike.end.isoformat()}, {_n(spike.count, 'item')} "
                f"against {spike.baseline:g} expected (z {_signed(spike.z)})</li>"
            )
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render(brief: Brief, fmt: str, labels: Mapping[str, str] | None = None) -> str:
    """The brief in one of ``FORMATS``."""
    if fmt == "json":
        return render_json(brief)
    if fmt == "md":
        return render_markdown(brief, labels)
    if fmt == "html":
        return render_html(brief, labels)
    raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
