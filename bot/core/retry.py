"""Sending again after a 429 or a passing failure, for messages that must not be dropped.

Direct replies are sent inline (the person is waiting), so they cannot simply go back to a
queue on the first 429 like outbox rows do. ``until_delivered`` waits out what the platform
asked for and tries again, in order (the caller sends a chat's parts one after another),
until a deadline; past it the last error is raised and the caller puts the message in the
outbox, where it goes out later and shows in the delivery report.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.core.errors import RateLimited, Retryable

log = logging.getLogger(__name__)

T = TypeVar("T")

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0


async def until_delivered(attempt: Callable[[], Awaitable[T]], *, deadline: float, what: str = "message") -> T:
    """Call ``attempt`` until it succeeds or ``deadline`` (``time.monotonic``) is past.

    ``RateLimited``: the channel has already paused its pacer for ``retry_after``; the next
    attempt waits in the pacer. ``Retryable`` (network, 5xx): exponential backoff. Any other
    ``SendError`` is final and raised at once (blocked chat, invalid message).
    """
    backoff = BACKOFF_FIRST
    tries = 0
    while True:
        tries += 1
        try:
            return await attempt()
        except RateLimited as exc:
            if time.monotonic() + exc.retry_after > deadline:
                raise
            log.info("%s rate limited (try %d); again after %.1fs", what, tries, exc.retry_after)
            await asyncio.sleep(exc.retry_after)
        except Retryable as exc:
            if time.monotonic() + backoff > deadline:
                raise
            log.info("%s failed (try %d: %s); again in %.1fs", what, tries, exc.reason, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)
