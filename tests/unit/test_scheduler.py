"""The one scheduler runs each named job on its own interval; a job that fails is logged and
runs again at its next time, without stopping the others."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.scheduler import Scheduler


async def test_named_jobs_run_on_their_intervals_and_a_failing_one_keeps_running(
        caplog: pytest.LogCaptureFixture) -> None:
    calls = {"tick": 0, "status-reports": 0, "broken": 0}

    async def tick() -> dict[str, int]:
        calls["tick"] += 1
        return {"reminders": 1}

    async def status() -> int:
        calls["status-reports"] += 1
        return 0

    async def broken() -> None:
        calls["broken"] += 1
        raise RuntimeError("database away")

    s = Scheduler()
    s.add("tick", 0.05, tick)
    s.add("status-reports", 0.05, status)
    s.start()
    s.add("broken", 0.05, broken)  # added while running: scheduled at once
    caplog.set_level(logging.INFO, logger="bot.scheduler")
    try:
        for _ in range(100):
            await asyncio.sleep(0.02)
            if min(calls.values()) >= 2:
                break
    finally:
        await s.stop()
    assert min(calls.values()) >= 2, calls
    assert s.ticks == calls["tick"] and s.runs["status-reports"] == calls["status-reports"]
    assert "broken" not in s.runs
    assert "scheduler job broken failed" in caplog.text and "tick: reminders 1" in caplog.text
