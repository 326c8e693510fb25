"""The pacer's rules one by one: replies first, per-chat and per-group buckets, the window
counted from a request's start until after its answer, even spacing, and 429 pauses.

Small real intervals (the pacer schedules on the loop's own ``time.monotonic``), chosen so
that every test runs in well under two seconds and the asserted gaps are far from jitter.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from bot.core import Pacer, Priority


async def _starts(pacer: Pacer, chats: list[str], *, is_group: bool = False,
                  priority: Priority = Priority.BULK) -> list[float]:
    """Send one request per entry, one after another; the monotonic start time of each."""
    began: list[float] = []
    for chat in chats:
        async with pacer.sending(chat, is_group=is_group, priority=priority):
            began.append(time.monotonic())
    return began


async def test_a_waiting_reply_is_served_before_every_waiting_bulk_message() -> None:
    pacer = Pacer(100, per_chat_per_second=None, lanes=1)
    order: list[str] = []
    release = asyncio.Event()

    async def hold_the_only_lane() -> None:
        async with pacer.sending("first"):
            await release.wait()

    async def one(name: str, priority: Priority) -> None:
        async with pacer.sending(name, priority=priority):
            order.append(name)

    holder = asyncio.create_task(hold_the_only_lane())
    await asyncio.sleep(0.01)
    bulk = [asyncio.create_task(one(f"bulk{i}", Priority.BULK)) for i in range(5)]
    await asyncio.sleep(0.01)
    reply = asyncio.create_task(one("reply", Priority.REPLY))
    await asyncio.sleep(0.01)
    assert pacer.waiting == 6 and order == []
    release.set()
    await asyncio.gather(holder, reply, *bulk)
    assert order == ["reply", "bulk0", "bulk1", "bulk2", "bulk3", "bulk4"], "bulk keeps its own order"
    assert pacer.granted == [1, 6]


async def test_a_reply_does_not_overtake_an_earlier_reply() -> None:
    pacer = Pacer(100, per_chat_per_second=None, lanes=1)
    order: list[str] = []
    release = asyncio.Event()

    async def hold() -> None:
        async with pacer.sending("x", priority=Priority.REPLY):
            await release.wait()

    async def one(name: str) -> None:
        async with pacer.sending(name, priority=Priority.REPLY):
            order.append(name)

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0.01)
    tasks = []
    for name in ("r1", "r2", "r3"):
        tasks.append(asyncio.create_task(one(name)))
        await asyncio.sleep(0)
    release.set()
    await asyncio.gather(holder, *tasks)
    assert order == ["r1", "r2", "r3"]


async def test_each_chat_has_its_own_burst_of_three() -> None:
    pacer = Pacer(1000, per_chat_per_second=1.0, per_chat_burst=3)
    t0 = time.monotonic()
    starts = await _starts(pacer, ["a", "b", "c"] * 3)
    assert starts[-1] - t0 < 0.3, "three chats, three messages each: all within their bursts"
    fourth = await _starts(pacer, ["a"])
    assert fourth[0] - t0 >= 0.9, "the fourth message to one chat waits for its bucket (1/s)"


async def test_a_chat_bucket_refills_at_its_rate() -> None:
    pacer = Pacer(1000, per_chat_per_second=10.0, per_chat_burst=3)
    first = await _starts(pacer, ["a"] * 3)
    await asyncio.sleep(0.25)  # 2.5 tokens back at 10/s
    later = await _starts(pacer, ["a"] * 3)
    assert later[1] - later[0] < 0.05, "two tokens came back"
    assert later[2] - later[1] >= 0.04, "the third waits for half a token more"
    assert first[2] - first[0] < 0.05


async def test_a_group_gets_one_message_per_interval_and_no_burst() -> None:
    pacer = Pacer(1000, per_chat_per_second=1.0, per_chat_burst=3, group_per_minute=600)  # one per 0.1 s
    starts = await _starts(pacer, ["g"] * 4, is_group=True)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(gap >= 0.09 for gap in gaps), gaps


async def test_twenty_a_minute_in_a_group_means_the_second_message_waits_three_seconds() -> None:
    pacer = Pacer(1000, group_per_minute=20)
    await _starts(pacer, ["g"], is_group=True)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(_starts(pacer, ["g"], is_group=True), timeout=0.5)
    # … while a private chat of the same id and another group are not held back.
    assert len(await asyncio.wait_for(_starts(pacer, ["g2"], is_group=True), timeout=0.5)) == 1


async def test_a_request_counts_from_its_start_until_a_window_after_its_answer() -> None:
    """Two slots a second; both requests take 0.3 s. The third may start only a window
    (1 s plus the guard) after the first answer came back — not one after the first start."""
    pacer = Pacer(2, per_chat_per_second=None, lanes=8, guard=0.03)
    log: list[tuple[float, float]] = []

    async def slow() -> None:
        async with pacer.sending("c"):
            start = time.monotonic()
            await asyncio.sleep(0.3)
            log.append((start, time.monotonic()))

    await asyncio.gather(slow(), slow(), slow())
    log.sort()
    (s1, e1), _, (s3, _) = log
    assert s3 - e1 >= 1.0, (s3 - e1, log)
    assert s3 - s1 >= 1.3


async def test_starts_are_spread_evenly_not_bunched_at_the_start_of_a_window() -> None:
    pacer = Pacer(10, per_chat_per_second=None, lanes=8)
    began: list[float] = []

    async def one(i: int) -> None:
        async with pacer.sending(f"c{i}"):
            began.append(time.monotonic())

    await asyncio.gather(*(one(i) for i in range(6)))
    began.sort()
    gaps = [b - a for a, b in itertools.pairwise(began)]
    # One slot may be caught up (a loop that woke late, or an idle pacer): at most two starts
    # close together, then one every ``spacing`` — never six at the start of the window.
    assert sum(1 for gap in gaps if gap < pacer.spacing * 0.9) <= 1, (gaps, pacer.spacing)
    assert began[-1] - began[0] >= 4 * pacer.spacing * 0.9
    assert pacer.spacing == pytest.approx(0.97 * 1.03 / 10)


async def test_a_pause_holds_waiters_already_queued_and_a_shorter_one_does_not_shorten_it() -> None:
    pacer = Pacer(100, per_chat_per_second=None)
    pacer.pause(0.3)
    pacer.pause(0.05)
    assert pacer.paused_for > 0.25
    began = time.monotonic()
    starts = await asyncio.gather(*(_starts(pacer, [f"c{i}"]) for i in range(3)))
    assert min(s[0] for s in starts) - began >= 0.28


class _RecordingBudget:
    """A shared budget (normally one PostgreSQL row) that remembers what it was told."""

    def __init__(self) -> None:
        self.taken: list[float] = []
        self.paused: list[float] = []

    async def take(self, interval: float) -> float:
        self.taken.append(interval)
        return 0.0

    async def pause(self, seconds: float) -> None:
        self.paused.append(seconds)


async def test_with_a_shared_budget_every_send_takes_a_slot_and_a_pause_is_shared() -> None:
    budget = _RecordingBudget()
    pacer = Pacer(30, per_chat_per_second=None, shared=budget, shared_margin=0.95)
    await _starts(pacer, ["a", "b"])
    assert budget.taken == [pytest.approx(1.03 / (30 * 0.95))] * 2
    pacer.pause(2.0)
    await asyncio.sleep(0)  # told in the background
    await asyncio.sleep(0)
    assert budget.paused == [2.0]


async def test_a_shared_budget_that_fails_never_drops_the_message() -> None:
    class Broken(_RecordingBudget):
        async def take(self, interval: float) -> float:
            raise ConnectionError("database gone")

    pacer = Pacer(30, per_chat_per_second=None, shared=Broken())
    assert len(await _starts(pacer, ["a"])) == 1
