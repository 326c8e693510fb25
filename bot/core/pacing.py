"""Client-side pacing, so that the platform never has to say 429 — for replies and broadcasts alike.

Telegram allows about 30 messages/s per bot overall, about one per second per private chat
(short bursts tolerated) and 20 per minute per group
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this).
That limit is the bot's, not one sender's: direct replies, broadcasts, reminders and edits all
draw on one budget, and this class is the one place that knows it.

**Overall limit, robust to a late event loop.** A request is counted from the moment it may
start until ``window`` seconds after its answer came back. Wherever the platform's clock
places the request's arrival, it lies between our start and our answer, so no window of
one second on the platform's side can ever see more than ``window_limit`` requests — however
late the loop wakes up or however long a request takes. (Counting from start times alone,
a loop that fell behind bunched requests together: one 429 in 6000 on a busy machine.)

**Evenly.** Starts are also spaced by ``window / limit``, so the budget is never spent in
one burst at the start of a window.

**Priority.** Waiting senders are served replies first: while a reply waits for a slot no
broadcast message starts, so a decree to 3000 chats never makes an officer wait for the
next question; a burst of replies still never exceeds the rate.

**Per chat.** A small token bucket per chat (one per second, bursts of three; groups 20 a
minute), for replies too: the platform counts them the same way.

**429.** When the platform still answers 429, ``pause`` stops every sender of this process
for ``retry_after``; with a ``SharedBudget`` (several replicas on PostgreSQL) the pause is
shared too.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

log = logging.getLogger(__name__)


class Priority(IntEnum):
    """Who is served first when both wait: someone who just wrote, then bulk sending."""

    REPLY = 0
    BULK = 1


class SharedBudget(Protocol):
    """The bot's send budget shared by several processes (one row in PostgreSQL).

    ``take`` reserves the next free slot ``interval`` seconds after the previous one, whoever
    took it, and says how long to wait for it; ``pause`` moves every future slot past a 429.
    """

    async def take(self, interval: float) -> float: ...

    async def pause(self, seconds: float) -> None: ...


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class Pacer:
    def __init__(
        self,
        per_second: float,
        *,
        per_chat_per_second: float | None = 1.0,
        per_chat_burst: int = 3,
        group_per_minute: int | None = 20,
        window_limit: int | None = None,
        guard: float = 0.03,
        lanes: int = 8,
        shared: SharedBudget | None = None,
        shared_margin: float = 0.95,
    ) -> None:
        # ``per_second`` is the platform's own limit: at most ``window_limit`` requests are
        # counted at any moment, each from its start until ``window`` after its answer.
        # ``guard`` absorbs the difference between our clock and the platform's.
        self.per_second = per_second
        self.window = 1.0 + guard
        self.window_limit = window_limit or max(1, int(per_second))
        self.lanes = max(1, lanes)
        self.per_chat_rate = per_chat_per_second
        self.per_chat_burst = per_chat_burst
        self.group_interval = 60.0 / group_per_minute if group_per_minute else None
        self.shared = shared
        # Across processes slots are spaced evenly (one UPDATE per message); a margin under
        # the limit leaves room for the jitter between two processes' clocks and loops.
        self.shared_interval = self.window / (per_second * shared_margin)
        # And evenly spread inside the window, never in bunches of 30: a platform that keeps
        # a shorter bucket than its published one-second window must not see a burst either.
        self.spacing = 0.97 * self.window / self.window_limit
        self._next_start = 0.0
        self._in_flight = 0
        self._cooling: list[float] = []  # heap of times at which a finished request stops counting
        self._waiters: tuple[deque[asyncio.Future[None]], ...] = (deque(), deque())
        self._timer: asyncio.TimerHandle | None = None
        self._paused_until = 0.0
        self._chats: dict[str, _Bucket] = {}
        self._background: set[asyncio.Task[None]] = set()
        self.granted = [0, 0]  # requests let through, per priority (for tests and logs)

    # ---- the public surface ----------------------------------------------------------------
    @asynccontextmanager
    async def sending(
        self, chat_id: str, *, is_group: bool = False, priority: Priority = Priority.BULK, per_chat: bool = True,
    ) -> AsyncIterator[None]:
        """Hold this around exactly one platform request to ``chat_id``.

        Returns (enters) when the request may start: the chat's bucket has a token, the
        bot's budget has a slot (replies before bulk), no 429 pause is running.
        """
        if per_chat:
            ready = self._reserve_chat(chat_id, is_group)
            delay = ready - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        await self._acquire(priority)
        try:
            if self.shared is not None:
                await self._shared_slot()
            yield
        finally:
            self._release()

    async def _shared_slot(self) -> None:
        """Wait for this message's slot in the replicas' common budget. If the database cannot
        say, this process's own pacing alone holds the message (a 429 is then possible, and
        retried) — a message is never dropped for want of a slot."""
        assert self.shared is not None
        try:
            wait = await self.shared.take(self.shared_interval)
        except Exception as exc:
            log.warning("shared send budget unavailable (%s: %s); pacing this process alone",
                        type(exc).__name__, exc)
            await asyncio.sleep(self.shared_interval)
            return
        if wait > 0:
            await asyncio.sleep(wait)

    def pause(self, seconds: float) -> None:
        """The platform said 429: nobody sends anything for ``seconds`` — in this process, and
        with a shared budget in every process of this bot (told in the background)."""
        until = time.monotonic() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self._arm(until)
        if self.shared is not None:
            task = asyncio.get_running_loop().create_task(self.shared.pause(seconds))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - time.monotonic())

    @property
    def waiting(self) -> int:
        """Senders waiting for a slot (replies and bulk)."""
        return sum(1 for q in self._waiters for f in q if not f.done())

    # ---- the overall budget ----------------------------------------------------------------
    def _counted(self, now: float) -> int:
        cooling = self._cooling
        while cooling and cooling[0] <= now:
            heapq.heappop(cooling)
        return self._in_flight + len(cooling)

    def _can_start(self, now: float) -> bool:
        return (now >= self._paused_until and now >= self._next_start and self._in_flight < self.lanes
                and self._counted(now) < self.window_limit)

    async def _acquire(self, priority: Priority) -> None:
        now = time.monotonic()
        ahead = any(self._waiters[p] for p in range(priority + 1))
        if not ahead and self._can_start(now):
            self._grant(priority)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[priority].append(fut)
        self._pump()
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():  # granted just as the waiter was cancelled
                self._release(finished=False)
            raise

    def _grant(self, priority: int) -> None:
        # A late wake-up may catch up one slot, no more; the count above is what holds the limit.
        self._next_start = max(self._next_start, time.monotonic() - self.spacing) + self.spacing
        self._in_flight += 1
        self.granted[priority] += 1

    def _release(self, *, finished: bool = True) -> None:
        """One request is over: it keeps counting for ``window`` after its answer."""
        self._in_flight -= 1
        now = time.monotonic()
        if finished:
            heapq.heappush(self._cooling, now + self.window)
        self._pump()

    def _pump(self) -> None:
        """Hand free slots to waiters, replies first; otherwise wake up when one frees."""
        now = time.monotonic()
        for priority, queue in enumerate(self._waiters):
            while queue and self._can_start(now):
                fut = queue.popleft()
                if not fut.done():
                    self._grant(priority)
                    fut.set_result(None)
        if any(self._waiters):
            if now < self._paused_until:
                self._arm(self._paused_until)
            elif now < self._next_start:
                self._arm(self._next_start)
            elif self._in_flight < self.lanes and self._cooling:
                self._arm(self._cooling[0])
            # else: a request in flight releases a slot when it ends, and pumps then

    def _arm(self, at: float) -> None:
        """One timer at a time, at the earliest moment something may change (the loop's
        clock is ``time.monotonic``)."""
        if self._timer is not None:
            if self._timer.when() <= at:
                return
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_at(at + 0.0005, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._pump()

    # ---- per chat --------------------------------------------------------------------------
    def _reserve_chat(self, chat_id: str, is_group: bool) -> float:
        """Earliest time this chat may receive the next message (token bucket per chat)."""
        now = time.monotonic()
        if is_group and self.group_interval:
            rate, burst = 1.0 / self.group_interval, 1
        elif self.per_chat_rate:
            rate, burst = self.per_chat_rate, self.per_chat_burst
        else:
            return now
        b = self._chats.get(chat_id)
        if b is None:
            b = self._chats[chat_id] = _Bucket(tokens=float(burst), stamp=now)
            if len(self._chats) > 50_000:
                self._forget_idle(now)
        b.tokens = min(float(burst), b.tokens + (now - b.stamp) * rate)
        b.stamp = now
        b.tokens -= 1.0
        if b.tokens >= 0:
            return now
        return now + (-b.tokens) / rate

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, b in self._chats.items() if now - b.stamp > 120]:
            del self._chats[key]
