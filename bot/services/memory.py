"""The durable side of ``bot.core.memory``: menus on screen and handled messages, in the database.

In memory, a restart forgot what a typed "2" meant and which messages were already handled;
with several replicas each process knew only its own. Here both are rows, written and read
with one statement each, because they sit on the path of every update.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.core import Address, Choice, Clock, Menu, Seen
from bot.core.memory import INBOUND_TTL
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

MEMORY_TTL = timedelta(seconds=INBOUND_TTL)
"""Menus and keys older than this are deleted by the scheduler's tick."""


class DurableMenus:
    """:class:`bot.core.MenuStore` over ``chat_menus``."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ttl: timedelta = MEMORY_TTL) -> None:
        self.uow = uow
        self.clock = clock
        self.ttl = ttl

    async def remember(self, address: Address, choices: Sequence[Choice], *, numbered: bool = True) -> None:
        async with self.uow() as uow:
            if choices:
                await uow.chat_memory.show_menu(address.channel, address.chat_id,
                                                [[c.label, c.payload] for c in choices], numbered, self.clock.now())
            else:
                await uow.chat_memory.forget_menu(address.channel, address.chat_id)
            await uow.commit()

    async def recall(self, address: Address) -> Menu | None:
        async with self.uow() as uow:
            row = await uow.chat_memory.menu(address.channel, address.chat_id, self.clock.now() - self.ttl)
        if row is None or not row.choices:
            return None
        return Menu(tuple(Choice(label, payload) for label, payload in row.choices), bool(row.numbered))


class DurableLedger:
    """:class:`bot.core.InboundLedger` over ``inbound_keys`` (one statement to begin, one to finish)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    async def begin(self, key: str) -> Seen:
        async with self.uow() as uow:
            attempt = await uow.chat_memory.begin_key(key, self.clock.now())
            if attempt is not None:
                await uow.commit()
        if attempt is None:
            return Seen.DONE
        return Seen.NEW if attempt == 1 else Seen.RETRY

    async def finish(self, key: str) -> None:
        async with self.uow() as uow:
            await uow.chat_memory.finish_key(key, self.clock.now())
            await uow.commit()


class DurableInbox:
    """:class:`bot.core.Inbox` over the ``inbox`` table.

    ``claim_for``: how long the keeper (or a later taker) has before others may take an
    item up again — longer than any handling, since a retry waits for the chat's turn anyway
    and the ledger then drops what was in fact handled."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, claim_for: timedelta = timedelta(minutes=2),
                 max_attempts: int = 5) -> None:
        self.uow = uow
        self.clock = clock
        self.claim_for = claim_for
        self.max_attempts = max_attempts

    async def keep(self, channel: str, key: str, update: dict[str, Any]) -> int | None:
        now = self.clock.now()
        async with self.uow() as uow:
            item = await uow.inbox.keep(channel, key, update, now, now + self.claim_for)
            await uow.commit()
        return item

    async def done(self, item_id: int) -> None:
        async with self.uow() as uow:
            await uow.inbox.done(item_id, self.clock.now())
            await uow.commit()

    async def orphans(self, channel: str) -> list[tuple[int, dict[str, Any]]]:
        now = self.clock.now()
        async with self.uow() as uow:
            items = await uow.inbox.claim_orphans(channel, now, now + self.claim_for, self.max_attempts, limit=100)
            await uow.commit()
        if items:
            log.warning("%s: %d update(s) kept but never handled (a process stopped mid-way); handling them now",
                        channel, len(items))
        return items


class ChatMemory:
    """Both stores, and their cleanup by the scheduler's tick."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ttl: timedelta = MEMORY_TTL) -> None:
        self.uow = uow
        self.clock = clock
        self.ttl = ttl
        self.menus = DurableMenus(uow, clock, ttl)
        self.ledger = DurableLedger(uow, clock)
        self.inbox = DurableInbox(uow, clock)

    async def forget_old(self, now: datetime | None = None) -> int:
        """Delete menus shown and message keys last seen more than ``ttl`` ago; how many rows went."""
        cutoff = (now or self.clock.now()) - self.ttl
        async with self.uow() as uow:
            menus, keys = await uow.chat_memory.forget_before(cutoff)
            kept = await uow.inbox.forget_before(cutoff)
            await uow.commit()
        if menus or keys or kept:
            log.debug("forgot %d old chat menu(s), %d old message key(s), %d kept update(s)", menus, keys, kept)
        return menus + keys + kept
