"""What a chat remembers between messages, as contracts a channel or the dispatcher can use.

Two things used to live only in a process's memory and were lost on a restart: the menu on
screen in a chat without buttons (what a typed "2" means) and the keys of the messages already
handled (so a platform's redelivery is not handled twice). Channels and handlers may not
touch storage, so they speak to these small protocols; ``bot.app`` injects the durable
implementations (``bot.services.memory``) and whatever nothing is injected into falls back to
the in-memory ones, which behave as the bot always did within one process.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from bot.core.types import Address, Choice

INBOUND_TTL = 7 * 24 * 3600.0
"""How long a handled message is remembered: longer than any platform keeps redelivering."""


@dataclass(frozen=True, slots=True)
class Menu:
    """The choices shown last in a chat and whether a typed number may pick one."""

    choices: tuple[Choice, ...]
    numbered: bool = True


class MenuStore(Protocol):
    """The menu on screen per chat, for channels that show buttons as a numbered list."""

    async def remember(self, address: Address, choices: Sequence[Choice], *, numbered: bool = True) -> None:
        """The person now sees ``choices``; none forgets the old menu (old numbers must not stick)."""

    async def recall(self, address: Address) -> Menu | None:
        """The menu on screen in this chat, if one was shown recently enough to still count."""


class Seen(StrEnum):
    """What the ledger knows of a message key when its handling is about to begin."""

    NEW = "new"
    """First time: handle it."""
    RETRY = "retry"
    """An earlier attempt never finished (its process died): handle it again."""
    DONE = "done"
    """Handled already: a redelivery, drop it."""

    @property
    def handle(self) -> bool:
        return self in (Seen.NEW, Seen.RETRY)


class InboundLedger(Protocol):
    """Which platform messages (``Inbound.key``) were handled, so each is handled once.

    A key is marked in progress when handling begins and done when it ends, so a crash in
    between does not lose the message. The caller holds the chat's turn in every process
    (the dispatcher does: its per-chat serializer, and across replicas the chat lock), so a
    copy is never in hand elsewhere: a mark still in progress is an attempt that died, and
    the redelivery is handled again at once.
    """

    async def begin(self, key: str) -> Seen:
        """Record that handling ``key`` starts, unless it was handled already (see ``Seen``)."""

    async def finish(self, key: str) -> None:
        """Handling ``key`` ended: from now on it is a redelivery."""


class MemoryLedger:
    """The ledger of one process, forgotten on restart (used when none is injected).

    Insertion order is time order (one TTL for all), so pruning looks at the front only.
    """

    def __init__(self, ttl: float = INBOUND_TTL, max_keys: int = 200_000) -> None:
        self.ttl = ttl
        self.max_keys = max_keys
        self._keys: OrderedDict[str, tuple[bool, float]] = OrderedDict()  # key → (done, when)

    async def begin(self, key: str) -> Seen:
        now = time.monotonic()
        while self._keys:
            oldest, (_, at) = next(iter(self._keys.items()))
            if at > now - self.ttl and len(self._keys) < self.max_keys:
                break
            del self._keys[oldest]
        entry = self._keys.get(key)
        if entry is not None and entry[0]:
            return Seen.DONE
        self._keys[key] = (False, now)
        self._keys.move_to_end(key)
        return Seen.NEW if entry is None else Seen.RETRY

    async def finish(self, key: str) -> None:
        self._keys[key] = (True, time.monotonic())
        self._keys.move_to_end(key)

    def __len__(self) -> int:
        return len(self._keys)


class Inbox(Protocol):
    """Updates kept before they are handled, for platforms that never deliver one again
    (Zalo: its webhook is answered at once, its getUpdates hands an update out only once).
    ``keep`` returns an id to mark ``done`` after handling (None: a redelivery already kept,
    or nothing could be stored — the update is handled anyway). ``orphans`` hands out items
    left undone by a process that died, each to one caller at a time."""

    async def keep(self, channel: str, key: str, update: dict[str, Any]) -> int | None: ...

    async def done(self, item_id: int) -> None: ...

    async def orphans(self, channel: str) -> list[tuple[int, dict[str, Any]]]: ...
