"""Per chat, one event at a time in arrival order; different chats at once; no lock kept for
a chat once nobody is in or waiting."""

from __future__ import annotations

import asyncio

import pytest

from bot.core import Address, PerChatSerializer

A, B = Address("t", "a"), Address("t", "b")


async def test_events_of_one_chat_run_one_at_a_time_in_arrival_order() -> None:
    serializer = PerChatSerializer()
    log: list[str] = []
    inside = 0

    async def event(name: str, work: float) -> None:
        nonlocal inside
        async with serializer.hold(A):
            inside += 1
            assert inside == 1, "two events of one chat at once"
            log.append(f"{name}+")
            await asyncio.sleep(work)
            log.append(f"{name}-")
            inside -= 1

    tasks = []
    for i, work in enumerate([0.05, 0.0, 0.02, 0.0]):  # the slow first one must not be overtaken
        tasks.append(asyncio.create_task(event(f"e{i}", work)))
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert log == ["e0+", "e0-", "e1+", "e1-", "e2+", "e2-", "e3+", "e3-"]


async def test_different_chats_run_concurrently() -> None:
    serializer = PerChatSerializer()
    a_inside = asyncio.Event()
    b_done = asyncio.Event()

    async def slow_a() -> None:
        async with serializer.hold(A):
            a_inside.set()
            await asyncio.wait_for(b_done.wait(), timeout=1)  # only if B is not blocked by A

    async def quick_b() -> None:
        await a_inside.wait()
        async with serializer.hold(B):
            b_done.set()

    await asyncio.gather(slow_a(), quick_b())
    assert b_done.is_set()


async def test_no_lock_is_kept_for_an_idle_chat() -> None:
    serializer = PerChatSerializer()

    async def event(address: Address) -> None:
        async with serializer.hold(address):
            assert serializer.busy_chats >= 1
            await asyncio.sleep(0.001)

    await asyncio.gather(*(event(Address("t", str(i % 50))) for i in range(500)))
    assert serializer.busy_chats == 0


async def test_a_chat_stays_busy_while_someone_still_waits_for_it() -> None:
    serializer = PerChatSerializer()
    release = asyncio.Event()

    async def first() -> None:
        async with serializer.hold(A):
            await release.wait()

    async def second() -> None:
        async with serializer.hold(A):
            pass

    t1 = asyncio.create_task(first())
    await asyncio.sleep(0)
    t2 = asyncio.create_task(second())
    await asyncio.sleep(0)
    assert serializer.busy_chats == 1
    release.set()
    await asyncio.gather(t1, t2)
    assert serializer.busy_chats == 0


async def test_a_failing_or_cancelled_event_frees_the_chat() -> None:
    serializer = PerChatSerializer()
    with pytest.raises(RuntimeError):
        async with serializer.hold(A):
            raise RuntimeError("handler bug")
    assert serializer.busy_chats == 0

    release = asyncio.Event()

    async def holder() -> None:
        async with serializer.hold(A):
            await release.wait()

    async def waiter() -> None:
        async with serializer.hold(A):
            pass

    t1 = asyncio.create_task(holder())
    await asyncio.sleep(0)
    t2 = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    t2.cancel()  # the waiter gives up before its turn
    with pytest.raises(asyncio.CancelledError):
        await t2
    release.set()
    await t1
    assert serializer.busy_chats == 0
    async with serializer.hold(A):  # and the chat is usable again at once
        pass
