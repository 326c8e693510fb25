"""Handlers driven through an in-memory channel: the whole dispatcher, services and a real
database, but no platform server — what the bot decides to say, not how it travels."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.app import App
from bot.core import Address, FixedClock
from tests.conftest import make_settings
from tests.fakes.memory_channel import MemoryChannel


@dataclass
class Chats:
    """The bot wired to one in-memory channel, with helpers to bind people to units."""

    app: App
    channel: MemoryChannel

    def channel_address(self, chat_id: int) -> Address:
        return Address(self.channel.name, str(chat_id))

    async def bind(self, chat_id: int, unit: str | None, role: str = "officer", name: str = "Cán bộ") -> None:
        invite = await self.app.services.members.create_invite(unit, role=role)
        replies = await self.channel.write(chat_id, f"/start {invite.code}", sender_name=name)
        assert "Đã liên kết" in replies[-1].text, replies[-1].text


async def wire(app: App, channel: MemoryChannel) -> Chats:
    app.dispatcher.add_channel(channel)
    await channel.start(app.dispatcher)
    return Chats(app, channel)


@pytest.fixture
async def chats(sqlite_url: str, clock: FixedClock) -> AsyncIterator[Chats]:
    app = App(make_settings(sqlite_url), clock=clock)
    await app.prepare(demo=True)
    try:
        yield await wire(app, MemoryChannel())
    finally:
        await app.stop()


@pytest.fixture
async def typed_chats(sqlite_url: str, clock: FixedClock) -> AsyncIterator[Chats]:
    """The same, on a channel without buttons (console, Zalo Bot Platform): picks are typed."""
    app = App(make_settings(sqlite_url), clock=clock)
    await app.prepare(demo=True)
    try:
        yield await wire(app, MemoryChannel("memory", buttons=False))
    finally:
        await app.stop()
