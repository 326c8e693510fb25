"""Locks between processes that share one SQLite database file.

SQLite is the one-machine deployment: one ``tdkt-bot run`` serves the channels, and beside
it a person may open ``tdkt-bot console`` in another terminal or send a decree with
``tdkt-bot announce``. Two ``run`` processes on one file (an overlapping restart is enough)
would both poll, both tick and both believe they are the only sender, so the second is
refused. Each lock is ``flock`` on a small file next to the database: the kernel drops it
when the process dies however it dies, so a lock is never left behind by a crash (the file
may stay; that is harmless). PostgreSQL needs none of this: several replicas are its design.

- ``RunLock`` — exclusive for the life of a ``run``.
- ``OutboxLock`` — shared by every process that sends from the outbox of the file; taken
  exclusively for a moment at start, it proves that no one else is sending, and only then
  may rows left 'sending' be put back in the queue at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url


def sqlite_file(url: str) -> Path | None:
    """The database file of an SQLite URL; None for PostgreSQL and in-memory databases."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return None
    db = u.database or ""
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db).expanduser().resolve()


class RunLockHeld(Exception):
    """Another live process holds the lock; ``pid`` is the one it wrote, when readable."""

    def __init__(self, database: Path, pid: int | None) -> None:
        self.database, self.pid = database, pid
        super().__init__(f"{database} is in use by another process" + (f" (pid {pid})" if pid else ""))


class _FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        return self._fd

    def _try(self, how: int) -> bool:
        try:
            fcntl.flock(self._open(), how | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class RunLock(_FileLock):
    """``<database>.run.lock``, exclusive and non-blocking: one ``tdkt-bot run`` per file."""

    def __init__(self, database: Path) -> None:
        super().__init__(database.with_name(database.name + ".run.lock"))
        self.database = database

    @classmethod
    def for_url(cls, url: str) -> RunLock | None:
        """The lock for this database, or None where none is needed (PostgreSQL)."""
        path = sqlite_file(url)
        return cls(path) if path else None

    def acquire(self) -> None:
        """Take the lock or raise ``RunLockHeld``; the holder's pid goes into the file so
        the refusal can say which process to stop."""
        if not self._try(fcntl.LOCK_EX):
            pid = self._holder()
            self.release()
            raise RunLockHeld(self.database, pid)
        fd = self._open()
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)

    def _holder(self) -> int | None:
        try:
            return int(self.path.read_text(encoding="ascii").strip() or 0) or None
        except (OSError, ValueError):
            return None


class OutboxLock(_FileLock):
    """``<database>.outbox.lock``: shared while sending, exclusive only to prove solitude.

    Every process holds it shared while any of its outboxes runs. A starting process first
    tries it exclusively (never waiting): success means no other process is sending from
    this file right now, so what is left 'sending' belongs to a dead one and may be
    released at once; then it changes to shared before it sends anything itself.
    """

    def __init__(self, database: Path) -> None:
        super().__init__(database.with_name(database.name + ".outbox.lock"))

    @classmethod
    def for_url(cls, url: str) -> OutboxLock | None:
        path = sqlite_file(url)
        return cls(path) if path else None

    def try_alone(self) -> bool:
        """Exclusive, without waiting: True if no other process holds the lock at all."""
        return self._try(fcntl.LOCK_EX)

    async def share(self, *, poll: float = 0.02) -> None:
        """Hold it shared (from exclusive, or from nothing). Another process may hold it
        exclusively only while it releases abandoned rows at its start — moments; wait
        for that without blocking the event loop."""
        while not self._try(fcntl.LOCK_SH):
            await asyncio.sleep(poll)
