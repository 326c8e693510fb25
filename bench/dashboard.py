"""bench/dashboard.py — the dashboard's pages over HTTP with 5000 units (issue 14).

Targets on this machine: the period page p95 < 200 ms, the overview and a submission page
p95 < 50 ms, in server time: what the dashboard reports in each response's ``Server-Timing``
header (from the request reaching it to the page rendered). ``*_roundtrip_p95_ms`` is the
time around each request on 127.0.0.1 as the client saw it (plus the local round trip and
reading the body). An announcement's page (sent to all 5000 units, one row per copy) is
measured beside them; the issue sets it no target. Prints one JSON line per backend.
    python bench/dashboard.py [--units 5000] [--requests 30] [--pg postgresql+asyncpg://…]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from aiohttp import web
from sqlalchemy import insert, text, update

from bench._common import emit, fresh_database, seed_units
from bench.export import answers
from bot.core import SystemClock
from bot.core.heap import settle_heap
from bot.forms.spec import load_specs
from bot.services.registry import Services
from bot.web import Dashboard
from bot.web.dashboard import DashboardSettings
from storage.db import session_factory
from storage.models import Announcement, Delivery, Member, Reminder, ReportPeriod, Submission
from storage.uow import UnitOfWorkFactory


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


ANNOUNCEMENTS = 8
"""As many as the overview lists, each sent to every unit: its figures are counted per load."""


async def seed_announcements(conn, units: int, now: datetime, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    """``ANNOUNCEMENTS`` decrees, each delivered to every unit's chat (a payload of a
    decree's size), about half acknowledged, a few failed."""
    body = "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022; " * 30
    await conn.execute(insert(Announcement), [{
        "id": a + 1, "doc_type": "Công văn", "number": f"{a + 1}/SNV-TĐKT", "issuer": "Sở Nội vụ",
        "summary": f"Văn bản thử {a + 1}", "body": body, "attachments": [], "audience": {"all": True},
        "needs_ack": True, "status": "done", "created_at": now, "released_at": now} for a in range(ANNOUNCEMENTS)])
    for a in range(ANNOUNCEMENTS):
        await conn.execute(insert(Delivery), [{
            "kind": "announcement", "announcement_id": a + 1, "binding_id": i + 1, "member_id": i + 1, "unit_id": i + 1,
            "channel": "telegram", "chat_id": str(100_000 + i), "payload": {"text": body},
            "status": "failed" if rng.random() < 0.02 else "sent", "next_try_at": now, "created_at": now,
            "sent_at": now, "acknowledged_at": now if rng.random() < 0.5 else None} for i in range(units)])


async def run(url: str, units: int, requests: int) -> dict[str, object]:
    engine = await fresh_database(url)
    await seed_units(engine, units)
    now = datetime.now(UTC)
    rng = random.Random(14)
    async with engine.begin() as conn:
        await conn.execute(insert(ReportPeriod), [{
            "id": 1, "form_id": "bao-cao-6-thang", "form_version": 1, "label": "Sơ kết 6 tháng đầu năm 2026",
            "opens_at": now, "due_at": now + timedelta(days=10), "audience": {"all": True},
            "remind_offsets": ["7d", "3d", "1d", "2h"], "status": "open", "created_at": now}])
        await conn.execute(insert(Submission), [{
            "period_id": 1, "unit_id": i + 1, "status": "submitted", "revision": 1, "form_version": 1,
            "answers": answers(rng), "submitted_at": now, "first_submitted_at": now, "late": False,
            "receipt_no": f"{i:04d}/2026/BC6T", "return_reason": ""} for i in range(0, units, 2)])
        await conn.execute(insert(Member), [{"id": units + 1, "name": "Quản trị", "role": "admin", "created_at": now}])
        await seed_announcements(conn, units, now, rng)
    services = Services.build(UnitOfWorkFactory(session_factory(engine)), SystemClock(), forms=load_specs())
    await services.plan_reminders(1)
    async with engine.begin() as conn:  # the first reminder went out to a third of the units
        await conn.execute(update(Reminder).where(Reminder.unit_id % 3 == 0, Reminder.kind.like("7d%"))
                           .values(status="sent", sent_at=now - timedelta(hours=1)))
    if not url.startswith("sqlite"):
        # What autovacuum does within a minute of a bulk load: statistics (without them the
        # planner takes these just-filled tables for a few rows and plans nested loops) and the
        # visibility map (without it an index-only scan still visits every row).
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    app = web.Application()
    runner = web.AppRunner(app, access_log=None)
    dash = Dashboard(services, DashboardSettings(base_url="http://127.0.0.1"))
    dash.register_routes(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    settle_heap()  # as `tdkt-bot run` does once it has started
    base = f"http://127.0.0.1:{port}"
    token = await services.web_access.link_for_member(units + 1, actor="bench")
    signed = await services.web_access.sign_in(token, "bench")
    pages = {"period": "/web/ky/1", "period_missing": "/web/ky/1?trang_thai=missing", "overview": "/web",
             "submission": "/web/bao-cao/1", "announcement": "/web/van-ban/1"}
    figures: dict[str, object] = {"backend": "postgresql" if url.startswith("postgresql") else "sqlite",
                                  "units": units, "requests": requests}
    try:
        async with aiohttp.ClientSession(cookies={"tdkt_session": signed.token}) as http:
            for name, path in pages.items():
                times, server = [], []
                for n in range(requests + 2):
                    started = time.perf_counter()
                    async with http.get(base + path) as r:
                        body = await r.read()
                        assert r.status == 200, (path, r.status)
                    if n >= 2:  # the first two warm caches
                        times.append((time.perf_counter() - started) * 1000)
                        server.append(float(r.headers["Server-Timing"].split("dur=")[1]))
                figures[f"{name}_p50_ms"] = round(statistics.median(server), 1)
                figures[f"{name}_p95_ms"] = round(percentile(server, 0.95), 1)
                figures[f"{name}_roundtrip_p95_ms"] = round(percentile(times, 0.95), 1)
                figures[f"{name}_kb"] = round(len(body) / 1024)
    finally:
        await runner.cleanup()
        await engine.dispose()
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--pg", default="", help="also on this PostgreSQL database (its schema is dropped!)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tdkt-bench-dashboard-"))
    emit(bench="dashboard", **await run(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", args.units, args.requests))
    if args.pg:
        emit(bench="dashboard", **await run(args.pg, args.units, args.requests))


if __name__ == "__main__":
    asyncio.run(main())
