"""Load and validate the theme taxonomy (`config/themes.toml`).

Users edit that file by hand, so every problem becomes a `TaxonomyError` whose message names the
file, the theme (or section), the field and what is wrong, e.g.
``themes.toml: theme 'nk_weapons': terms.en[3]: weight must be a positive number``.
The file format is documented in the comment block at the top of the file itself.

The loaded `Taxonomy` is immutable and carries a sha256 `fingerprint` of the file bytes, so
`retag` can tell whether stored tags were produced by the current taxonomy.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from jkwatch.config import config_file, shipped
from jkwatch.ingest.tagging.learned import LearnedModel, load_model
from jkwatch.ingest.tagging.schema import (
    ENV_VAR,
    LANGS,
    THEME_IDS,
    RelevanceConfig,
    ScoringConfig,
    Taxonomy,
    TaxonomyError,
    Term,
    Theme,
)
from jkwatch.ingest.tagging.text import normalize

__all__ = ["load_taxonomy", "parse_taxonomy"]


_TOP_KEYS = {"version", "relevance", "scoring", "themes", "learned"}
_THEME_KEYS = {"id", "label", "description", "terms", "exclude", "actor_share", "anchors"}
_TERM_LISTS = ("actors", "security", "off_topic")
_RELEVANCE_NUMBERS = {
    "threshold": 0.5,
    "actor_scale": 1.5,
    "security_scale": 2.0,
    "theme_share": 0.5,
    "off_topic_penalty": 1.0,
    "theme_actor_share": 0.1,
}
_SCORING_NUMBERS = {
    "title": 1.0,
    "summary": 0.75,
    "body": 0.5,
    "repeat_bonus": 0.25,
    "max_repeats": 2.0,
    "theme_scale": 2.0,
    "theme_threshold": 0.5,
    "secondary_share": 0.0,
}


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Load the taxonomy from `path`, else `$JKWATCH_THEMES`, else `themes.toml` in the config
    directory, else the shipped default (``jkwatch.config``)."""
    path = Path(path) if path is not None else config_file("themes.toml", ENV_VAR)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise TaxonomyError(f"{path}: cannot read taxonomy file: {err.strerror or err}") from err
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise TaxonomyError(f"{path.name}: file is not valid UTF-8 ({err.reason})") from err
    return parse_taxonomy(text, source=path.name, directory=path.parent)


