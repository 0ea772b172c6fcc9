"""The single-writer lock for SQLite: one scheduler per database file.

SQLite allows one writer at a time. Two schedulers on one file would not corrupt it (WAL and
``BEGIN IMMEDIATE`` serialise them) but they would both fetch every due feed. So ``jkwatch
schedule`` and ``jkwatch run`` take an OS file lock (``fcntl.flock``) on ``<db file>.lock``
and a second one refuses to start with a message naming the holder's pid. The kernel drops
the lock when its holder exits, however it exits (``kill -9`` included), so a crash never
leaves a stale lock behind. The file itself is never deleted: deleting it would let two
processes lock two different inodes under the same name.

PostgreSQL needs no such lock: workers share the work through leases (``db.leases``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class LockHeld(Exception):
    """Another process holds the writer lock on this database."""


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a SQLite URL; None for PostgreSQL and in-memory databases."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return None
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def display_path(path: Path) -> str:
    """The path relative to the working directory when it lies below it (shorter messages)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class WriterLock:
    """An exclusive, non-blocking ``flock`` on ``<database>.lock`` holding the owner's pid."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> WriterLock:
        """Take the lock or raise ``LockHeld`` at once (never wait for another scheduler)."""
        if self._fd is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"pid {holder}" if holder else "another process"
            raise LockHeld(
                f"another jkwatch scheduler ({who}) is already writing to "
                f"{display_path(self.database)}; stop it first, or use PostgreSQL to run "
                "several workers"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None


def writer_lock(database_url: str) -> WriterLock | None:
    """The lock a writer must hold for this database; None when none is needed (PostgreSQL)."""
    path = sqlite_path(database_url)
    return WriterLock(path) if path is not None else None
