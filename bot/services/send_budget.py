"""The bot's send budget shared by several replicas on PostgreSQL.

The platform's limit is per bot token, not per process: two replicas each pacing at 30/s
drew 42 HTTP 429s in a probe. We chose a rate row over a single sending leader: every
replica keeps answering its own webhook requests at once (a leader would add a hop and a
poll to every reply), and one short UPDATE per message is cheap at 30 messages/s. Each
process's ``Pacer`` still orders its own senders (replies first) and counts its own
requests; this row spaces the messages of all of them.
"""

from __future__ import annotations

import hashlib
import logging

from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


def budget_key(channel: str, token: str) -> str:
    """One row per bot: the channel and a digest of its token (never the token itself)."""
    return f"{channel}:{hashlib.sha256(token.encode()).hexdigest()[:24]}"


class SharedSendBudget:
    """``bot.core.SharedBudget`` over the ``send_budgets`` row of one bot."""

    def __init__(self, uow: UnitOfWorkFactory, key: str) -> None:
        self.uow = uow
        self.key = key

    async def take(self, interval: float) -> float:
        async with self.uow() as uow:
            wait = await uow.send_budgets.take(self.key, interval)
            await uow.commit()
        return wait

    async def pause(self, seconds: float) -> None:
        try:
            async with self.uow() as uow:
                await uow.send_budgets.pause(self.key, seconds)
                await uow.commit()
        except Exception:  # the local pause already holds this process; the others will see their own 429
            log.exception("could not share a 429 pause with the other replicas")
