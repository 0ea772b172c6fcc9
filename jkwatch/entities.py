"""The gazetteer: people, places, forces, weapons, agreements and bodies, named in EN/JA/KO.

Read from ``entities.toml`` like every other configuration file (``jkwatch.config``):
``$JKWATCH_ENTITIES`` naming one file, else ``entities.toml`` in the config directory, else the
shipped ``config/entities.toml``. Each ``[[entity]]`` table has an ``id`` (``[a-z0-9_]+``), a
``type`` (one of ``ENTITY_TYPES``), optionally a ``label`` (default: the first English name)
and the names by language (``en``, ``ja``, ``ko``: lists of strings, headline short forms
included). A bad entry raises ``EntitiesError`` naming the file, the entity and the field, so
the analyst can fix it. Pure: no storage, no analysers (matching is ``jkwatch.ingest.entities``).

Why names must be unique within a language: a name is how a word in an item becomes an entity,
and how a search for 竹島 becomes the items saying 독도 or Dokdo; a name that meant two entities
would silently send one entity's items to the other.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jkwatch.config import config_file

ENV_VAR = "JKWATCH_ENTITIES"
FILE_NAME = "entities.toml"
ENTITY_TYPES = ("person", "place", "country", "military", "weapon", "agreement", "organization")
NAME_LANGUAGES = ("en", "ja", "ko")
WEAK_TYPES = frozenset({"country"})
"""Types that say little about which event an item reports (Japan, 北, 美): cross-language
linking and the Compare page weigh them low."""
_ID = re.compile(r"[a-z0-9_]{1,64}")
_KEYS = frozenset({"id", "type", "label", "exclude", *NAME_LANGUAGES})
NAME_LIMIT = 80


class EntitiesError(ValueError):
    """The entities file cannot be read or holds a bad entry (one-line message)."""


def name_key(name: str) -> str:
    """How a name is compared: NFKC, case-folded, inner spaces and hyphens made single spaces.

    "Kim Jong-un", "kim jong un" and "ＫＩＭ　ＪＯＮＧ－ＵＮ" are one key; CJK is unchanged
    apart from width (NFKC).
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[\s\-‐‑–·・]+", " ", text)
    return text.strip()


