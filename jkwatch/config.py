"""Where jkwatch finds its configuration files: the user's, else the defaults it ships.

The defaults (``themes.toml``, ``feeds.toml``, and the entity and event files to come) are
package data of ``jkwatch.defaults`` (the ``config/`` folder of the checkout), so an installed
jkwatch runs from any directory. A user overrides them file by file, most specific first:

1. a per-file variable (``$JKWATCH_THEMES``, ``$JKWATCH_FEEDS``), naming one file;
2. the config directory, ``--config DIR`` or ``$JKWATCH_CONFIG_DIR``: a file of the same
   name there replaces the default, a file missing there falls back to the default;
3. the shipped default.
"""

from __future__ import annotations

import os
from pathlib import Path

import jkwatch.defaults

CONFIG_DIR_ENV = "JKWATCH_CONFIG_DIR"
DEFAULTS_DIR = Path(jkwatch.defaults.__file__).resolve().parent


def shipped(name: str) -> Path:
    """The default file ``name`` that ships with jkwatch."""
    return DEFAULTS_DIR / name


def config_dir() -> Path | None:
    """The user's config directory (``$JKWATCH_CONFIG_DIR``; ``--config`` sets it), if any."""
    value = os.environ.get(CONFIG_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def config_file(name: str, env_var: str | None = None) -> Path:
    """The file to read for ``name``: the per-file variable, else the user's copy in the config
    directory, else the shipped default (see the module docstring)."""
    if env_var:
        override = os.environ.get(env_var, "").strip()
        if override:
            return Path(override).expanduser()
    directory = config_dir()
    if directory is not None and (directory / name).is_file():
        return directory / name
    return shipped(name)
