"""SQLite for SQLAlchemy's asyncio engine, run on the event loop's own thread.

Why: ``aiosqlite`` sends every call (cursor, execute, fetch, close, commit) to a worker
thread and back. On this workload a call to SQLite itself takes ~8 µs while the round trip
costs ~70 µs of CPU, and with SQLite's single pooled connection each hop also holds *the*
connection until the event loop comes round again — under load that queue, not SQLite, made
the latency. Calling ``sqlite3`` directly removes both costs.

The price: a statement blocks the loop while it runs. Our statements are short indexed
reads and small writes in WAL mode (microseconds); the loop can also wait up to
``busy_timeout`` if another process (a CLI command) holds the write lock, which lasts as long
as that command's transaction. PostgreSQL deployments do not use this module.

This plugs into SQLAlchemy's documented ``async_creator`` hook of the ``sqlite+aiosqlite``
dialect: the objects below offer the part of aiosqlite's interface that dialect uses, so
everything above the driver (pooling, the ORM, Alembic) is unchanged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy.engine import make_url


class InlineCursor:
    """aiosqlite's cursor interface over a ``sqlite3.Cursor``, without a thread."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, seq_of_parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        self._cursor.executemany(sql, seq_of_parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def nextset(self) -> None:
        return None

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    """aiosqlite's connection interface over a ``sqlite3.Connection``, without a thread.

    ``_connection`` is the attribute SQLAlchemy's aiosqlite adapter checks to know the
    connection is still open.
    """

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection: sqlite3.Connection | None = connection

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def stop(self) -> None:
        """Hard close (SQLAlchemy's terminate); nothing runs elsewhere to stop."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def create_function(self, name: str, num_params: int, func: Callable[..., Any], **kw: Any) -> None:
        self._conn.create_function(name, num_params, func, **kw)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    @property
    def total_changes(self) -> int:
        return self._conn.total_changes


def inline_creator(url: str) -> Callable[[], Any]:
    """The ``async_creator`` for ``create_async_engine``: opens the database named in ``url``."""
    u = make_url(url)
    database = u.database or ":memory:"
    uri = bool(u.query.get("uri"))

    async def connect() -> InlineConnection:
        # check_same_thread=False: the pool may close a connection from the garbage collector.
        return InlineConnection(sqlite3.connect(database, uri=uri, check_same_thread=False))

    return connect
