"""PostgreSQL advisory locks: how several replicas agree without a coordinator of their own.

Two kinds, each on connections that are not the handlers' (``storage.db``'s pool), so a
lock being waited for or held can never starve a handler of its own database session:

* a *session* lock (``SessionLock``), held for as long as a process is the one that long-polls
  a platform. It lives on a dedicated connection outside any pool: when the process dies its
  TCP connection closes, PostgreSQL ends the session and drops the lock, and a follower that
  asks every few seconds takes over. Server-side TCP keepalives on that session make a
  vanished host (not only a dead process) let go within about half a minute. Releasing is
  closing that connection, the one thing that can never leave the lock behind.
* a *transaction* lock per chat (``AdvisoryLocks.chat``), taken with ``pg_advisory_xact_lock``
  and held while one event of that chat is handled; it goes with the transaction, so an
  error, a cancellation or a broken connection all release it (a session lock forgotten on
  a pooled connection would lock the chat out for good).

Keys are two int4s: ``hashtext`` of a name space (``tdkt-bot:leader`` / ``tdkt-bot:chat``)
and of the key, so our locks cannot collide with another application's single-bigint ones
in the same database. Not for PgBouncer in transaction mode: session locks need a session.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

LEADER_SPACE = "tdkt-bot:leader"
CHAT_SPACE = "tdkt-bot:chat"

_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtext(:space), hashtext(:key))")
_XACT_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:space), hashtext(:key))")
_KEEPALIVES = (  # the server notices a vanished client after ~10 + 3 × 5 s instead of hours
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
)


class SessionLock:
    """A lock one process holds for as long as it likes, released when it goes away.

    ``try_acquire`` is called again and again (by followers every few seconds, by the holder
    before each long poll): it takes the lock when it is free, and for the holder it checks,
    at most every ``check_every`` seconds, that the session is still alive, since a cut
    connection means another process may hold the lock by now.
    """

    def __init__(self, engine: AsyncEngine, key: str, *, space: str = LEADER_SPACE, check_every: float = 5.0,
                 timeout: float = 10.0) -> None:
        self.engine = engine
        self.key = key
        self.space = space
        self.check_every = check_every
        self.timeout = timeout
        self._conn: AsyncConnection | None = None
        self._held = False
        self._checked = 0.0
        self._mutex = asyncio.Lock()  # one statement at a time on the connection

    @property
    def held(self) -> bool:
        return self._held

    async def try_acquire(self) -> bool:
        async with self._mutex:
            if self._held and self._conn is not None:
                if time.monotonic() - self._checked < self.check_every:
                    return True
                try:
                    await asyncio.wait_for(self._conn.execute(text("SELECT 1")), self.timeout)
                except Exception as exc:
                    log.warning("lost the lock %s (its database session failed: %s)", self.key, exc)
                    await self._drop()
                    return False
                self._checked = time.monotonic()
                return True
            try:
                if self._conn is None:
                    self._conn = await asyncio.wait_for(self._connect(), self.timeout)
                result = await asyncio.wait_for(
                    self._conn.execute(_TRY_LOCK, {"space": self.space, "key": self.key}), self.timeout)
                got = bool(result.scalar())
            except Exception as exc:
                log.warning("could not ask for the lock %s: %s", self.key, exc)
                await self._drop()
                return False
            self._held = got
            self._checked = time.monotonic()
            return got

    async def _connect(self) -> AsyncConnection:
        conn = await self.engine.connect()
        try:
            # Autocommit: the session holds the lock, no transaction stays open for hours.
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for statement in _KEEPALIVES:
                await conn.execute(text(statement))
        except BaseException:
            await conn.close()
            raise
        return conn

    async def release(self) -> None:
        async with self._mutex:
            await self._drop()

    async def _drop(self) -> None:
        self._held = False
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await asyncio.wait_for(conn.close(), self.timeout)
        except Exception:
            # Closing failed half-way: make sure the DBAPI connection is gone (that ends the session).
            try:
                await conn.invalidate()
            except Exception as exc:
                log.debug("invalidating the connection of lock %s failed: %s", self.key, exc)


class AdvisoryLocks:
    """The advisory locks of one process, on engines of their own (see the module docstring).

    The per-chat pool is as large as the handlers' pool: every chat lock holder is a handler
    that uses at most one session of the main pool at a time, so locks never outnumber the
    sessions they protect, and handlers waiting for a lock connection wait as they would for
    a session. With Telegram's 40 webhook connections shared by all replicas, two replicas
    use about 2 × (20 + 20 + 1) of PostgreSQL's default 100 connections at the very worst.
    """

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 10) -> None:
        self._leader_engine = create_async_engine(url, poolclass=NullPool)
        self._chat_engine = create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                                                pool_timeout=120, pool_pre_ping=True)
        self._session_locks: list[SessionLock] = []

    def session_lock(self, key: str, *, check_every: float = 5.0) -> SessionLock:
        lock = SessionLock(self._leader_engine, key, check_every=check_every)
        self._session_locks.append(lock)
        return lock

    @asynccontextmanager
    async def chat(self, key: str) -> AsyncIterator[None]:
        """Hold the chat's lock for the body; another process asking for it waits until then."""
        # Leaving the block returns the connection to its pool, which rolls the transaction
        # back (or, if the connection broke, discards it): either way the lock is gone.
        async with self._chat_engine.connect() as conn:
            await conn.execute(_XACT_LOCK, {"space": CHAT_SPACE, "key": key})
            yield

    async def dispose(self) -> None:
        for lock in self._session_locks:
            await lock.release()
        await self._chat_engine.dispose()
        await self._leader_engine.dispose()
