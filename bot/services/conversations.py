"""Per-chat conversation state (which guided flow a chat is in), kept in the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core import Address, Clock
from storage.uow import UnitOfWorkFactory


@dataclass(frozen=True)
class FlowState:
    flow: str
    data: dict[str, Any]


class ConversationService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    async def get(self, address: Address) -> FlowState | None:
        async with self.uow() as uow:
            s = await uow.chat_states.get(address.channel, address.chat_id)
            return FlowState(s.flow, dict(s.data)) if s else None

    async def set(self, address: Address, flow: str, data: dict[str, Any]) -> None:
        async with self.uow() as uow:
            await uow.chat_states.set(address.channel, address.chat_id, flow, data, self.clock.now())
            await uow.commit()

    async def clear(self, address: Address) -> bool:
        async with self.uow() as uow:
            cleared = await uow.chat_states.clear(address.channel, address.chat_id)
            await uow.commit()
            return cleared
