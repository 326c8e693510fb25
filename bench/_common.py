"""Shared set-up for benchmarks: a migrated database with many units and officers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from bot.core import SystemClock
from bot.forms.spec import load_specs
from bot.services.registry import Services
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import ChatBinding, Member, Unit, UnitGroup
from storage.uow import UnitOfWorkFactory


def emit(**figures: object) -> None:
    print(json.dumps(figures, ensure_ascii=False), flush=True)


async def fresh_database(url: str):  # type: ignore[no-untyped-def]
    """Migrate ``url`` from scratch (drops the PostgreSQL schema or the SQLite file first)."""
    from sqlalchemy import text

    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    engine = create_engine(url)
    if not url.startswith("sqlite"):
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    return engine


async def seed_units(engine, n: int, *, channel: str = "telegram", first_chat: int = 100_000,  # type: ignore[no-untyped-def]
                     with_officers: bool = True) -> None:
    """``n`` communes, each with one officer bound to one private chat (bulk inserts)."""
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(insert(Unit), [
            {"id": i + 1, "code": f"X{i:05d}", "name": f"Xã thử {i}", "kind": "xa", "created_at": now,
             "updated_at": now} for i in range(n)])
        await conn.execute(insert(UnitGroup), [{"unit_id": i + 1, "name": f"Cụm {i % 20 + 1}"} for i in range(n)])
        if with_officers:
            await conn.execute(insert(Member), [
                {"id": i + 1, "name": f"Cán bộ {i}", "role": "officer", "unit_id": i + 1, "created_at": now}
                for i in range(n)])
            await conn.execute(insert(ChatBinding), [
                {"id": i + 1, "member_id": i + 1, "channel": channel, "chat_id": str(first_chat + i),
                 "display_name": f"Cán bộ {i}", "status": "active", "bound_at": now} for i in range(n)])


def services_for(engine, clock=None) -> Services:  # type: ignore[no-untyped-def]
    return Services.build(UnitOfWorkFactory(session_factory(engine)), clock or SystemClock(), forms=load_specs())
