"""Replicas on PostgreSQL: the core's ``Leadership`` and ``ChatLock`` over advisory locks.

``bot.app`` builds these only for PostgreSQL; on SQLite there is a single process and the
core's defaults (always the leader, in-process order only) are the whole story.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.core.types import Address
from storage.locks import AdvisoryLocks, SessionLock


def leader_key(channel: str, token: str) -> str:
    """One lock per channel and bot token; the token itself never reaches the database."""
    return f"poll:{channel}:{hashlib.sha256(token.encode()).hexdigest()[:24]}"


class PgLeadership:
    """Leader among the replicas by a session advisory lock (``storage.locks.SessionLock``)."""

    def __init__(self, locks: AdvisoryLocks, key: str) -> None:
        self.key = key
        self._lock: SessionLock = locks.session_lock(key)

    @property
    def held(self) -> bool:
        return self._lock.held

    async def try_acquire(self) -> bool:
        return await self._lock.try_acquire()

    async def release(self) -> None:
        await self._lock.release()


class PgChatLock:
    """A chat's turn across replicas: a transaction advisory lock keyed on the address."""

    def __init__(self, locks: AdvisoryLocks) -> None:
        self._locks = locks

    @asynccontextmanager
    async def hold(self, address: Address) -> AsyncIterator[None]:
        async with self._locks.chat(f"{address.channel}:{address.chat_id}"):
            yield