@dataclass(frozen=True)
class Entity:
    id: str
    type: str
    label: str
    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Language ("en", "ja", "ko") -> the names printed in that language, short forms included."""
    exclude: tuple[str, ...] = ()
    """Words that contain a name but mean something else (독도법, map reading; 中日ドラゴンズ):
    a match of this entity inside one of them does not count."""

    def all_names(self) -> tuple[str, ...]:
        """Every name in every language, English first, without repeats."""
        out: dict[str, None] = {}
        for lang in NAME_LANGUAGES:
            for name in self.names.get(lang, ()):
                out.setdefault(name, None)
        return tuple(out)

    @property
    def weak(self) -> bool:
        return self.type in WEAK_TYPES


@dataclass(frozen=True)
class Gazetteer:
    entities: tuple[Entity, ...]
    fingerprint: str = ""
    """A hash of the entities, so stored matches can tell which gazetteer produced them."""

    def __post_init__(self) -> None:
        by_id = {e.id: e for e in self.entities}
        by_name: dict[str, Entity] = {}
        for entity in self.entities:
            for name in entity.all_names():
                by_name.setdefault(name_key(name), entity)
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_by_name", by_name)

    def get(self, entity_id: str) -> Entity | None:
        found: Entity | None = self._by_id.get(entity_id)  # type: ignore[attr-defined]
        return found

    def lookup(self, text: str) -> Entity | None:
        """The entity one of whose names is ``text`` (any language; see ``name_key``)."""
        found: Entity | None = self._by_name.get(name_key(text))  # type: ignore[attr-defined]
        return found

    def __len__(self) -> int:
        return len(self.entities)


def entities_path() -> Path:
    return config_file(FILE_NAME, ENV_VAR)


def load_gazetteer(path: Path | str | None = None) -> Gazetteer:
    """The gazetteer of ``path`` (default: ``entities_path()``), validated."""
    where = Path(path) if path is not None else entities_path()
    try:
        raw = where.read_bytes()
        document = tomllib.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise EntitiesError(f"{where}: cannot read the entities file ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise EntitiesError(f"{where}: not valid TOML ({exc})") from exc
    unknown = sorted(set(document) - {"entity"})
    if unknown:
        raise EntitiesError(f"{where}: unknown top-level key(s) {', '.join(unknown)} (entity)")
    entries = document.get("entity", [])
    if not isinstance(entries, list):
        raise EntitiesError(f"{where}: 'entity' must be a list of [[entity]] tables")
    entities = [_entity(where, n, entry) for n, entry in enumerate(entries, start=1)]
    _check_unique(where, entities)
    return Gazetteer(tuple(entities), fingerprint=_fingerprint(entities))


def _entity(where: Path, n: int, entry: Any) -> Entity:
    if not isinstance(entry, dict):
        raise EntitiesError(f"{where}: entity {n}: must be a table with id, type and names")
    raw_id = entry.get("id")
    if not isinstance(raw_id, str) or not _ID.fullmatch(raw_id):
        raise EntitiesError(
            f"{where}: entity {n}: field 'id' must be lower-case letters, digits and _"
            f" (at most 64), got {raw_id!r}"
        )
    at = f"{where}: entity {raw_id!r}"
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise EntitiesError(
            f"{at}: unknown field(s) {', '.join(unknown)} (id, type, label, en, ja, ko, exclude)"
        )
    kind = entry.get("type")
    if kind not in ENTITY_TYPES:
        raise EntitiesError(
            f"{at}: field 'type' must be one of {', '.join(ENTITY_TYPES)}, got {kind!r}"
        )
    names: dict[str, tuple[str, ...]] = {}
    for lang in NAME_LANGUAGES:
        value = entry.get(lang, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise EntitiesError(f"{at}: field '{lang}' must be a list of names")
        cleaned: list[str] = []
        for name in value:
            if not isinstance(name, str) or not name_key(name):
                raise EntitiesError(f"{at}: field '{lang}' holds an empty or non-text name")
            name = " ".join(name.split())
            if len(name) > NAME_LIMIT:
                raise EntitiesError(f"{at}: field '{lang}': name longer than {NAME_LIMIT}")
            if name not in cleaned:
                cleaned.append(name)
        if cleaned:
            names[lang] = tuple(cleaned)
    if not names:
        raise EntitiesError(f"{at}: no names (give at least one of en, ja, ko)")
    exclude = entry.get("exclude", [])
    if isinstance(exclude, str):
        exclude = [exclude]
    if not isinstance(exclude, list) or not all(
        isinstance(word, str) and name_key(word) for word in exclude
    ):
        raise EntitiesError(f"{at}: field 'exclude' must be a list of non-empty words")
    label = entry.get("label")
    if label is None:
        label = (names.get("en") or next(iter(names.values())))[0]
    if not isinstance(label, str) or not label.strip():
        raise EntitiesError(f"{at}: field 'label' must be a non-empty string")
    return Entity(
        id=raw_id,
        type=kind,
        label=" ".join(label.split()),
        names=names,
        exclude=tuple(dict.fromkeys(" ".join(w.split()) for w in exclude)),
    )


def _check_unique(where: Path, entities: list[Entity]) -> None:
    ids: set[str] = set()
    owner: dict[tuple[str, str], str] = {}
    for entity in entities:
        if entity.id in ids:
            raise EntitiesError(f"{where}: entity {entity.id!r}: field 'id' is used twice")
        ids.add(entity.id)
        for lang, names in entity.names.items():
            for name in names:
                key = (lang, name_key(name))
                other = owner.setdefault(key, entity.id)
                if other != entity.id:
                    raise EntitiesError(
                        f"{where}: entity {entity.id!r}: field '{lang}': name {name!r} is"
                        f" already a name of entity {other!r}"
                    )
    # A Latin name listed under two languages of two entities is ambiguous too (Aegis in en
    # of one entity and ja of another): names are matched across languages.
    latin: dict[str, str] = {}
    for entity in entities:
        for name in entity.all_names():
            latin_key = name_key(name)
            if latin_key.isascii():
                other = latin.setdefault(latin_key, entity.id)
                if other != entity.id:
                    raise EntitiesError(
                        f"{where}: entity {entity.id!r}: name {name!r} is already a name of"
                        f" entity {other!r}"
                    )


def _fingerprint(entities: list[Entity]) -> str:
    digest = hashlib.sha256()
    for entity in entities:
        digest.update(
            repr((entity.id, entity.type, sorted(entity.names.items()), entity.exclude)).encode()
        )
    return digest.hexdigest()[:16]


@lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int) -> Gazetteer:
    return load_gazetteer(path)


def default_gazetteer() -> Gazetteer:
    """The configured gazetteer, read once per process and file version."""
    where = entities_path()
    try:
        mtime = where.stat().st_mtime_ns
    except OSError:
        mtime = 0
    return _cached(str(where), mtime)


def entity_labels() -> dict[str, str]:
    """Entity id -> label from the configured gazetteer; empty when it cannot be read (a
    reader then shows ids: no number depends on the labels)."""
    try:
        return {entity.id: entity.label for entity in default_gazetteer().entities}
    except EntitiesError:
        return {}
