"""What several replicas of the bot must agree on, as the rest of the bot sees it.

Two things cannot be shared between processes: a platform's long poll (Telegram answers
a second ``getUpdates`` with 409 Conflict; Zalo would split a chat's messages between the
pollers and lose their order) and a chat's turn (two processes handling the same chat at
once could overwrite each other's answers). Channels and handlers depend on these small
protocols only; with SQLite there is one process and the defaults here are all that is
needed, with PostgreSQL ``bot.app`` injects implementations built on advisory locks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from bot.core.types import Address


class Leadership(Protocol):
    """One holder at a time among every process that shares the database.

    ``try_acquire`` never waits for the lock: a follower asks again every few seconds,
    so that when the holder's process dies (and with it its database session) another
    takes over soon after. Called again by the holder, it checks that the lock is still
    held (the session may have been cut) and returns False if it was lost.
    """

    @property
    def held(self) -> bool:
        """True while this process believes it holds the lock (as of the last check)."""

    async def try_acquire(self) -> bool:
        """Take the lock if it is free, or confirm that it is still ours; never blocks on it."""

    async def release(self) -> None:
        """Give the lock up (no-op if not held), so a follower can take over at once."""


class AlwaysLeader:
    """The only process there is (SQLite, one ``run``): always the leader."""

    def __init__(self) -> None:
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    async def try_acquire(self) -> bool:
        self._held = True
        return True

    async def release(self) -> None:
        self._held = False


class ChatLock(Protocol):
    """Mutual exclusion per chat across processes, held for the whole handling of one event.

    It comes after the in-process ``PerChatSerializer`` (which keeps a chat's arrival order
    inside one process), so a process waits for it with at most one event per chat.
    """

    def hold(self, address: Address) -> AbstractAsyncContextManager[None]:
        """Enter when no other process is handling ``address``; leave to let the next in."""


class ProcessChatLock:
    """One process only: the in-process serializer already gives each chat its turn."""

    @asynccontextmanager
    async def hold(self, address: Address) -> AsyncIterator[None]:
        yield
