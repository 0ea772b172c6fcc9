"""Exceptions of the storage layer.

Driver and SQLAlchemy errors are translated into these at the edge of ``db`` so callers
(the CLI, the pipeline, the dashboard) can turn them into one-line messages.
"""

from __future__ import annotations


class DatabaseError(Exception):
    """Base class for storage problems a user can act on."""


class DatabaseConfigError(DatabaseError):
    """The database URL or its location is unusable (bad scheme, unwritable directory)."""


class DatabaseUnavailable(DatabaseError):
    """The database server cannot be reached or refused the connection."""


class MigrationError(DatabaseError):
    """The schema could not be brought up to date."""
