"""Shared fixtures: databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
the application wired to them, and a fake clock."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import App
from bot.config import load_settings
from bot.core import FixedClock
from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import Base

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file made once; each test gets a copy (migrations run once)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"

    async def make() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(make())
    return path


_pg_migrated = False


async def _reset_postgres(url: str) -> None:
    """Migrate once per session, then empty every table before each test."""
    global _pg_migrated
    engine = create_engine(url)
    try:
        if not _pg_migrated:
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await upgrade(engine)
            _pg_migrated = True
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh, migrated database on every backend available."""
    if request.param == "postgresql":
        await _reset_postgres(PG_URL)
        return PG_URL
    target = tmp_path / "tdkt.sqlite3"
    shutil.copy(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    target = tmp_path / "tdkt.sqlite3"
    shutil.copy(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 6, 8, 2, 0, tzinfo=UTC))  # Mon 08/06/2026 09:00 in Hà Nội


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer .env or tokens leak into tests."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("TELEGRAM_", "ZALO_", "WEBHOOK_")) or key in {"DATABASE_URL", "PUBLIC_BASE_URL"}:
            monkeypatch.delenv(key, raising=False)


def make_settings(db_url: str, **overrides: object):  # type: ignore[no-untyped-def]
    return load_settings(database_url=db_url, **overrides)


@pytest.fixture
async def app(db_url: str, clock: FixedClock) -> AsyncIterator[App]:
    """The application on a fresh database with the demo units, no channels started."""
    a = App(make_settings(db_url), clock=clock)
    await a.prepare(demo=True)
    yield a
    await a.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test on the ``db_url`` fixture is a storage test: CI reruns those on PostgreSQL."""
    for item in items:
        if "db_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
