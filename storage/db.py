"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage.sqlite_inline import inline_creator


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


SQLITE_CACHE_KIB = 64 * 1024


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Build the engine; for SQLite also create the folder and tune the connection.

    SQLite gets exactly one pooled connection: every write in this process is serialised
    through it, which is both the fastest and the only deadlock-free way to use SQLite
    from many coroutines. WAL lets other processes (the CLI) read meanwhile. Its statements
    run on the event loop's thread (``storage.sqlite_inline`` says why).
    """
    u = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if u.get_backend_name() == "sqlite":
        db = u.database or ""
        if db and db != ":memory:":
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs.update(pool_size=1, max_overflow=0, pool_timeout=120, async_creator=inline_creator(url))
    else:
        kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
    engine = create_async_engine(url, **kwargs)
    if u.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    # SQLite's page cache defaults to 2 MiB. The one connection serves every request, and a
    # period's tally alone touches more than that (units, reports, drafts, groups), so pages
    # were read again from the OS on every dashboard load: 16 ms instead of 11 for that read
    # with 5000 units. 64 MiB (negative: KiB) holds the hot part of a province's database.
    cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cur.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
