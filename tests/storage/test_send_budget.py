"""Two replicas on PostgreSQL share one send budget: together they stay under the bot's limit."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.core import Pacer
from bot.services.send_budget import SharedSendBudget, budget_key
from storage.db import create_engine, is_sqlite, session_factory
from storage.uow import UnitOfWorkFactory


async def test_two_processes_pacing_one_bot_never_exceed_its_limit_together(db_url: str) -> None:
    if is_sqlite(db_url):
        pytest.skip("SQLite runs one process: its own pacer is the whole budget")
    engines = [create_engine(db_url), create_engine(db_url)]  # as two processes would have
    key = budget_key("telegram", "123456:TEST")
    pacers = [Pacer(20, per_chat_per_second=None, shared=SharedSendBudget(UnitOfWorkFactory(session_factory(e)), key))
              for e in engines]
    starts: list[float] = []

    async def one(pacer: Pacer, chat: str) -> None:
        async with pacer.sending(chat):
            starts.append(time.monotonic())

    try:
        began = time.monotonic()
        await asyncio.gather(*(one(pacers[i % 2], f"c{i}") for i in range(60)))
        starts.sort()
        worst = max(sum(1 for s in starts if t <= s < t + 1.0) for t in starts)
        assert worst <= 20, f"{worst} messages in one second from two processes"
        assert time.monotonic() - began >= 2.5, "60 messages at under 20/s take about three seconds"
    finally:
        for e in engines:
            await e.dispose()
