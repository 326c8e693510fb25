"""The whole bot against a fake Telegram Bot API (a real aiohttp server on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.app import App
from bot.core import FixedClock
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegram


@dataclass
class Harness:
    """The running bot, its fake platform, and helpers to act as people in chats."""

    app: App
    tg: FakeTelegram

    async def say(self, chat_id: int, text: str, **kw: object) -> list:  # type: ignore[type-arg]
        """Send text as a user and wait until the bot has handled it; returns new bot messages."""
        before = len(self.tg.messages_to(chat_id))
        handled = self.app.dispatcher.handled
        await self.tg.push_text(chat_id, text, **kw)  # type: ignore[arg-type]
        await self.tg.wait_for(lambda: self.app.dispatcher.handled > handled, timeout=10)
        return self.tg.messages_to(chat_id)[before:]

    async def press(self, chat_id: int, data: str, message_id: int, **kw: object) -> list:  # type: ignore[type-arg]
        before = len(self.tg.messages_to(chat_id))
        handled = self.app.dispatcher.handled
        await self.tg.push_callback(chat_id, data, message_id=message_id, **kw)  # type: ignore[arg-type]
        await self.tg.wait_for(lambda: self.app.dispatcher.handled > handled, timeout=10)
        return self.tg.messages_to(chat_id)[before:]

    async def press_label(self, chat_id: int, label_part: str, **kw: object) -> list:  # type: ignore[type-arg]
        """Press the button whose text contains ``label_part`` on the newest message that has it."""
        for msg in reversed(self.tg.messages_to(chat_id)):
            for text, data in self.tg.buttons(msg):
                if label_part in text:
                    return await self.press(chat_id, data, msg.message_id, **kw)
        raise AssertionError(f"no button with {label_part!r} in chat {chat_id}")

    def last_text(self, chat_id: int) -> str:
        return self.tg.last_to(chat_id).text or ""

    async def bind(self, chat_id: int, unit: str | None, role: str = "officer", name: str = "Cán bộ") -> None:
        inv = await self.app.services.members.create_invite(unit, role=role)
        replies = await self.say(chat_id, f"/start {inv.code}", first_name=name)
        assert "Đã liên kết" in replies[-1].text, replies[-1].text

    async def drain(self, timeout: float = 30) -> None:
        for outbox in self.app.outboxes.values():
            await outbox.wait_idle(timeout)


async def start_harness(db_url: str, clock: FixedClock, **settings: object) -> tuple[App, FakeTelegram]:
    tg = FakeTelegram(**{k[3:]: v for k, v in settings.items() if k.startswith("tg_")})  # type: ignore[arg-type]
    await tg.start()
    app = App(make_settings(db_url, telegram_bot_token=tg.token, telegram_api_base_url=tg.root,
                            **{k: v for k, v in settings.items() if not k.startswith("tg_")}), clock=clock)
    await app.prepare(demo=True)
    await app.start(scheduler=False)
    if not tg.limits:
        # A fake without limits: a test officer answers 35 questions in a second, which the
        # per-chat pacing (one message a second, as Telegram asks) would stretch to a minute.
        # Pacing under the real limits is what tests/integration/test_bursts.py checks.
        telegram = app.dispatcher.channels.get("telegram")
        if telegram is not None:
            telegram.pacer.per_chat_rate = None  # type: ignore[attr-defined]
    return app, tg


async def _harness(db_url: str, clock: FixedClock) -> AsyncIterator[Harness]:
    app, tg = await start_harness(db_url, clock)
    try:
        yield Harness(app, tg)
    finally:
        await app.stop()
        await tg.stop()


@pytest.fixture
async def bot(sqlite_url: str, clock: FixedClock) -> AsyncIterator[Harness]:
    async for h in _harness(sqlite_url, clock):
        yield h


@pytest.fixture
async def on_every_backend(db_url: str, clock: FixedClock) -> AsyncIterator[Harness]:
    """The bot through the fake Bot API on SQLite and, when configured, PostgreSQL (for the
    tests whose queries differ by backend)."""
    async for h in _harness(db_url, clock):
        yield h
