"""Client-side pacing so that the platform never has to say 429.

Telegram allows about 30 messages/s overall, about one per second per private chat
(short bursts tolerated) and 20 per minute per group. A leaky bucket with a large burst
would overshoot a sliding one-second window, so the global limit here is strict spacing
plus a sliding-window guard; per chat it is a small token bucket. When the platform still
answers 429, ``pause`` stops every sender for ``retry_after``, as Telegram asks.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass


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
        lanes: int = 1,
    ) -> None:
        # ``per_second`` is the platform's own limit. At most that many requests start in
        # any window of 1 s + ``guard``: the guard absorbs the jitter between our start
        # and the platform's arrival clock. Planned slots run a little faster than that,
        # so the window on actual start times holds the rate and late wake-ups are made up.
        self.window = 1.0 + guard
        self.interval = self.window / (per_second * 1.05)
        self.window_limit = window_limit or max(1, int(per_second))
        self.per_chat_rate = per_chat_per_second
        self.per_chat_burst = per_chat_burst
        self.group_interval = 60.0 / group_per_minute if group_per_minute else None
        self._next_slot = 0.0
        self._started: deque[float] = deque()
        self._lane = asyncio.Semaphore(lanes)
        self._paused_until = 0.0
        self._chats: dict[str, _Bucket] = {}
        self._lock = asyncio.Lock()

    async def wait(self, chat_id: str, *, is_group: bool = False, per_chat: bool = True) -> None:
        """Return when one message to ``chat_id`` may go out; reserves that slot.

        ``per_chat=False`` is for direct replies to someone who just wrote: only the
        overall limit applies (a conversation must not wait a second per answer).
        """
        chat_ready = self._reserve_chat(chat_id, is_group) if per_chat else 0.0
        async with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot, self._paused_until, chat_ready)
            self._next_slot = slot + self.interval
        delay = slot - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def reply_allowed(self) -> None:
        """Direct replies to someone who just wrote are not bulk sending: they only respect
        a pause the platform asked for (429), so a conversation never queues behind a broadcast."""
        while (wait := self._paused_until - time.monotonic()) > 0:
            await asyncio.sleep(wait)

    @asynccontextmanager
    async def sending(self, chat_id: str, *, is_group: bool = False, per_chat: bool = True) -> AsyncIterator[None]:
        """Hold this around one platform request.

        At most ``lanes`` requests are in flight (one by default): with many, a busy event
        loop or network reorders and bunches them, and the platform's one-second window
        sees more than we counted. Serialised, arrival times follow start times within the
        guard band. One request takes a few milliseconds, far below the 33 ms a slot lasts.
        """
        await self.wait(chat_id, is_group=is_group, per_chat=per_chat)
        async with self._lane:
            await self._admit()
            yield

    async def _admit(self) -> None:
        """Last check on what really leaves: planned slots drift when the event loop is busy,
        so the sliding window is enforced again on actual send times (plus a pause, if a
        429 arrived while this sender slept)."""
        while True:
            now = time.monotonic()
            if self._paused_until > now:
                await asyncio.sleep(self._paused_until - now)
                continue
            while self._started and self._started[0] <= now - self.window:
                self._started.popleft()
            if len(self._started) < self.window_limit:
                self._started.append(now)
                return
            await asyncio.sleep(self._started[0] + self.window + 0.001 - now)

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

    def pause(self, seconds: float) -> None:
        """The platform said 429: nobody sends anything for ``seconds``."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - time.monotonic())
