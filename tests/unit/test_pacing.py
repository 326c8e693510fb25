"""The pacer: the platform's limit holds however late the loop is; replies go before bulk."""

from __future__ import annotations

import asyncio
import random
import time

from bot.core import Pacer, Priority


async def _request(pacer: Pacer, chat: str, log: list[tuple[float, float]], *, work: float,
                   block: float = 0.0, priority: Priority = Priority.BULK) -> None:
    async with pacer.sending(chat, priority=priority):
        start = time.monotonic()
        if block:
            time.sleep(block)  # the event loop is busy elsewhere: everything runs late
        await asyncio.sleep(work)
        log.append((start, time.monotonic()))


def _max_in_any_window(log: list[tuple[float, float]], window: float) -> int:
    """Requests the platform could count in one window: any whose [start, end] meets it."""
    worst = 0
    for t, _ in log:
        worst = max(worst, sum(1 for s, e in log if s < t + window and e >= t))
    return worst


async def test_never_more_than_the_limit_in_any_second_even_with_a_late_loop() -> None:
    rng = random.Random(7)
    pacer = Pacer(20, per_chat_per_second=None, lanes=8)
    log: list[tuple[float, float]] = []
    await asyncio.gather(*(
        _request(pacer, f"c{i}", log, work=rng.uniform(0, 0.03), block=0.02 if rng.random() < 0.1 else 0.0)
        for i in range(90)))
    assert len(log) == 90
    assert _max_in_any_window(log, 1.0) <= 20
    first, last = min(s for s, _ in log), max(s for s, _ in log)
    assert last - first >= 3.0, "90 requests at 20/s take at least 3 windows"


async def test_replies_go_before_waiting_bulk_messages() -> None:
    pacer = Pacer(10, per_chat_per_second=None, lanes=1)
    order: list[str] = []

    async def one(name: str, priority: Priority) -> None:
        async with pacer.sending(name, priority=priority):
            order.append(name)

    bulk = [asyncio.create_task(one(f"bulk{i}", Priority.BULK)) for i in range(30)]
    await asyncio.sleep(0.2)  # the first window's slots are taken, 20 bulk messages wait
    reply = asyncio.create_task(one("reply", Priority.REPLY))
    await asyncio.gather(reply, *bulk)
    assert order.index("reply") <= 11, order


async def test_a_pause_stops_every_sender_for_retry_after() -> None:
    pacer = Pacer(30, per_chat_per_second=None)
    log: list[tuple[float, float]] = []
    pacer.pause(0.3)
    began = time.monotonic()
    await _request(pacer, "a", log, work=0)
    assert log[0][0] - began >= 0.29


async def test_cancelled_waiters_leave_no_slot_behind() -> None:
    pacer = Pacer(50, per_chat_per_second=None)
    log: list[tuple[float, float]] = []
    waiting = [asyncio.create_task(_request(pacer, f"c{i}", log, work=0.0)) for i in range(200)]
    await asyncio.sleep(0.05)
    for t in waiting:
        t.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)
    assert pacer.waiting == 0
    await asyncio.sleep(1.1)  # whatever went out has cooled down
    began = time.monotonic()
    await asyncio.gather(*(_request(pacer, f"d{i}", log, work=0.0) for i in range(10)))
    assert time.monotonic() - began < 0.6, "ten slots, 20 ms apart, are free again"


async def test_one_chat_gets_a_short_burst_then_one_message_a_second() -> None:
    pacer = Pacer(30, per_chat_per_second=1.0, per_chat_burst=3)
    log: list[tuple[float, float]] = []
    for _ in range(5):
        await _request(pacer, "same-chat", log, work=0.0, priority=Priority.REPLY)
    starts = [s - log[0][0] for s, _ in log]
    assert starts[2] < 0.2 and starts[3] >= 0.9 and starts[4] >= 1.9, starts