def parse_taxonomy(
    text: str, source: str = "themes.toml", directory: Path | None = None
) -> Taxonomy:
    """Parse and validate taxonomy TOML text; `source` prefixes error messages. A `[learned]`
    model path is read relative to `directory` (the taxonomy file's folder; default: cwd)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise TaxonomyError(f"{source}: invalid TOML: {err}") from err
    digest = hashlib.sha256(text.encode("utf-8"))
    taxonomy = _Validator(source).taxonomy(doc, digest.hexdigest())
    learned = doc.get("learned")
    if learned is None:
        return taxonomy
    model, model_bytes = _learned(learned, source, directory or Path.cwd(), taxonomy)
    digest.update(model_bytes)  # a retrained model changes the fingerprint: retag notices
    return replace(taxonomy, learned=model, fingerprint=digest.hexdigest())


def model_path(directory: Path, name: str) -> Path:
    """The model beside the taxonomy file; a copy of the shipped taxonomy (in a config folder)
    that names the shipped model without copying it uses the shipped one."""
    path = directory / name
    if not path.exists() and Path(name).name == name and shipped(name).exists():
        return shipped(name)
    return path


def _learned(
    table: Any, source: str, directory: Path, taxonomy: Taxonomy
) -> tuple[LearnedModel, bytes]:
    """The `[learned]` section: `model` (a path, relative to the taxonomy file) and an optional
    `threshold` that overrides the one stored at training."""
    if not isinstance(table, dict) or not isinstance(table.get("model"), str):
        raise TaxonomyError(f'{source}: learned: needs model = "path/to/model.json.gz"')
    unknown = sorted(set(table) - {"model", "threshold"})
    if unknown:
        raise TaxonomyError(f"{source}: learned: unknown field '{unknown[0]}'")
    model, data = load_model(model_path(directory, table["model"]), taxonomy.theme_ids)
    threshold = table.get("threshold")
    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise TaxonomyError(f"{source}: learned.threshold: must be a number")
        if not 0 < threshold < 1:
            raise TaxonomyError(f"{source}: learned.threshold: must be between 0 and 1")
        model = replace(model, threshold=float(threshold))
    return model, data


class _Validator:
    """Walks the parsed TOML, converting it to dataclasses or failing with a located message."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> TaxonomyError:
        return TaxonomyError(f"{self.source}: {where}: {problem}")

    def taxonomy(self, doc: dict[str, Any], fingerprint: str) -> Taxonomy:
        unknown = sorted(set(doc) - _TOP_KEYS)
        if unknown:
            raise self.fail("top level", f"unknown field '{unknown[0]}'")
        version = doc.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise self.fail("version", "must be a positive integer")
        relevance = self.relevance(doc.get("relevance"))
        scoring = self.scoring(doc.get("scoring", {}))
        themes = self.themes(doc.get("themes"))
        return Taxonomy(version, themes, relevance, scoring, fingerprint, self.source)

    # -- sections -------------------------------------------------------------------------

    def relevance(self, table: Any) -> RelevanceConfig:
        where = "relevance"
        if not isinstance(table, dict):
            raise self.fail(where, "missing [relevance] table")
        allowed = set(_RELEVANCE_NUMBERS) | set(_TERM_LISTS) | {"exclude"}
        self.no_unknown(table, allowed, where)
        numbers = self.numbers(table, _RELEVANCE_NUMBERS, where)
        if not 0 < numbers["threshold"] < 1:
            raise self.fail(f"{where}.threshold", "must be between 0 and 1")
        lists = {
            name: self.term_table(table.get(name), where, name, weighted=True)
            for name in _TERM_LISTS
        }
        exclude = self.term_table(table.get("exclude", {}), where, "exclude", weighted=False)
        return RelevanceConfig(
            threshold=numbers["threshold"],
            actor_scale=numbers["actor_scale"],
            security_scale=numbers["security_scale"],
            theme_share=numbers["theme_share"],
            off_topic_penalty=numbers["off_topic_penalty"],
            theme_actor_share=numbers["theme_actor_share"],
            actors=lists["actors"],
            security=lists["security"],
            off_topic=lists["off_topic"],
            exclude=exclude,
        )

    def scoring(self, table: Any) -> ScoringConfig:
        if not isinstance(table, dict):
            raise self.fail("scoring", "must be a table")
        self.no_unknown(table, set(_SCORING_NUMBERS), "scoring")
        numbers = self.numbers(table, _SCORING_NUMBERS, "scoring", required=False)
        if not 0 < numbers["theme_threshold"] < 1:
            raise self.fail("scoring.theme_threshold", "must be between 0 and 1")
        return ScoringConfig(**numbers)

    def themes(self, items: Any) -> tuple[Theme, ...]:
        if not isinstance(items, list) or not items:
            raise self.fail("themes", "missing [[themes]] entries")
        by_id: dict[str, Theme] = {}
        for index, item in enumerate(items):
            theme = self.theme(item, index)
            if theme.id in by_id:
                raise self.fail(f"theme '{theme.id}'", "duplicate theme id")
            by_id[theme.id] = theme
        missing = [theme_id for theme_id in THEME_IDS if theme_id not in by_id]
        if missing:
            raise self.fail("themes", f"missing theme ids: {', '.join(missing)}")
        return tuple(by_id[theme_id] for theme_id in THEME_IDS)

    def theme(self, item: Any, index: int) -> Theme:
        if not isinstance(item, dict):
            raise self.fail(f"themes[{index}]", "must be a table")
        theme_id = item.get("id")
        if not isinstance(theme_id, str) or not theme_id:
            raise self.fail(f"themes[{index}]", "id: missing or not a string")
        if theme_id not in THEME_IDS:
            raise self.fail(
                f"themes[{index}]",
                f"id: unknown theme id '{theme_id}'; expected one of {', '.join(THEME_IDS)}",
            )
        where = f"theme '{theme_id}'"
        self.no_unknown(item, _THEME_KEYS, where)
        label = self.text_field(item, "label", where)
        description = self.text_field(item, "description", where)
        anchors = self.anchors(item.get("anchors"), where)
        terms = self.term_table(
            item.get("terms"), where, "terms", weighted=True, required=True, anchored=bool(anchors)
        )
        exclude = self.term_table(item.get("exclude", {}), where, "exclude", weighted=False)
        share = item.get("actor_share")
        if share is not None and not (_is_positive_number(share) or share == 0):
            raise self.fail(f"{where}: actor_share", "must be a number >= 0")
        return Theme(
            theme_id,
            label,
            " ".join(description.split()),
            terms,
            exclude,
            None if share is None else float(share),
            anchors,
        )

    def anchors(self, value: Any, where: str) -> tuple[tuple[Term, ...], ...]:
        """One `{en, ja, ko}` table (any of its terms anchors), or an array of such tables
        (every group needs a match: Japan *and* Korea)."""
        if value is None:
            return ()
        if isinstance(value, dict):
            tables, single = [value], True
        elif isinstance(value, list) and value and all(isinstance(t, dict) for t in value):
            tables, single = value, False
        else:
            raise self.fail(
                f"{where}: anchors",
                "must be a table of en/ja/ko lists, or a non-empty array of such tables",
            )
        groups = []
        for index, table in enumerate(tables):
            field = "anchors" if single else f"anchors[{index}]"
            group = self.term_table(table, where, field, weighted=False)
            if not group:
                raise self.fail(f"{where}: {field}", "has no terms; list at least one anchor")
            groups.append(group)
        return tuple(groups)

    # -- fields ---------------------------------------------------------------------------

    def no_unknown(self, table: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise self.fail(where, f"unknown field '{unknown[0]}'")

    def text_field(self, table: dict[str, Any], name: str, where: str) -> str:
        value = table.get(name)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}: {name}", "must be a non-empty string")
        return value.strip()

    def numbers(
        self, table: dict[str, Any], defaults: dict[str, float], where: str, required: bool = True
    ) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, default in defaults.items():
            value = table.get(name)
            if value is None:
                if required and name == "threshold":
                    raise self.fail(f"{where}.{name}", "missing")
                out[name] = default
                continue
            if not _is_positive_number(value):
                raise self.fail(f"{where}.{name}", "must be a positive number")
            out[name] = float(value)
        return out

    def term_table(
        self,
        table: Any,
        where: str,
        field: str,
        *,
        weighted: bool,
        required: bool = False,
        anchored: bool | None = None,
    ) -> tuple[Term, ...]:
        """Parse `{en = [...], ja = [...], ko = [...]}`; `required` demands all three languages."""
        if table is None and not required:
            table = {}
        if not isinstance(table, dict):
            raise self.fail(f"{where}: {field}", "must be a table of en/ja/ko lists")
        for lang in table:
            if lang not in LANGS:
                raise self.fail(f"{where}: {field}.{lang}", "unknown language; use en, ja or ko")
        terms: list[Term] = []
        for lang in LANGS:
            items = table.get(lang)
            if items is None and not required:
                continue
            if not isinstance(items, list):
                raise self.fail(f"{where}: {field}.{lang}", "must be a list of terms")
            if not items and required:
                raise self.fail(f"{where}: {field}.{lang}", "must not be empty")
            seen: dict[str, int] = {}
            for index, item in enumerate(items):
                at = f"{where}: {field}.{lang}[{index}]"
                term = self.term(item, lang, at, weighted, anchored)
                key = normalize(term.text)
                if key in seen:
                    raise self.fail(
                        at, f"duplicate term '{term.text}' (same as {field}.{lang}[{seen[key]}])"
                    )
                seen[key] = index
                terms.append(term)
        return tuple(terms)

    def term(
        self, item: Any, lang: str, at: str, weighted: bool, anchored: bool | None = None
    ) -> Term:
        """One term; `anchored` is None outside themes (no needs_anchor allowed), else whether
        the theme defines anchors."""
        weight: Any = 1.0
        if isinstance(item, dict) and weighted:
            unknown = sorted(set(item) - {"term", "weight", "exact", "needs_anchor"})
            if unknown:
                raise self.fail(at, f"unknown field '{unknown[0]}'")
            text, weight = item.get("term"), item.get("weight", 1.0)
            exact = item.get("exact", False)
            if not isinstance(exact, bool):
                raise self.fail(at, "exact must be true or false")
            needs_anchor = item.get("needs_anchor", False)
            if not isinstance(needs_anchor, bool):
                raise self.fail(at, "needs_anchor must be true or false")
        elif isinstance(item, str):
            text, exact, needs_anchor = item, False, False
            if weighted and ":" in item:
                text, _, raw = item.rpartition(":")
                weight = _parse_number(raw)
            if weighted and text.startswith("~"):
                text, needs_anchor = text[1:], True
            if text.startswith("="):
                text, exact = text[1:], True
        else:
            kind = "a string or {term, weight} table" if weighted else "a string"
            raise self.fail(at, f"must be {kind}")
        if not isinstance(text, str) or not text.strip():
            raise self.fail(at, "term must be a non-empty string")
        if not _is_positive_number(weight):
            raise self.fail(at, "weight must be a positive number")
        if not normalize(text).strip():
            raise self.fail(at, f"term '{text}' has no letters or digits")
        if exact and lang != "en":
            raise self.fail(at, "exact matching ('=') only applies to English terms")
        if needs_anchor and anchored is None:
            raise self.fail(at, "needs_anchor ('~') only applies to theme terms")
        if needs_anchor and not anchored:
            raise self.fail(at, "needs_anchor ('~') is set but the theme defines no anchors")
        return Term(text.strip(), lang, float(weight), exact, needs_anchor)


def _parse_number(raw: str) -> Any:
    try:
        return float(raw)
    except ValueError:
        return raw


def _is_positive_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )
