"""Maps what a person did to the handler that deals with it.

Commands go by name, button presses by the payload's prefix (``ack:42`` → ``ack``),
and free text or files to the guided flow the person is in, else the ``fallback``. Handlers are plain async callables; the router does not care
what extra context they take.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

from bot.core.callbacks import prefix_of
from bot.core.types import Address, Inbound, InboundKind

H = TypeVar("H", bound=Callable[..., Awaitable[Any]])


class Router(Generic[H]):
    def __init__(self) -> None:
        self.commands: dict[str, H] = {}
        self.callbacks: dict[str, H] = {}
        self.flows: dict[str, H] = {}
        self.fallback: H | None = None

    def command(self, *names: str) -> Callable[[H], H]:
        def register(fn: H) -> H:
            for name in names:
                self.commands[name.lower()] = fn
            return fn

        return register

    def callback(self, prefix: str) -> Callable[[H], H]:
        def register(fn: H) -> H:
            self.callbacks[prefix] = fn
            return fn

        return register

    def flow(self, name: str) -> Callable[[H], H]:
        """Handler for free text/files while a chat is inside the guided flow ``name``."""

        def register(fn: H) -> H:
            self.flows[name] = fn
            return fn

        return register

    def otherwise(self, fn: H) -> H:
        self.fallback = fn
        return fn

    def resolve(self, inbound: Inbound, flow: str | None = None) -> H | None:
        """The handler for this event, or ``None`` for an unknown command/button.

        Free text and files go to the guided flow the person is in (``flow``, from their
        conversation state), else to the fallback."""
        if inbound.kind is InboundKind.COMMAND:
            return self.commands.get(inbound.command)
        if inbound.kind is InboundKind.CALLBACK:
            return self.callbacks.get(prefix_of(inbound.payload))
        if flow is not None and flow in self.flows:
            return self.flows[flow]
        return self.fallback


class PerChatSerializer:
    """Runs work for one chat strictly in arrival order; different chats run concurrently.

    One lock per active chat, dropped when nobody waits on it, so memory stays bounded
    by the number of chats currently busy rather than all chats ever seen.
    """

    def __init__(self) -> None:
        self._locks: dict[Address, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, address: Address):  # type: ignore[no-untyped-def]
        lock, users = self._locks.get(address, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[address] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock2, users2 = self._locks[address]
            if users2 <= 1:
                del self._locks[address]
            else:
                self._locks[address] = (lock2, users2 - 1)

    @property
    def busy_chats(self) -> int:
        return len(self._locks)
