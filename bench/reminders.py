"""bench/reminders.py — 5000 units × 4 offsets in one period.

Figures: seconds to plan the period's reminders; seconds for one tick that claims every due
reminder and queues its messages (sending excluded); and, with two processes ticking at once
against the same PostgreSQL, how many reminders were queued more than once (target 0).
No baseline exists for this bench (BENCHMARKS.md).
    python bench/reminders.py [--units 5000] [--pg postgresql+asyncpg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from bench._common import emit, fresh_database, seed_units, services_for
from bot.core import FixedClock
from storage.db import create_engine
from storage.models import Delivery, Reminder

DUE = datetime(2026, 6, 24, 3, 0, tzinfo=UTC)  # Wed 24/06/2026 10:00 in Hà Nội
FIRST_DUE = DUE - timedelta(days=7) + timedelta(minutes=1)


async def setup(url: str, units: int) -> float:
    engine = await fresh_database(url)
    await seed_units(engine, units)
    services = services_for(engine, FixedClock(DUE - timedelta(days=10)))
    period = await services.periods.open(form_id="bao-cao-6-thang", label="Sơ kết 6 tháng 2026", due_at=DUE,
                                         cutoff=date(2026, 6, 14), audience={"all": True},
                                         remind_offsets=["7d", "3d", "1d", "2h"], announce=False)
    started = time.perf_counter()  # planning again: every planned row dropped and written anew
    await services.reminders.plan(period.id)
    plan_seconds = time.perf_counter() - started
    await engine.dispose()
    return plan_seconds


async def one_tick(url: str) -> tuple[float, int]:
    engine = create_engine(url)
    services = services_for(engine, FixedClock(FIRST_DUE))
    started = time.perf_counter()
    sent, _ = await services.send_due_reminders()
    seconds = time.perf_counter() - started
    await engine.dispose()
    return seconds, sent


def worker(url: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    async def go() -> None:
        engine = create_engine(url)
        services = services_for(engine, FixedClock(FIRST_DUE))
        total = 0
        barrier.wait()
        while True:
            sent, _ = await services.send_due_reminders_batch(500)
            total += sent
            if sent == 0:
                break
        results.put((os.getpid(), total))
        await engine.dispose()

    asyncio.run(go())


async def count_duplicates(url: str) -> tuple[int, int, int]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        sent = await conn.scalar(select(func.count()).select_from(Reminder).where(Reminder.status == "sent"))
        deliveries = await conn.scalar(select(func.count()).select_from(Delivery).where(Delivery.kind == "reminder"))
        distinct = await conn.scalar(select(func.count(func.distinct(Delivery.binding_id)))
                                     .where(Delivery.kind == "reminder"))
    await engine.dispose()
    return int(sent or 0), int(deliveries or 0), int(deliveries or 0) - int(distinct or 0)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL",
                                                       "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tdkt-bench-rem-"))
    for backend, url in (("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"), ("postgresql", args.pg)):
        try:
            plan_seconds = await setup(url, args.units)
        except OSError as exc:
            emit(bench="reminders", impl="tdkt-bot", backend=backend, skipped=f"unreachable: {exc}")
            continue
        tick_seconds, sent = await one_tick(url)
        emit(bench="reminders", impl="tdkt-bot", backend=backend, units=args.units, offsets=4,
             reminder_rows=args.units * (4 + 5), plan_seconds=round(plan_seconds, 3),
             tick_seconds=round(tick_seconds, 3), claimed_in_tick=sent, target_seconds=1, ok=tick_seconds < 1)
        if backend != "postgresql":
            continue
        await setup(url, args.units)
        ctx = mp.get_context("spawn")
        barrier, results = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=worker, args=(url, barrier, results)) for _ in range(2)]
        started = time.perf_counter()
        for p in procs:
            p.start()
        per_process = [results.get(timeout=300) for _ in procs]
        for p in procs:
            p.join()
        seconds = time.perf_counter() - started
        sent_rows, deliveries, duplicates = await count_duplicates(url)
        emit(bench="reminders-2-processes", impl="tdkt-bot", backend=backend, units=args.units,
             claimed_per_process=[n for _, n in per_process], reminders_sent=sent_rows, deliveries=deliveries,
             duplicates=duplicates, seconds=round(seconds, 3), ok=duplicates == 0 and sent_rows == args.units)


if __name__ == "__main__":
    asyncio.run(main())
