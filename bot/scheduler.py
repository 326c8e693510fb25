"""The one scheduler of a process (APScheduler, in-memory job store; all durable state is in
our tables). Its jobs:

- ``tick`` (every SCHEDULER_INTERVAL): releases scheduled announcements, claims due reminders,
  sends the daily digest once (``bot.services.ticks``). Everything it does is claimed in the
  database, so restarts and several replicas never repeat a message.
- ``status-reports`` (every 2 s): edits the admins' self-updating delivery-status messages
  (``bot.services.status_reports``).

A job is an async callable returning figures to log; one that fails is logged and runs again
at its next time. Adding a job: ``scheduler.add("name", seconds, callable)`` in ``bot.app``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Any]]


class Scheduler:
    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler()
        self._jobs: dict[str, tuple[Job, float]] = {}
        self.runs: dict[str, int] = {}
        self._running: set[asyncio.Task[Any]] = set()

    @property
    def ticks(self) -> int:
        """How many ``tick`` runs completed."""
        return self.runs.get("tick", 0)

    def add(self, name: str, seconds: float, job: Job) -> None:
        """Run ``job`` every ``seconds`` (never two runs of one job at once; missed runs coalesce)."""
        self._jobs[name] = (job, seconds)
        if self._scheduler.running:
            self._schedule(name)

    async def run_job(self, name: str) -> None:
        job, _ = self._jobs[name]
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            result = await job()
        except Exception:
            log.exception("scheduler job %s failed; its next run will try again", name)
            return
        finally:
            if task is not None:
                self._running.discard(task)
        self.runs[name] = self.runs.get(name, 0) + 1
        if isinstance(result, dict):
            if any(result.values()):
                log.info("%s: %s", name, ", ".join(f"{k} {v}" for k, v in result.items() if v))
            else:
                log.debug("%s: nothing due", name)

    async def run_tick(self) -> None:
        await self.run_job("tick")

    def _schedule(self, name: str) -> None:
        _, seconds = self._jobs[name]
        self._scheduler.add_job(self.run_job, "interval", args=[name], seconds=seconds, id=name, max_instances=1,
                                coalesce=True, misfire_grace_time=max(1, int(seconds)))

    def start(self) -> None:
        for name in self._jobs:
            self._schedule(name)
        self._scheduler.start()
        for name, (_, seconds) in self._jobs.items():
            log.info("scheduler: %s every %ss", name, seconds)

    async def stop(self) -> None:
        """No more runs; a run in progress is cancelled (what it claimed in the database is
        either committed or rolled back, as after a crash) and waited for."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        running = list(self._running)
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
