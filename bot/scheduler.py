"""The periodic tick (APScheduler, in-memory job store; all durable state is in our tables).

Each tick releases scheduled announcements, claims due reminders and sends the daily
digest once. Everything it does is claimed in the database, so restarts and several
replicas never repeat a message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, tick: Callable[[], Awaitable[dict[str, int]]], interval_seconds: int) -> None:
        self._tick = tick
        self.interval = interval_seconds
        self._scheduler = AsyncIOScheduler()
        self.ticks = 0

    async def run_tick(self) -> None:
        try:
            result = await self._tick()
        except Exception:
            log.exception("scheduler tick failed; the next tick will try again")
            return
        self.ticks += 1
        if any(result.values()):
            log.info("tick: %s", ", ".join(f"{k} {v}" for k, v in result.items() if v))
        else:
            log.debug("tick: nothing due")

    def start(self) -> None:
        self._scheduler.add_job(self.run_tick, "interval", seconds=self.interval, id="tick", max_instances=1,
                                coalesce=True, misfire_grace_time=self.interval)
        self._scheduler.start()
        log.info("scheduler: ticking every %ss", self.interval)

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
